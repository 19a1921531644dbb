package crawl

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

func TestAttribution(t *testing.T) {
	f := newFixture(t)
	f.fake.Add("monkey", flickrtest.Photo{ID: "111", OwnerName: "Ann [A]", Title: "Monkey *on* tree", License: "4"},
		flickrtest.Photo{ID: "222", OwnerName: "", Owner: "2@N00", Title: "", License: "0"},
		flickrtest.Photo{ID: "333", OwnerName: "Excluded", Title: "x", License: "5"},
		flickrtest.Photo{ID: "444", OwnerName: "Deleted", Title: "y", License: "99"})
	f.cfg.PerClass = 4
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := f.classDir("monkey")
	if err := dataset.AddExclusions(dir, "", "333"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "444.jpg")); err != nil {
		t.Fatal(err)
	}
	s := credits(t, f.cfg.ImagesDir)
	for _, want := range []string{
		"## monkey (2 photos)",
		"- `111.jpg`: [Monkey \\*on\\* tree](https://www.flickr.com/photos/",
		// The license's name as Flickr's license list gives it.
		"by Ann \\[A\\], [Attribution License](https://creativecommons.org/licenses/by/2.0/)",
		"- `222.jpg`: [untitled](https://www.flickr.com/photos/2@N00/222/) by 2@N00, All Rights Reserved",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("attribution lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "333") || strings.Contains(s, "444") {
		t.Errorf("excluded or deleted photo credited:\n%s", s)
	}
	// Classes named: those only, once each, and each must have been crawled.
	var out bytes.Buffer
	if err := WriteAttribution(&out, f.cfg.ImagesDir, []string{"monkey"}); err != nil || !strings.Contains(out.String(), "## monkey (2 photos)") {
		t.Errorf("monkey named: %v\n%s", err, out.String())
	}
	if err := WriteAttribution(io.Discard, filepath.Join(t.TempDir(), "none"), nil); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "crawl photos first") {
		t.Errorf("no images folder: %v, want fs.ErrNotExist saying to crawl first", err)
	}
	for _, classes := range [][]string{{"lion"}, {"monkey", "monkey"}} {
		if err := WriteAttribution(io.Discard, f.cfg.ImagesDir, classes); err == nil {
			t.Errorf("classes %q: no error", classes)
		}
	}
	if licenseInfo("99").Name != "Flickr license 99" {
		t.Error("unknown license id")
	}
	// A class folder that is a link to photos kept elsewhere is credited
	// too, as prepare trains on it.
	linked := t.TempDir()
	if err := os.Symlink(dir, filepath.Join(linked, "monkey")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := WriteAttribution(&out, linked, nil); err != nil || !strings.Contains(out.String(), "## monkey (2 photos)") {
		t.Errorf("a linked class folder: %v\n%s", err, out.String())
	}
}

// A hostile search answer cannot inject Markdown into the credits: an
// owner id that would end the page link, start a javascript: link and a
// heading stays inside the escaped page URL.
func TestAttributionEscapesOwner(t *testing.T) {
	f := newFixture(t)
	owner := "x/) [click me](javascript:alert(1))\n\n# Injected heading\n("
	f.fake.Add("monkey", flickrtest.Photo{ID: "111", Owner: owner, OwnerName: "Ann", Title: "t", License: "4"})
	f.cfg.PerClass = 1
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	s := credits(t, f.cfg.ImagesDir)
	if strings.Contains(s, "](javascript:") || strings.Contains(s, "\n# Injected") || strings.Count(s, "\n- ") != 1 {
		t.Errorf("credits:\n%s", s)
	}
	if !strings.Contains(s, "(https://www.flickr.com/photos/x%2F%29%20%5Bclick%20me%5D%28javascript:alert%281%29%29%0A%0A%23%20Injected%20heading%0A%28/111/)") {
		t.Errorf("page link not escaped as a path segment:\n%s", s)
	}
	if _, ok := mdURL("javascript:alert(1)"); ok {
		t.Error("mdURL accepted a javascript: URL")
	}
}

// Texts from Flickr reach the credits, which "animalcnn attribution" prints
// to the terminal, without their control characters: a title cannot clear
// the screen or retitle the terminal with escape sequences.
func TestAttributionDropsControlCharacters(t *testing.T) {
	f := newFixture(t)
	f.fake.Add("monkey", flickrtest.Photo{ID: "111", OwnerName: "Ann\x07", Title: "\x1b[2J\x1b]0;pwned\x07Monkey\x00", License: "4"})
	f.cfg.PerClass = 1
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	s := credits(t, f.cfg.ImagesDir)
	if strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) {
		t.Errorf("control characters in the credits: %q", s)
	}
	if !strings.Contains(s, "[\\[2J \\]0;pwned Monkey](https://www.flickr.com/photos/") || !strings.Contains(s, " by Ann, ") {
		t.Errorf("credits:\n%s", s)
	}
}

// A photo's file name is a code span in the credits that nothing in the
// name can end early: a file found in the class folder (adopted without a
// manifest line) may be named anything after the photo id. A backtick in
// it ended the span, and a line break started a list item of its own.
func TestAttributionFileNameStaysCode(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 1)
	f.cfg.PerClass = 1
	dir := f.classDir("monkey")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := photos[0].ID + ".a``b\n- `made up` by nobody.jpg"
	img := imagetest.Encode(t, "jpeg", flickrtest.Generate("x", 32, 32))
	if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Recovered != 1 {
		t.Fatalf("report %+v, want the file adopted", c)
	}
	s := credits(t, f.cfg.ImagesDir)
	want := "- ```" + photos[0].ID + ".a``b\ufffd- `made up` by nobody.jpg```: ["
	if strings.Count(s, "\n- ") != 1 || !strings.Contains(s, want) {
		t.Errorf("credits, want one item starting %q:\n%s", want, s)
	}
}

// A file in the class folder named after a photo id, whose name is not
// valid UTF-8, is not adopted: the manifest (JSON) cannot record its name,
// which read back names another file (U+FFFD for each odd byte), so the
// photo, kept on disk and trained on, was missing from the manifest read
// back and from the credits. The photo is downloaded instead.
func TestOrphanWithNonUTF8NameNotAdopted(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 1)
	f.cfg.PerClass = 1
	dir := f.classDir("monkey")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	img := imagetest.Encode(t, "jpeg", flickrtest.Generate("x", 32, 32))
	if err := os.WriteFile(filepath.Join(dir, photos[0].ID+".caf\xe9.jpg"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 1 || c.Recovered != 0 || c.Downloaded != 1 {
		t.Errorf("report %+v, want the photo downloaded, not the file adopted", c)
	}
	entries, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.File)); err != nil {
			t.Errorf("manifest entry %+v: %v", e, err)
		}
	}
	if s := credits(t, f.cfg.ImagesDir); !strings.Contains(s, "## monkey (1 photos)") {
		t.Errorf("credits:\n%s", s)
	}
}

// credits returns the credits WriteAttribution writes for every class of
// imagesDir.
func credits(t *testing.T, imagesDir string) string {
	t.Helper()
	var out bytes.Buffer
	if err := WriteAttribution(&out, imagesDir, nil); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
