package dataset

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// TestSelectTestCounts: ceil(fraction × n) test photos, exactly (0.14 × 50
// is 7.000000000000001 in floating point: 7, not 8), and never all of a
// class's photos.
func TestSelectTestCounts(t *testing.T) {
	for _, c := range []struct {
		n        int
		fraction float64
		want     int
	}{{50, 0.14, 7}, {100, 0.07, 7}, {10, 0.25, 3}, {10, 0.95, 9}, {1, 0.5, 0}} {
		ps := make([]*photo, c.n)
		for i := range ps {
			ps[i] = &photo{name: fmt.Sprintf("p%03d.png", i)}
		}
		cfg := DefaultConfig()
		cfg.TestFraction = c.fraction
		if got := len(selectTest(ps, "c", cfg)); got != c.want {
			t.Errorf("%d photos at %g: %d test photos, want %d", c.n, c.fraction, got, c.want)
		}
	}
}

// TestPrepareArraysHoldTheSourcePictures: every training and test sample is
// its source file through imageio.ToRGB, byte for byte (gradients, so that
// a shifted or truncated copy shows).
func TestPrepareArraysHoldTheSourcePictures(t *testing.T) {
	images := filepath.Join(t.TempDir(), "images")
	writeGradients(t, images, 6, 20)
	cfg := testConfig(images)
	prepare(t, cfg)
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Split{&ds.Train, &ds.Test} {
		if s.N == 0 || len(s.Files) != s.N {
			t.Fatalf("%d samples, %d files", s.N, len(s.Files))
		}
		for i, f := range s.Files {
			img, err := imageio.Load(filepath.Join(images, f))
			if err != nil {
				t.Fatal(err)
			}
			if want := imageio.ToRGB(img, cfg.ImageSize); !slices.Equal(s.Image(i), want) {
				t.Errorf("sample %d (%s) differs from its source", i, f)
			}
		}
	}
}

// TestPrepareIgnoresHiddenFolders: a hidden folder (.ipynb_checkpoints,
// .git) is no class.
func TestPrepareIgnoresHiddenFolders(t *testing.T) {
	images := makeTree(t, 3, 3)
	writePNG(t, filepath.Join(images, ".ipynb_checkpoints", "p00.png"), solid(photoColor(0, 0)))
	s := prepare(t, testConfig(images))
	if !slices.Equal(s.Meta.Classes, []string{"c0", "c1"}) {
		t.Errorf("classes %v, want [c0 c1]", s.Meta.Classes)
	}
}

// TestLoadChecksLabelsAndShape: labels out of range, a labels array of
// another length, and images arrays of another shape (each with the byte
// count of its shape) are refused, each with an error that says what is
// wrong, not only that the arrays no longer hash to dataset.json's hash.
func TestLoadChecksLabelsAndShape(t *testing.T) {
	cfg := testConfig(makeTree(t, 3, 3))
	prepare(t, cfg)
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	n, size, classes := ds.Train.N, ds.Meta.ImageSize, len(ds.Meta.Classes)
	labels := func(count int, last int32) []byte {
		b := make([]byte, 4*count)
		binary.LittleEndian.PutUint32(b[4*(count-1):], uint32(last))
		return b
	}
	images := func(shape ...int) (string, []byte) {
		dims, count := make([]string, len(shape)), 1
		for i, d := range shape {
			dims[i], count = fmt.Sprint(d), count*d
		}
		return "(" + strings.Join(dims, ", ") + ")", make([]byte, count)
	}
	for _, tc := range []struct {
		name, shape string
		body        []byte
		want        string
	}{
		{"label one past the last class", fmt.Sprintf("(%d,)", n), labels(n, int32(classes)), "out of range"},
		{"negative label", fmt.Sprintf("(%d,)", n), labels(n, -1), "out of range"},
		{"one label too many", fmt.Sprintf("(%d,)", n+1), labels(n+1, 0), fmt.Sprintf("%d labels, want %d", n+1, n)},
	} {
		prepare(t, cfg)
		craftNPY(t, filepath.Join(cfg.DataDir, TrainLabelsFile), "<i4", tc.shape, tc.body)
		if _, err := Load(cfg.DataDir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	for _, shape := range [][]int{
		{n, size, size, 4}, // RGBA
		{n + 1, size, size, 3},
		{n, size + 1, size, 3},
		{n, size, size + 1, 3},
		{n, size, size * 3}, // 3-D
		{n, size, size, 3, 1},
	} {
		prepare(t, cfg)
		dims, body := images(shape...)
		craftNPY(t, filepath.Join(cfg.DataDir, TrainImagesFile), "|u1", dims, body)
		if _, err := Load(cfg.DataDir); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("shape %v", shape)) {
			t.Errorf("images of shape %s: %v, want an error naming the shape", dims, err)
		}
	}
}

// TestLoadChecksMetadata: a dataset.json of another version, or edited to
// fewer than two classes, no image size or no samples per photo, is refused
// with the reason.
func TestLoadChecksMetadata(t *testing.T) {
	cfg := testConfig(makeTree(t, 3, 3))
	prepare(t, cfg)
	path := filepath.Join(cfg.DataDir, MetaFile)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key   string
		value any
		want  string
	}{
		{"version", MetaVersion + 1, fmt.Sprintf("version %d, want %d", MetaVersion+1, MetaVersion)},
		{"classes", []string{"c0"}, "at least 2 classes"},
		{"image_size", 0, "positive image size"},
		{"samples_per_photo", 0, "samples per photo"},
		// A damaged count would have Load list a billion photo names.
		{"samples_per_photo", 1e9, "1000000000 samples per photo, want 1 with augmentation false"},
		{"files", []map[string]any{{"path": "c0/a.png", "split": "validation"}}, `split "validation", which is neither "train" nor "test"`},
	} {
		var m map[string]any
		if err := json.Unmarshal(orig, &m); err != nil {
			t.Fatal(err)
		}
		m[tc.key] = tc.value
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, b)
		if _, err := Load(cfg.DataDir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: %v, want an error saying %q", tc.key, tc.value, err, tc.want)
		}
	}
}

