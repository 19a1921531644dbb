package curate

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/corona10/goimagehash"
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

// solid returns a w×h picture of one colour.
func solid(w, h int, c color.NRGBA) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.WriteFile(path, imagetest.Encode(t, "png", img), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rgb returns the colour of img at (x, y), 8 bits a channel.
func rgb(img image.Image, x, y int) [3]int {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

func sameColour(got [3]int, want color.Color, tol int) bool {
	r, g, b, _ := want.RGBA()
	for i, w := range []uint32{r >> 8, g >> 8, b >> 8} {
		if d := got[i] - int(w); d > tol || d < -tol {
			return false
		}
	}
	return true
}

// TestContactSheetDrawing checks the sheet's pixels: the grid row by row on
// the background, each picture fitted and centred in its cell (not
// squashed), a dark red cell for a file that does not decode, a red cross
// over an excluded picture, and each cell's number from 1 on a dark label.
func TestContactSheetDrawing(t *testing.T) {
	dir := t.TempDir()
	green, blue, red, white := color.NRGBA{0, 255, 0, 255}, color.NRGBA{0, 0, 255, 255}, color.NRGBA{255, 0, 0, 255}, color.NRGBA{255, 255, 255, 255}
	writePNG(t, filepath.Join(dir, "01.png"), solid(120, 60, green)) // landscape
	writePNG(t, filepath.Join(dir, "02.png"), solid(60, 120, blue))  // portrait
	if err := os.WriteFile(filepath.Join(dir, "03.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(dir, "04.png"), solid(40, 40, red))
	for i := 5; i <= 11; i++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), solid(40, 40, white))
	}
	if err := dataset.AddExclusions(dir, "", "04.png"); err != nil {
		t.Fatal(err)
	}
	sheet, files, err := ContactSheet(dir, SheetOptions{Thumb: 40, Columns: 5, IncludeExcluded: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 11 || sheet.Bounds() != image.Rect(0, 0, 5*44+4, 3*44+4) {
		t.Fatalf("%d files on a %v sheet, want 11 on 5×3 cells", len(files), sheet.Bounds())
	}
	// cell returns the top-left corner of the cell of files[i].
	cell := func(i int) (int, int) { return 4 + i%5*44, 4 + i/5*44 }
	type probe struct {
		name string
		i    int // cell
		x, y int // in the cell
		want color.Color
	}
	for _, p := range []probe{
		{"sheet corner", 0, -4, -4, sheetBackground},
		{"landscape picture", 0, 20, 20, green},
		{"above the centred landscape picture", 0, 39, 2, sheetBackground},
		{"below the centred landscape picture", 0, 39, 37, sheetBackground},
		{"portrait picture", 1, 20, 20, blue},
		{"left of the centred portrait picture", 1, 3, 30, sheetBackground},
		{"right of the centred portrait picture", 1, 36, 30, sheetBackground},
		{"broken picture", 2, 39, 39, brokenColour},
		{"excluded picture", 3, 20, 5, red},
		{"cross, top border", 3, 30, 1, crossColour},
		{"cross, right border", 3, 39, 30, crossColour},
		{"cross, diagonal", 3, 25, 25, crossColour},
		{"cross, other diagonal", 3, 39 - 25, 25, crossColour},
		{"second row", 5, 30, 30, white},
		{"empty cell", 14, 20, 20, sheetBackground},
	} {
		x0, y0 := cell(p.i)
		if got := rgb(sheet, x0+p.x, y0+p.y); !sameColour(got, p.want, 2) {
			t.Errorf("%s: cell %d (%d,%d) is %v, want %v", p.name, p.i+1, p.x, p.y, got, p.want)
		}
	}
	// Labels: 7 pixels a digit plus 4, 15 high, darkening what is below; the
	// tenth cell's is two digits wide ("10"), the first's one.
	for _, p := range []struct {
		i, x int
		dark bool
	}{{0, 10, true}, {0, 12, false}, {9, 17, true}, {9, 19, false}} {
		x0, y0 := cell(p.i)
		below := green
		if p.i == 9 {
			below = white
		}
		got := rgb(sheet, x0+p.x, y0+14)
		if dark := !sameColour(got, below, 2); dark != p.dark || (dark && got[1] > 80) {
			t.Errorf("label of cell %d at x %d: %v, want dark %v", p.i+1, p.x, got, p.dark)
		}
	}
	// Digits in white: in the first cell's label and in the broken cell's "?".
	for _, c := range []struct{ i, x0, y0, x1, y1 int }{{0, 2, 1, 9, 14}, {2, 10, 10, 30, 30}} {
		x0, y0 := cell(c.i)
		found := false
		for y := y0 + c.y0; y < y0+c.y1; y++ {
			for x := x0 + c.x0; x < x0+c.x1; x++ {
				found = found || sameColour(rgb(sheet, x, y), white, 10)
			}
		}
		if !found {
			t.Errorf("cell %d: no white text", c.i+1)
		}
	}
}

// TestContactSheetOptions: the default thumbnail size and columns, fewer
// columns for fewer pictures, and offsets and limits beyond the list.
func TestContactSheetOptions(t *testing.T) {
	dir := t.TempDir()
	for i := range 10 {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), solid(8, 8, color.NRGBA{uint8(i * 20), 0, 0, 255}))
	}
	for _, c := range []struct {
		name   string
		opts   SheetOptions
		bounds image.Rectangle
		first  string
		n      int
	}{
		{"defaults: 96 px, 10 columns", SheetOptions{}, image.Rect(0, 0, 10*100+4, 100+4), "00.png", 10},
		{"negative sizes are the defaults", SheetOptions{Thumb: -1, Columns: -1}, image.Rect(0, 0, 10*100+4, 100+4), "00.png", 10},
		{"3 columns", SheetOptions{Thumb: 10, Columns: 3}, image.Rect(0, 0, 3*14+4, 4*14+4), "00.png", 10},
		{"fewer pictures than columns", SheetOptions{Thumb: 10, Columns: 5, Offset: 7}, image.Rect(0, 0, 3*14+4, 14+4), "07.png", 3},
		{"negative offset", SheetOptions{Thumb: 10, Offset: -3, Limit: 2}, image.Rect(0, 0, 2*14+4, 14+4), "00.png", 2},
		{"limit beyond the list", SheetOptions{Thumb: 10, Offset: 8, Limit: 5}, image.Rect(0, 0, 2*14+4, 14+4), "08.png", 2},
	} {
		sheet, files, err := ContactSheet(dir, c.opts)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if sheet.Bounds() != c.bounds || len(files) != c.n || files[0] != c.first {
			t.Errorf("%s: %v sheet of %v, want %v of %d from %s", c.name, sheet.Bounds(), files, c.bounds, c.n, c.first)
		}
	}
	// A large class: DefaultSheetLimit photos unless asked for all.
	many := t.TempDir()
	for i := range DefaultSheetLimit + 20 {
		writePNG(t, filepath.Join(many, fmt.Sprintf("%03d.png", i)), solid(2, 2, color.NRGBA{uint8(i), 0, 0, 255}))
	}
	for _, c := range []struct {
		limit, n int
		last     string
	}{{0, DefaultSheetLimit, "099.png"}, {-1, DefaultSheetLimit + 20, "119.png"}, {110, 110, "109.png"}} {
		_, files, err := ContactSheet(many, SheetOptions{Thumb: 2, Limit: c.limit})
		if err != nil || len(files) != c.n || files[len(files)-1] != c.last {
			t.Errorf("limit %d of %d photos: %v (%v); want %d, the last %s", c.limit, DefaultSheetLimit+20, files, err, c.n, c.last)
		}
	}
	for _, off := range []int{10, 25} {
		if _, _, err := ContactSheet(dir, SheetOptions{Offset: off}); err == nil || !strings.Contains(err.Error(), "no photos") {
			t.Errorf("offset %d of 10: %v, want no photos", off, err)
		}
	}
	if _, _, err := ContactSheet(t.TempDir(), SheetOptions{}); err == nil || !strings.Contains(err.Error(), "no photos") {
		t.Errorf("empty folder: %v, want no photos", err)
	}
}

// TestCurateErrors: a folder that cannot be listed, or whose exclude.txt
// cannot be read, is an error rather than a sheet or groups that ignore
// it; numbers off the sheet and names exclude.txt cannot hold are refused.
func TestCurateErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	if _, _, err := ContactSheet(missing, SheetOptions{}); err == nil {
		t.Error("ContactSheet of a missing folder: no error")
	}
	if _, err := NearDuplicates(missing, 0); err == nil {
		t.Error("NearDuplicates of a missing folder: no error")
	}
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), solid(8, 8, color.NRGBA{0, 0, 0, 255}))
	if err := os.Mkdir(filepath.Join(dir, dataset.ExcludeFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ContactSheet(dir, SheetOptions{}); err == nil {
		t.Error("ContactSheet with an unreadable exclude.txt: no error")
	}
	if _, err := NearDuplicates(dir, 0); err == nil {
		t.Error("NearDuplicates with an unreadable exclude.txt: no error")
	}
	files := []string{"a.jpg", "b#2.jpg", "c.jpg"}
	for _, n := range []int{0, -1, 4} {
		if err := ExcludeByNumber(t.TempDir(), files, "", n); err == nil || !strings.Contains(err.Error(), "not on the sheet (1 to 3)") {
			t.Errorf("number %d: %v, want not on the sheet", n, err)
		}
	}
	other := t.TempDir()
	if err := ExcludeByNumber(other, files, "", 3); err != nil {
		t.Errorf("the last number: %v", err)
	}
	if err := ExcludeByNumber(other, files, "", 2); err == nil || !strings.Contains(err.Error(), "cannot be listed") {
		t.Errorf("a name with '#': %v, want an error", err)
	}
	excl, err := dataset.ReadExclusions(other)
	if err != nil || !maps.Equal(excl, map[string]bool{"c.jpg": true}) {
		t.Errorf("exclusions %v, %v; want c.jpg only", excl, err)
	}
}

// TestNearDuplicatesGrouping: distance 0 groups identical pictures, the
// distance is inclusive, a picture near two others that are not near each
// other joins them in one group, groups come sorted, files that do not
// decode are skipped, and distances beyond 0..64 are refused.
func TestNearDuplicatesGrouping(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []string{"p", "q", "r", "s"} {
		img := flickrtest.Generate(s, 200, 150)
		writePNG(t, filepath.Join(dir, s+"1.png"), img)
		writePNG(t, filepath.Join(dir, s+"2.png"), img)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.jpg"), []byte("\xff\xd8\xff\xe0 truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"p1.png", "p2.png"}, {"q1.png", "q2.png"}, {"r1.png", "r2.png"}, {"s1.png", "s2.png"}}
	for range 3 { // the groups come from a map: their order must not
		groups, err := NearDuplicates(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(groups, want, slices.Equal) {
			t.Fatalf("groups %v, want %v", groups, want)
		}
	}
	if groups, err := NearDuplicates(dir, 64); err != nil || len(groups) != 1 || len(groups[0]) != 8 {
		t.Errorf("distance 64: %v, %v; want one group of every picture", groups, err)
	}
	if _, err := NearDuplicates(dir, 65); err == nil {
		t.Error("distance 65 accepted")
	}

	// a and b differ; c, their mixture, is nearer to each than they are to
	// each other.
	chain := t.TempDir()
	a, b := flickrtest.Generate("a", 200, 150), flickrtest.Generate("b", 200, 150)
	mix := image.NewNRGBA(a.Bounds())
	for y := range 150 {
		for x := range 200 {
			ra, ga, ba, _ := a.At(x, y).RGBA()
			rb, gb, bb, _ := b.At(x, y).RGBA()
			mix.SetNRGBA(x, y, color.NRGBA{uint8((ra + rb) >> 9), uint8((ga + gb) >> 9), uint8((ba + bb) >> 9), 255})
		}
	}
	var hashes []*goimagehash.ImageHash
	for _, img := range []image.Image{a, b, mix} {
		h, err := goimagehash.PerceptionHash(img)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	ab, _ := hashes[0].Distance(hashes[1])
	ac, _ := hashes[0].Distance(hashes[2])
	bc, _ := hashes[1].Distance(hashes[2])
	if ab <= max(ac, bc) {
		t.Fatalf("fixture: distances a-b %d, a-c %d, b-c %d; want a-b the largest", ab, ac, bc)
	}
	writePNG(t, filepath.Join(chain, "a.png"), a)
	writePNG(t, filepath.Join(chain, "b.png"), b)
	writePNG(t, filepath.Join(chain, "c.png"), mix)
	if groups, err := NearDuplicates(chain, max(ac, bc)); err != nil || !slices.EqualFunc(groups, [][]string{{"a.png", "b.png", "c.png"}}, slices.Equal) {
		t.Errorf("distance %d: %v, %v; want a, b and c in one group", max(ac, bc), groups, err)
	}
	if groups, err := NearDuplicates(chain, min(ac, bc)-1); err != nil || len(groups) != 0 {
		t.Errorf("distance %d: %v, %v; want no group", min(ac, bc)-1, groups, err)
	}
}
