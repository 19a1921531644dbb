package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadExclusionsFormat(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ExcludeFile), []byte("\uFEFFp00.png\r\n"+
		"  # a comment, indented\r\n"+
		"# another\n"+
		"old.jpg # a comment after an entry\n"+
		"tab.jpg\t#\n"+
		"glued.jpg#comment\r\n"+
		"\n"+
		"  1234  \n"+
		"last.jpg"))
	set, err := ReadExclusions(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1234", "glued.jpg", "last.jpg", "old.jpg", "p00.png", "tab.jpg"}
	if got := slices.Sorted(maps.Keys(set)); !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	for name, excluded := range map[string]bool{
		"p00.png": true, "glued.jpg": true, "1234.jpg": true, "last.jpg": true,
		"other.jpg": false, "old.jpg": true, "tab.jpg": true,
		"sub/old.jpg": true, // by its base name
	} {
		if Excluded(set, name) != excluded {
			t.Errorf("Excluded(%q) = %v", name, !excluded)
		}
	}
}

func TestAddExclusionsReadsBack(t *testing.T) {
	dir := t.TempDir()
	if err := AddExclusions(dir, "picked on the contact sheet", "beach (2).jpg", " 5.jpg "); err != nil {
		t.Fatal(err)
	}
	set, err := ReadExclusions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !Excluded(set, "beach (2).jpg") || Excluded(set, "beach.jpg") || !Excluded(set, "5.jpg") {
		t.Errorf("after adding \"beach (2).jpg\" and \"5.jpg\": %q", slices.Sorted(maps.Keys(set)))
	}
	// Names that would not read back as written are refused, and nothing
	// of the call is written.
	before, _ := os.ReadFile(filepath.Join(dir, ExcludeFile))
	for _, bad := range []string{"#1.jpg", "beach #2.jpg", "a#", "a.jpg\nb.jpg", "c.jpg\rd.jpg", "\uFEFFe.jpg"} {
		if err := AddExclusions(dir, "", "ok.jpg", bad); err == nil {
			t.Errorf("AddExclusions(%q): no error", bad)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(dir, ExcludeFile)); string(after) != string(before) {
		t.Errorf("exclude.txt changed by refused calls: %q", after)
	}
}

// TestAddExclusionsWritesEachEntryOnce: an entry is written once, trimmed,
// and not again when already listed; empty entries are dropped; a call that
// adds nothing writes nothing, not even its reason; and a reason over several
// lines stays one comment line.
func TestAddExclusionsWritesEachEntryOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ExcludeFile)
	if err := AddExclusions(dir, "nothing", "", "  "); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("adding only empty entries created exclude.txt")
	}
	for _, step := range []struct {
		reason  string
		entries []string
		want    string // the file after the call
	}{
		{"blurry", []string{"a.jpg", " a.jpg", "", "b.jpg", "a.jpg"}, "# blurry\na.jpg\nb.jpg\n"},
		{"again", []string{"b.jpg", " a.jpg "}, "# blurry\na.jpg\nb.jpg\n"},
		{"two\nlines.jpg", []string{"c.jpg"}, "# blurry\na.jpg\nb.jpg\n# two lines.jpg\nc.jpg\n"},
	} {
		if err := AddExclusions(dir, step.reason, step.entries...); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != step.want {
			t.Errorf("after adding %q (%q): %q, want %q", step.entries, step.reason, b, step.want)
		}
	}
	set, err := ReadExclusions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.jpg", "b.jpg", "c.jpg"}; !slices.Equal(slices.Sorted(maps.Keys(set)), want) {
		t.Errorf("entries %q, want %q", slices.Sorted(maps.Keys(set)), want)
	}
}

func TestPrepareExcludeFileWithBOMAndCRLF(t *testing.T) {
	images := makeTree(t, 12, 12)
	writeFile(t, filepath.Join(images, "c0", ExcludeFile), []byte("\uFEFFp00.png\r\np01.png\r\n"))
	s := prepare(t, testConfig(images))
	if c := s.Meta.Counts[0]; c.Excluded != 2 {
		t.Errorf("c0 counts %+v, want 2 excluded", c)
	}
	for _, f := range s.Meta.Files {
		if f.Path == "c0/p00.png" || f.Path == "c0/p01.png" {
			t.Errorf("%s is excluded but used", f.Path)
		}
	}
}

// UsableFiles: the class's files in name order, less those exclude.txt
// lists by name or by id, and never a sidecar.
func TestUsableFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"3.jpg", "1.png", "2.jpg", "4.webp", "manifest.jsonl"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := AddExclusions(dir, "test", "2", "4.webp"); err != nil {
		t.Fatal(err)
	}
	got, err := UsableFiles(dir)
	if err != nil || !slices.Equal(got, []string{"1.png", "3.jpg"}) {
		t.Errorf("UsableFiles = %v, %v; want [1.png 3.jpg]", got, err)
	}
	if _, err := UsableFiles(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("UsableFiles of a missing folder: %v, want fs.ErrNotExist", err)
	}
}

// An exclude.txt that cannot be read is named in the error, once.
func TestReadExclusionsErrorNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ExcludeFile)
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 70_000), 0o644); err != nil { // a line longer than the scanner takes
		t.Fatal(err)
	}
	if _, err := ReadExclusions(dir); err == nil || strings.Count(err.Error(), path) != 1 {
		t.Errorf("a 70,000-byte line: %v, want an error naming %s once", err, path)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil { // reading a folder fails
		t.Fatal(err)
	}
	if _, err := ReadExclusions(dir); err == nil || strings.Count(err.Error(), path) != 1 {
		t.Errorf("exclude.txt a folder: %v, want an error naming %s once", err, path)
	}
}

// TestAddExclusionsLongLines: a reason or an entry too long for the line
// that ReadExclusions reads (bufio.Scanner's 64 KiB) is refused, and the
// file left as it was, not made unreadable ("token too long") for every
// later prepare; the longest reason that fits reads back.
func TestAddExclusionsLongLines(t *testing.T) {
	dir := t.TempDir()
	if err := AddExclusions(dir, "", "a.jpg"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, ExcludeFile))
	for _, tc := range []struct{ reason, entry string }{
		{strings.Repeat("x", 70_000), "b.jpg"},
		{"", strings.Repeat("x", 70_000)},
	} {
		if err := AddExclusions(dir, tc.reason, tc.entry); err == nil {
			t.Errorf("a reason of %d bytes, an entry of %d: no error", len(tc.reason), len(tc.entry))
		}
	}
	if after, _ := os.ReadFile(filepath.Join(dir, ExcludeFile)); !bytes.Equal(after, before) {
		t.Errorf("exclude.txt changed by refused calls")
	}
	if err := AddExclusions(dir, strings.Repeat("x", bufio.MaxScanTokenSize-len("# ")-1), "c.jpg"); err != nil {
		t.Fatal(err)
	}
	if set, err := ReadExclusions(dir); err != nil || !set["a.jpg"] || !set["c.jpg"] || len(set) != 2 {
		t.Errorf("after the longest reason: %q, %v", slices.Sorted(maps.Keys(set)), err)
	}
}