// TestDuplicatesKeepTheFirst: of two identical files in a class, the first
// in file-name order is used and the other skipped as its duplicate.
func TestDuplicatesKeepTheFirst(t *testing.T) {
	images := makeTree(t, 3, 3)
	writePNG(t, filepath.Join(images, "c0", "a.png"), solid(photoColor(0, 9)))
	writePNG(t, filepath.Join(images, "c0", "b.png"), solid(photoColor(0, 9)))
	s := prepare(t, testConfig(images))
	var reason string
	for _, sk := range s.Meta.Skipped {
		if sk.Path == "c0/a.png" {
			t.Errorf("c0/a.png skipped: %s", sk.Reason)
		}
		if sk.Path == "c0/b.png" {
			reason = sk.Reason
		}
	}
	if !strings.Contains(reason, "duplicate of c0/a.png") {
		t.Errorf("c0/b.png: %q, want a duplicate of c0/a.png", reason)
	}
}

// TestBilinearRounds: a sample between two pixels rounds to nearest (0 and
// 10 at x = 0.75 give 7.5, written 8), not down.
func TestBilinearRounds(t *testing.T) {
	src := []uint8{0, 0, 0, 10, 10, 10} // 2×1
	out := make([]uint8, 3)
	bilinear(out, src, 2, 1, 0.75, 0)
	if out[0] != 8 {
		t.Errorf("got %d, want 8", out[0])
	}
}

// TestShiftRepeatsTheEdge: a shifted image's uncovered border repeats its
// edge pixels (as RandomAugment documents), not the opposite edge.
func TestShiftRepeatsTheEdge(t *testing.T) {
	const size = 4
	src := make([]uint8, size*size*3)
	for y := range size {
		for x := range size {
			src[(y*size+x)*3] = uint8(10*x + 100*y) // a gradient both ways
		}
	}
	dst := make([]uint8, len(src))
	at := func(pix []uint8, x, y int) uint8 { return pix[(y*size+x)*3] }
	shiftInto(dst, src, size, 1, 1) // right and down by one
	for y := range size {
		for x := range size {
			want := at(src, max(x-1, 0), max(y-1, 0))
			if got := at(dst, x, y); got != want {
				t.Fatalf("(%d, %d) = %d, want %d", x, y, got, want)
			}
		}
	}
	shiftInto(dst, src, size, -1, -1) // left and up
	if got, want := at(dst, size-1, size-1), at(src, size-1, size-1); got != want {
		t.Errorf("bottom-right after a shift up-left: %d, want the edge pixel %d", got, want)
	}
}

// TestFortranOrderRefused: an array stored column-major (fortran_order
// True) would be read transposed: it is refused.
func TestFortranOrderRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.npy")
	craftNPY(t, path, "|u1", "(2, 3)", []byte{1, 2, 3, 4, 5, 6})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := readUint8NPY(path); err != nil {
		t.Fatalf("the C-order original: %v", err)
	}
	// The header as numpy writes it, its length kept by one more space of
	// padding: a well-formed header, refused for its order alone.
	h := strings.Replace(string(b), "'fortran_order': False, ", "'fortran_order': True, ", 1)
	h = strings.Replace(h, "\n", " \n", 1)
	if err := os.WriteFile(path, []byte(h), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readUint8NPY(path); err == nil || !strings.Contains(err.Error(), "fortran order true") {
		t.Errorf("a Fortran-order array: %v, want it refused for its order", err)
	}
}
