package crawl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirent"
	"github.com/animalcnn/animalcnn/mlpkg/internal/fserr"
)

// credit is one kept photo's attribution.
type credit struct {
	Class   string
	File    string
	Title   string
	Author  string // owner name, or the owner's NSID when unknown
	Owner   string // NSID
	PageURL string // the photo's page on Flickr
	License license
}

// classCredits returns the attribution of classDir's photos listed in its
// manifest, leaving out those excluded in exclude.txt and those whose file
// is gone, sorted by file name.
func classCredits(classDir string) ([]credit, error) {
	entries, err := keptEntries(classDir)
	if err != nil {
		return nil, fmt.Errorf("credits for %s: %w", classDir, err)
	}
	excl, err := dataset.ReadExclusions(classDir)
	if err != nil {
		return nil, fmt.Errorf("credits for %s: %w", classDir, err)
	}
	class := filepath.Base(filepath.Clean(classDir))
	var out []credit
	for _, e := range entries {
		if dataset.Excluded(excl, e.File) || dataset.Excluded(excl, e.ID) {
			continue
		}
		author := e.OwnerName
		if author == "" {
			author = e.Owner
		}
		page := e.PageURL
		if page == "" {
			page = photo{ID: e.ID, Owner: e.Owner}.pageURL()
		}
		out = append(out, credit{Class: class, File: e.File, Title: e.Title, Author: author,
			Owner: e.Owner, PageURL: page, License: entryLicense(e)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out, nil
}

// WriteAttribution writes a Markdown attribution list (who, title, license
// name and URL, photo page) of the kept photos of each class under
// imagesDir. With no classes, every sub-folder holding a manifest is used;
// a class named that has no manifest (not crawled, or misspelt) is an error.
func WriteAttribution(w io.Writer, imagesDir string, classes []string) error {
	for i, class := range classes {
		if slices.Contains(classes[:i], class) {
			return fmt.Errorf("attribution: class %q listed twice", class)
		}
		if _, err := os.Stat(filepath.Join(imagesDir, class, ManifestFile)); err != nil {
			return fmt.Errorf("attribution: %s/%s has no %s: not a crawled class", imagesDir, class, ManifestFile)
		}
	}
	if len(classes) == 0 {
		ents, err := os.ReadDir(imagesDir)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("attribution: %s: %w (crawl photos first)", imagesDir, fserr.WithoutPath(err))
		}
		if err != nil {
			return fmt.Errorf("attribution: %w", err)
		}
		for _, e := range ents {
			if _, err := os.Stat(filepath.Join(imagesDir, e.Name(), ManifestFile)); dirent.IsDir(imagesDir, e) && err == nil {
				classes = append(classes, e.Name())
			}
		}
		if len(classes) == 0 {
			return fmt.Errorf("attribution: no class folder with a %s under %s", ManifestFile, imagesDir)
		}
	}
	var b strings.Builder
	// Creative Commons licenses ask to say whether the work was changed.
	b.WriteString("# Photo credits\n\nPhotos from Flickr, used under the licenses listed. " +
		"For training they were changed: scaled down (and, with augmentation, rotated and flipped).\n")
	for _, class := range classes {
		credits, err := classCredits(filepath.Join(imagesDir, class))
		if err != nil {
			return fmt.Errorf("attribution: %w", err)
		}
		fmt.Fprintf(&b, "\n## %s (%d photos)\n\n", class, len(credits))
		for _, c := range credits {
			title := c.Title
			if title == "" {
				title = "untitled"
			}
			lic := mdEscape(c.License.Name)
			if u, ok := mdURL(c.License.URL); ok {
				lic = fmt.Sprintf("[%s](%s)", lic, u)
			}
			page := mdEscape(title)
			if u, ok := mdURL(c.PageURL); ok {
				page = fmt.Sprintf("[%s](%s)", page, u)
			}
			fmt.Fprintf(&b, "- %s: %s by %s, %s\n", mdCode(c.File), page, mdEscape(c.Author), lic)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("attribution: %w", err)
	}
	return nil
}

// mdURL returns u for a Markdown link target when it is an http(s) URL,
// with the characters that could end the link or the line percent-encoded;
// ok is false for anything else (a javascript: link from a hostile answer).
func mdURL(u string) (string, bool) {
	parsed, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		return "", false
	}
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "\n", "%0A", "\r", "%0D").Replace(parsed.String()), true
}

// mdEscape keeps user text from breaking the Markdown list: line breaks
// and other white space become one space, control characters (a terminal's
// escape sequences, when the credits are printed) a space too.
func mdEscape(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "`", "\\`", `*`, `\*`, `_`, `\_`, `<`, `&lt;`).Replace(s)
}

// mdCode writes s, a file name, as a Markdown code span that it cannot end
// early: fenced by one backtick more than its longest run of them (with a
// space inside where s starts or ends with one), its control characters (a
// line break would end the list item) replaced by U+FFFD.
func mdCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
	longest, run := 0, 0
	for _, r := range s {
		if r != '`' {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	fence := strings.Repeat("`", longest+1)
	return fence + s + fence
}
