package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/internal/fserr"
)

// ExcludeFile is the name of the per-class curation list inside a class folder
// (data/images/<class>/exclude.txt). Each line names a file (e.g. "1234.jpg")
// or a photo id (the file name without extension, e.g. "1234") to leave out of
// the dataset. Spaces around an entry, blank lines and comments (from a '#'
// to the end of the line: "1234.jpg # blurry") are ignored, so a file whose
// name holds a '#' cannot be listed: rename it. Lines may end in LF or CRLF,
// and a UTF-8 byte order mark at the start of the file is ignored.
const ExcludeFile = "exclude.txt"

// ReadExclusions reads classDir/exclude.txt. A missing file is an empty list.
// The returned set holds each entry as written; use Excluded to test a file.
func ReadExclusions(classDir string) (map[string]bool, error) {
	f, err := os.Open(filepath.Join(classDir, ExcludeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read exclusions: %w", err)
	}
	defer f.Close()
	set := map[string]bool{}
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		line := sc.Text()
		if first {
			line = strings.TrimPrefix(line, "\uFEFF") // a byte order mark
		}
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			set[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read exclusions %s: %w", f.Name(), fserr.WithoutPath(err))
	}
	return set, nil
}

// UsableFiles returns the files of classDir that Prepare may use, in name
// order: ClassFiles less those that exclude.txt lists. (Prepare still skips a
// file that does not decode, and duplicates.)
func UsableFiles(classDir string) ([]string, error) {
	files, err := ClassFiles(classDir)
	if err != nil {
		return nil, err
	}
	excl, err := ReadExclusions(classDir)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(files, func(f string) bool { return Excluded(excl, f) }), nil
}

// Excluded reports whether the file name (base name, with extension) is in the
// exclusion set, either by its full name or by its id (name without extension).
func Excluded(set map[string]bool, fileName string) bool {
	base := filepath.Base(fileName)
	return set[base] || set[strings.TrimSuffix(base, filepath.Ext(base))]
}

// AddExclusions appends entries (file names or photo ids) to classDir/exclude.txt,
// skipping those already listed, with an optional comment line explaining why.
// A last line without its newline is ended first. Spaces around an entry are
// dropped. An entry that cannot be read back as written is an error, and
// nothing is added: one with a line break or a '#' (which starts a comment),
// or one that starts with a byte order mark (U+FEFF), which ReadExclusions
// drops from the file's first line; so is an entry or a reason too long for
// a line that ReadExclusions reads (64 KiB).
func AddExclusions(classDir, reason string, entries ...string) error {
	// ReadExclusions's bufio.Scanner takes lines of up to
	// bufio.MaxScanTokenSize bytes, its newline included.
	if len("# "+reason) >= bufio.MaxScanTokenSize {
		return fmt.Errorf("add exclusions to %s: a reason of %d bytes, too long for one line of the file", filepath.Join(classDir, ExcludeFile), len(reason))
	}
	var add []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if len(e) >= bufio.MaxScanTokenSize {
			return fmt.Errorf("add exclusions to %s: an entry of %d bytes, too long for one line of the file", filepath.Join(classDir, ExcludeFile), len(e))
		}
		if strings.ContainsAny(e, "\r\n#") {
			return fmt.Errorf("add exclusions to %s: %q cannot be listed: a line break or a '#' (which starts a comment) in the name; rename the file", filepath.Join(classDir, ExcludeFile), e)
		}
		if strings.HasPrefix(e, "\uFEFF") {
			return fmt.Errorf("add exclusions to %s: %q cannot be listed: it starts with a byte order mark (U+FEFF), which is dropped at the start of the file; rename the file", filepath.Join(classDir, ExcludeFile), e)
		}
		if e != "" && !slices.Contains(add, e) {
			add = append(add, e)
		}
	}
	set, err := ReadExclusions(classDir)
	if err != nil {
		return err
	}
	add = slices.DeleteFunc(add, func(e string) bool { return set[e] })
	if len(add) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(classDir, ExcludeFile), os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("add exclusions: %w", err)
	}
	var b strings.Builder
	// A hand-edited list may lack its final newline: end that line first,
	// or the first new entry would join it ("1234.jpg5678.jpg").
	unended, err := lacksFinalNewline(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("add exclusions: %w", err) // it names the file
	}
	if unended {
		b.WriteByte('\n')
	}
	if reason != "" {
		fmt.Fprintf(&b, "# %s\n", strings.ReplaceAll(reason, "\n", " "))
	}
	for _, e := range add {
		b.WriteString(e + "\n")
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("add exclusions: %w", err) // it names the file
	}
	return f.Close()
}

// lacksFinalNewline reports whether f is not empty and does not end in '\n'.
func lacksFinalNewline(f *os.File) (bool, error) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return false, err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err != nil {
		return false, err
	}
	return last[0] != '\n', nil
}
