package curate

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/disintegration/imaging"
)

// The pictures are flickrtest.Generate's: deterministic and different for
// each seed (package flickrtest does not import crawl).

func writeJPEG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.WriteFile(path, imagetest.Encode(t, "jpeg", img), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestListImagesSkipsWhatPrepareSkips: the contact sheet lists the files
// Prepare reads, whatever their extension (it decodes by content: a picture
// saved without one is trained on), and leaves out the hidden, temporary and
// sidecar files Prepare leaves out.
func TestListImagesSkipsWhatPrepareSkips(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.jpg", "a.PNG", "p00", "#a.jpg", "~lock.jpg", ".hidden.jpg", "notes.txt", "clip.mov"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.jpg"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.PNG", "b.jpg", "clip.mov", "p00"}; !slices.Equal(got, want) {
		t.Errorf("ListImages = %q, want %q", got, want)
	}
}

func TestContactSheetAndExcludeByNumber(t *testing.T) {
	dir := t.TempDir()
	for i := range 12 {
		writeJPEG(t, filepath.Join(dir, string(rune('a'+i))+".jpg"), flickrtest.Generate(string(rune('a'+i)), 120, 90))
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.jsonl"), []byte("\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sheet, files, err := ContactSheet(dir, SheetOptions{Thumb: 40, Columns: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 13 || files[0] != "a.jpg" || files[1] != "b.jpg" || files[12] != "l.jpg" {
		t.Fatalf("files %v", files)
	}
	// 5 columns × 3 rows of 40 px thumbnails with 4 px gaps.
	if b := sheet.Bounds(); b.Dx() != 5*44+4 || b.Dy() != 3*44+4 {
		t.Errorf("sheet is %v", b)
	}
	if err := ExcludeByNumber(dir, files, "blurry", 2, 3); err != nil {
		t.Fatal(err)
	}
	if err := ExcludeByNumber(dir, files, "", 14); err == nil {
		t.Error("number 14 accepted on a 13-photo sheet")
	}
	excl, err := dataset.ReadExclusions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !dataset.Excluded(excl, "b.jpg") || !dataset.Excluded(excl, "broken.png") || dataset.Excluded(excl, "a.jpg") {
		t.Errorf("exclusions %v", excl)
	}
	_, files, err = ContactSheet(dir, SheetOptions{Thumb: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 11 || slices.Contains(files, "b.jpg") {
		t.Errorf("files after excluding %v", files)
	}
	_, files, err = ContactSheet(dir, SheetOptions{Thumb: 40, IncludeExcluded: true, Offset: 10, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(files, []string{"j.jpg", "k.jpg"}) {
		t.Errorf("window %v", files)
	}
}

func TestNearDuplicates(t *testing.T) {
	dir := t.TempDir()
	a := flickrtest.Generate("a", 200, 150)
	writeJPEG(t, filepath.Join(dir, "a.jpg"), a)
	writeJPEG(t, filepath.Join(dir, "a-small.jpg"), imaging.Resize(a, 120, 90, imaging.Linear))
	writeJPEG(t, filepath.Join(dir, "b.jpg"), flickrtest.Generate("b", 200, 150))
	writeJPEG(t, filepath.Join(dir, "c.jpg"), flickrtest.Generate("c", 200, 150))
	groups, err := NearDuplicates(dir, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || !slices.Equal(groups[0], []string{"a-small.jpg", "a.jpg"}) {
		t.Errorf("groups %v", groups)
	}
	if err := dataset.AddExclusions(dir, "", "a-small.jpg"); err != nil {
		t.Fatal(err)
	}
	if groups, _ := NearDuplicates(dir, 6); len(groups) != 0 {
		t.Errorf("groups with the copy excluded %v", groups)
	}
	if _, err := NearDuplicates(dir, -1); err == nil {
		t.Error("negative distance accepted")
	}
}
