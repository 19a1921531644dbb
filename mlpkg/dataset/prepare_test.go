package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/internal/testenv"

	"codeberg.org/sbinet/npyio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
	"github.com/animalcnn/animalcnn/mlpkg/internal/textwidth"
	"golang.org/x/image/bmp"
)

const testSize = 8

// photoColor is the solid colour of photo i of class label in test trees, so
// that a sample's pixels tell which file it came from.
func photoColor(label, i int) color.NRGBA {
	return color.NRGBA{uint8(40*label + 10), uint8(5 * i), 200, 255}
}

func solid(c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 12, 12))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []uint8{c.R, c.G, c.B, c.A})
	}
	return img
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.Bytes())
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeTree writes counts[label] solid PNGs per class "c<label>", named
// p00.png, p01.png, … and returns the images folder.
func makeTree(t *testing.T, counts ...int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "images")
	for label, n := range counts {
		for i := range n {
			writePNG(t, filepath.Join(dir, fmt.Sprintf("c%d", label), fmt.Sprintf("p%02d.png", i)), solid(photoColor(label, i)))
		}
	}
	return dir
}

func testConfig(images string) Config {
	cfg := DefaultConfig()
	cfg.ImagesDir = images
	cfg.DataDir = filepath.Join(filepath.Dir(images), "processed")
	cfg.ImageSize = testSize
	cfg.MinPerClass = 2
	return cfg
}

func prepare(t *testing.T, cfg Config) *Summary {
	t.Helper()
	s, err := Prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sampleSource returns "c<label>/pNN.png" from a sample's first pixel.
func sampleSource(pix []uint8) string {
	return fmt.Sprintf("c%d/p%02d.png", (int(pix[0])-10)/40, int(pix[1])/5)
}

func TestPrepareSkipsAndReportsBadFiles(t *testing.T) {
	images := makeTree(t, 5, 5)
	a, b := filepath.Join(images, "c0"), filepath.Join(images, "c1")
	// Other formats are photos too, whatever their extension.
	var buf bytes.Buffer
	jpeg.Encode(&buf, solid(photoColor(0, 5)), &jpeg.Options{Quality: 100})
	writeFile(t, filepath.Join(a, "p05.jpg"), buf.Bytes())
	buf.Reset()
	gif.Encode(&buf, solid(color.NRGBA{0, 0, 0, 255}), nil)
	writeFile(t, filepath.Join(a, "p06.gif"), buf.Bytes())
	buf.Reset()
	bmp.Encode(&buf, solid(photoColor(0, 7)))
	writeFile(t, filepath.Join(a, "p07"), buf.Bytes()) // no extension
	webp, err := os.ReadFile("../imageio/testdata/quadrants_lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(a, "p08.webp"), webp)
	// Bad files: all skipped and reported.
	noise := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(i * 31)
	}
	buf.Reset()
	jpeg.Encode(&buf, noise, nil)
	writeFile(t, filepath.Join(b, "truncated.jpg"), buf.Bytes()[:buf.Len()/2])
	writeFile(t, filepath.Join(b, "zero.jpg"), nil)
	writeFile(t, filepath.Join(b, "text.jpg"), []byte("I am not a photo\n"))
	// Sidecars and curation: ignored or excluded, not reported as skipped.
	writeFile(t, filepath.Join(a, "manifest.jsonl"), []byte(`{"id":"p00"}`+"\n"))
	writeFile(t, filepath.Join(a, ".DS_Store"), []byte("junk"))
	writeFile(t, filepath.Join(a, "p09.jpg.part"), []byte("partial"))
	writeFile(t, filepath.Join(a, "sub", "p10.png"), []byte("in a sub-folder"))
	writeFile(t, filepath.Join(b, ExcludeFile), []byte("# blurry\np01.png\np02\n"))

	cfg := testConfig(images)
	cfg.TestFraction = 0
	s := prepare(t, cfg)
	m := s.Meta

	wantSkipped := map[string]string{
		"c1/truncated.jpg": "decode jpeg:",
		"c1/zero.jpg":      "empty file",
		"c1/text.jpg":      "not a supported image",
	}
	if len(m.Skipped) != len(wantSkipped) {
		t.Errorf("skipped %v, want %v", m.Skipped, wantSkipped)
	}
	for _, sk := range m.Skipped {
		if want, ok := wantSkipped[sk.Path]; !ok || !strings.Contains(sk.Reason, want) {
			t.Errorf("skipped %s: %q, want a reason containing %q", sk.Path, sk.Reason, want)
		}
	}
	want := []ClassCounts{
		{Class: "c0", Label: 0, Files: 9, Train: 9, TrainSamples: 9},
		{Class: "c1", Label: 1, Files: 8, Excluded: 2, Skipped: 3, Train: 3, TrainSamples: 3},
	}
	if !slices.Equal(m.Counts, want) {
		t.Errorf("counts\n%+v\nwant\n%+v", m.Counts, want)
	}
	slices.Sort(s.Ignored)
	if want := []string{"c0/.DS_Store", "c0/manifest.jsonl", "c0/p09.jpg.part", "c0/sub", "c1/exclude.txt"}; !slices.Equal(s.Ignored, want) {
		t.Errorf("ignored %v, want %v", s.Ignored, want)
	}
	for _, f := range m.Files {
		if f.Path == "c1/p01.png" || f.Path == "c1/p02.png" {
			t.Errorf("excluded %s used", f.Path)
		}
		if len(f.SHA256) != 64 {
			t.Errorf("%s: sha256 %q", f.Path, f.SHA256)
		}
	}
	if !strings.Contains(s.String(), "c1/zero.jpg: empty file") {
		t.Errorf("summary does not list the skipped file:\n%s", s)
	}
	// ClassFiles (the contact sheets' list) lists the files Prepare read.
	for i, dir := range []string{a, b} {
		files, err := ClassFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != m.Counts[i].Files || !slices.Contains(files, "p04.png") || slices.Contains(files, "manifest.jsonl") {
			t.Errorf("ClassFiles(%s) = %q, want the %d files Prepare read", filepath.Base(dir), files, m.Counts[i].Files)
		}
	}
	if files, _ := ClassFiles(a); !slices.Contains(files, "p07") {
		t.Errorf("ClassFiles(c0) = %q leaves out p07, a picture without extension that Prepare reads", files)
	}
	// The notebooks' and the command line's formats: "50×50", "25 %".
	if head := fmt.Sprintf("2 classes, %d×%d RGB, split: random 0 %% test (seed 1)", testSize, testSize); !strings.HasPrefix(s.String(), head) {
		t.Errorf("summary does not start with %q:\n%s", head, s)
	}
	// The JPEG and BMP photos are in the arrays with their colours.
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range ds.Train.Files {
		if f == "c0/p05.jpg" || f == "c0/p07" {
			got, want := ds.Train.Image(i)[:3], photoColor(0, map[string]int{"c0/p05.jpg": 5, "c0/p07": 7}[f])
			for c, w := range []uint8{want.R, want.G, want.B} {
				if d := int(got[c]) - int(w); d > 3 || d < -3 {
					t.Errorf("%s pixel %v, want %v", f, got, want)
				}
			}
		}
	}
}

func TestPrepareNonUTF8Names(t *testing.T) {
	images := makeTree(t, 5, 5)
	writePNG(t, filepath.Join(images, "c0", "caf\xe9.png"), solid(photoColor(0, 9))) // a Latin-1 name
	writeFile(t, filepath.Join(images, "c1", "r\xe9sum\xe9.doc"), []byte("not a picture either"))
	cfg := testConfig(images)
	s := prepare(t, cfg)
	want := []string{`"caf\xe9.png" is not valid UTF-8`, `"r\xe9sum\xe9.doc" is not valid UTF-8`} // the name, not the content, is the reason
	if len(s.Meta.Skipped) != 2 || !strings.Contains(s.Meta.Skipped[0].Reason, want[0]) || !strings.Contains(s.Meta.Skipped[1].Reason, want[1]) {
		t.Errorf("skipped %+v, want the Latin-1 names", s.Meta.Skipped)
	}
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ds.Meta.Files {
		if _, err := os.Stat(filepath.Join(images, f.Path)); err != nil {
			t.Errorf("dataset.json lists %q: %v", f.Path, err)
		}
	}
	// A class folder so named is an error, whether found or listed.
	writePNG(t, filepath.Join(images, "\xe9t\xe9", "p.png"), solid(photoColor(0, 9)))
	if _, err := Prepare(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("Prepare with a Latin-1 class folder: %v", err)
	}
	cfg.Classes = []string{"c0", "\xe9t\xe9"}
	if _, err := Prepare(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("Prepare with a Latin-1 class listed: %v", err)
	}
}

// sparseFile makes a file of size bytes that starts with head, without
// using the disk space (a sparse file).
func sparseFile(t *testing.T, path string, head []byte, size int64) {
	t.Helper()
	writeFile(t, path, head)
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareDoesNotReadLargeFiles(t *testing.T) {
	images := makeTree(t, 5, 5)
	// A video in a class folder: not a picture by its first bytes, skipped
	// without being read.
	sparseFile(t, filepath.Join(images, "c0", "clip.mov"), []byte("\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00"), 300<<20)
	// A file that starts like a PNG but is over MaxFileBytes.
	sparseFile(t, filepath.Join(images, "c1", "huge.png"), []byte("\x89PNG\r\n\x1a\n"), MaxFileBytes+1)
	cfg := testConfig(images)
	var s *Summary
	if n := allocs.Bytes(func() { s = prepare(t, cfg) }); n > 64<<20 {
		t.Errorf("Prepare allocated %d MiB", n>>20)
	}
	reasons := map[string]string{}
	for _, sk := range s.Meta.Skipped {
		reasons[sk.Path] = sk.Reason
	}
	if r := reasons["c0/clip.mov"]; !strings.Contains(r, "not a supported image") {
		t.Errorf("clip.mov skipped for %q, want not an image", r)
	}
	if r := reasons["c1/huge.png"]; !strings.Contains(r, "256 MiB") {
		t.Errorf("huge.png skipped for %q, want the size limit", r)
	}
}

func TestSplitStratifiedSeededDisjoint(t *testing.T) {
	images := makeTree(t, 40, 20, 12)
	cfg := testConfig(images)
	s1 := prepare(t, cfg)
	wantTest := []int{10, 5, 3} // ceil(25%)
	for label, c := range s1.Meta.Counts {
		if c.Test != wantTest[label] || c.Train+c.Test != []int{40, 20, 12}[label] {
			t.Errorf("class %s: train %d test %d, want test %d", c.Class, c.Train, c.Test, wantTest[label])
		}
	}
	testFiles := func(m Meta) []string {
		var out []string
		for _, f := range m.Files {
			if f.Split == TestSplit {
				out = append(out, f.Path)
			}
		}
		return out
	}
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	// Disjoint, complete, and the arrays hold the files the metadata names.
	seen := map[string]string{}
	for _, sp := range []struct {
		name string
		s    *Split
	}{{"train", &ds.Train}, {"test", &ds.Test}} {
		for i := range sp.s.N {
			src := sampleSource(sp.s.Image(i))
			if src != sp.s.Files[i] {
				t.Errorf("%s sample %d holds %s, metadata says %s", sp.name, i, src, sp.s.Files[i])
			}
			if want := int32(src[1] - '0'); sp.s.Labels[i] != want {
				t.Errorf("%s sample %d (%s): label %d", sp.name, i, src, sp.s.Labels[i])
			}
			if prev, ok := seen[src]; ok {
				t.Errorf("%s in both %s and %s", src, prev, sp.name)
			}
			seen[src] = sp.name
		}
	}
	if len(seen) != 72 {
		t.Errorf("%d distinct photos in the splits, want 72", len(seen))
	}
	// Same seed: same split. Other seed: another split.
	s2 := prepare(t, cfg)
	if !slices.Equal(testFiles(s1.Meta), testFiles(s2.Meta)) || s1.Meta.Hash != s2.Meta.Hash {
		t.Error("same seed gave a different split")
	}
	cfg.Seed = 2
	s3 := prepare(t, cfg)
	if slices.Equal(testFiles(s1.Meta), testFiles(s3.Meta)) || s1.Meta.Hash == s3.Meta.Hash {
		t.Error("seeds 1 and 2 gave the same split")
	}
	// The test photos are not simply the first or last ones.
	if tf := testFiles(s1.Meta); slices.Equal(tf[:10], []string{"c0/p00.png", "c0/p01.png", "c0/p02.png", "c0/p03.png", "c0/p04.png", "c0/p05.png", "c0/p06.png", "c0/p07.png", "c0/p08.png", "c0/p09.png"}) {
		t.Error("random split picked the first files")
	}
}

func TestSplitFirstNAndMaxPerClass(t *testing.T) {
	images := makeTree(t, 12, 9)
	cfg := testConfig(images)
	cfg.TestPerClass = 3
	cfg.MaxPerClass = 10
	s := prepare(t, cfg)
	var test, train []string
	for _, f := range s.Meta.Files {
		if f.Split == TestSplit {
			test = append(test, f.Path)
		} else {
			train = append(train, f.Path)
		}
	}
	if want := []string{"c0/p00.png", "c0/p01.png", "c0/p02.png", "c1/p00.png", "c1/p01.png", "c1/p02.png"}; !slices.Equal(test, want) {
		t.Errorf("test %v, want %v", test, want)
	}
	if len(train) != 7+6 || slices.Contains(train, "c0/p10.png") || !slices.Contains(train, "c0/p09.png") {
		t.Errorf("train %v: want c0/p03..p09 and c1/p03..p08", train)
	}
	if c := s.Meta.Counts[0]; c.Unused != 2 || c.Test != 3 || c.Train != 7 {
		t.Errorf("c0 counts %+v", c)
	}
	if s.Meta.Split.Mode != SplitFirstN || s.Meta.Split.TestPerClass != 3 || s.Meta.Split.Seed != cfg.Seed {
		t.Errorf("split %+v", s.Meta.Split)
	}
}

func TestPrepareErrors(t *testing.T) {
	base := t.TempDir()
	oneClass := filepath.Join(base, "one")
	writePNG(t, filepath.Join(oneClass, "a", "x.png"), solid(photoColor(0, 0)))
	emptyClass := makeTree(t, 3, 0)
	os.MkdirAll(filepath.Join(emptyClass, "c1"), 0o755)
	writeFile(t, filepath.Join(emptyClass, "c1", "bad.jpg"), []byte("nope"))
	small := makeTree(t, 12, 4)
	noClasses := t.TempDir()
	writeFile(t, filepath.Join(noClasses, "notes.txt"), []byte("no folders here"))
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		want []string
	}{
		{"missing folder", func(c *Config) { c.ImagesDir = filepath.Join(base, "nope") }, []string{"nope", "not found"}},
		{"no classes", func(c *Config) { c.ImagesDir = noClasses }, []string{"no class folders"}},
		{"one class", func(c *Config) { c.ImagesDir = oneClass }, []string{"at least 2", `"a"`}},
		{"empty class", func(c *Config) { c.ImagesDir = emptyClass }, []string{`class "c1"`, "no usable photos", "1 skipped"}},
		{"below minimum", func(c *Config) { c.ImagesDir = small; c.MinPerClass = 5 }, []string{`class "c1"`, "4 usable", "minimum of 5"}},
		{"missing class", func(c *Config) { c.ImagesDir = small; c.Classes = []string{"c0", "zebra"} }, []string{`"zebra"`, "no folder"}},
		{"lone missing class", func(c *Config) { c.ImagesDir = small; c.Classes = []string{"doesnotexist"} }, []string{`"doesnotexist"`, "no folder", filepath.Join(small, "doesnotexist")}},
		{"lone class", func(c *Config) { c.ImagesDir = small; c.Classes = []string{"c0"} }, []string{"at least 2", `"c0"`}},
		{"first-n too big", func(c *Config) { c.ImagesDir = small; c.TestPerClass = 4 }, []string{`class "c1"`, "none to train"}},
		{"bad fraction", func(c *Config) { c.ImagesDir = small; c.TestFraction = 1 }, []string{"test fraction"}},
		{"images folder is a file", func(c *Config) { c.ImagesDir = filepath.Join(noClasses, "notes.txt") }, []string{"not a folder"}},
		{"class is a file", func(c *Config) { c.ImagesDir = noClasses; c.Classes = []string{"notes.txt", "c0"} }, []string{`"notes.txt"`, "no folder"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(small)
			cfg.DataDir = filepath.Join(t.TempDir(), "out")
			tc.cfg(&cfg)
			_, err := Prepare(context.Background(), cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if _, serr := os.Stat(cfg.DataDir); serr == nil {
				t.Errorf("output folder created despite the error")
			}
		})
	}
}

func TestLoadRoundTripAndVerify(t *testing.T) {
	images := makeTree(t, 8, 8)
	cfg := testConfig(images)
	cfg.Classes = []string{"c1", "c0"} // explicit order: labels follow it
	s := prepare(t, cfg)
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Meta.Classes, []string{"c1", "c0"}) || ds.Meta.Hash != s.Meta.Hash {
		t.Fatalf("meta %+v", ds.Meta)
	}
	cfg.Classes[0] = "changed" // the caller's list, not the dataset's
	if !slices.Equal(s.Meta.Classes, []string{"c1", "c0"}) {
		t.Errorf("classes %v after the caller changed its list", s.Meta.Classes)
	}
	if c := s.Meta.Created; c.Location() != time.UTC || c.Nanosecond() != 0 || time.Since(c) > time.Minute {
		t.Errorf("created %v, want the time of the preparation in UTC, to the second", c)
	}
	if ds.Train.N != 12 || ds.Test.N != 4 || ds.Train.Size != testSize || len(ds.Train.Images) != 12*testSize*testSize*3 {
		t.Fatalf("train %d test %d", ds.Train.N, ds.Test.N)
	}
	for i := range ds.Train.N {
		if f := ds.Train.Files[i]; (f[:2] == "c1") != (ds.Train.Labels[i] == 0) {
			t.Errorf("sample %d from %s has label %d", i, f, ds.Train.Labels[i])
		}
	}
	if err := ds.Verify(); err != nil {
		t.Fatal(err)
	}
	ds.Test.Images[5]++
	if err := ds.Verify(); err == nil {
		t.Error("Verify accepted a changed array")
	}
	// Load verifies: one byte changed on disk is refused.
	npy := filepath.Join(cfg.DataDir, TestImagesFile)
	orig, err := os.ReadFile(npy)
	if err != nil {
		t.Fatal(err)
	}
	changed := slices.Clone(orig)
	changed[len(changed)-1] ^= 1
	writeFile(t, npy, changed)
	if _, err := Load(cfg.DataDir); err == nil || !strings.Contains(err.Error(), "prepare it again") {
		t.Errorf("Load of an array changed after prepare: %v, want an error saying to prepare again", err)
	}
	writeFile(t, npy, orig)
	// Labels are read by a third-party .npy reader too.
	f, err := os.Open(filepath.Join(cfg.DataDir, TrainLabelsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var labels []int32
	if err := npyio.Read(f, &labels); err != nil || !slices.Equal(labels, ds.Train.Labels) {
		t.Errorf("npyio read %v, %v; want %v", labels, err, ds.Train.Labels)
	}
	// A damaged array is an error naming the file.
	os.WriteFile(filepath.Join(cfg.DataDir, TestImagesFile), []byte("garbage"), 0o644)
	if _, err := Load(cfg.DataDir); err == nil || !strings.Contains(err.Error(), TestImagesFile) {
		t.Errorf("Load of a damaged folder: %v", err)
	}
}

func TestLoadRefusesFileListMismatch(t *testing.T) {
	images := filepath.Join(t.TempDir(), "images")
	writeGradients(t, images, 8, 16)
	cfg := testConfig(images)
	cfg.ImageSize = 16
	cfg.Augment = true
	prepare(t, cfg)
	metaPath := filepath.Join(cfg.DataDir, MetaFile)
	orig, err := os.ReadFile(metaPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range []string{TrainSplit, TestSplit} {
		// One photo of the split lost from dataset.json (a hand edit, a merge).
		var m map[string]any
		if err := json.Unmarshal(orig, &m); err != nil {
			t.Fatal(err)
		}
		files := m["files"].([]any)
		for i, f := range files {
			if f.(map[string]any)["split"] == split {
				m["files"] = append(files[:i:i], files[i+1:]...)
				break
			}
		}
		b, _ := json.Marshal(m)
		writeFile(t, metaPath, b)
		if _, err := Load(cfg.DataDir); err == nil || !strings.Contains(err.Error(), MetaFile) {
			t.Errorf("%s entry missing: Load error %v, want one naming %s", split, err, MetaFile)
		}
	}
}

func TestNumpyReadsArrays(t *testing.T) {
	if err := exec.Command("python3", "-c", "import numpy").Run(); err != nil {
		testenv.SkipMissing(t, "python3 with numpy not available: .npy files not checked with numpy")
	}
	images := makeTree(t, 6, 5)
	cfg := testConfig(images)
	cfg.Augment = true
	prepare(t, cfg)
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	script := `
import sys, numpy as np
d = sys.argv[1]
x = np.load(d + "/train_images.npy"); y = np.load(d + "/train_labels.npy")
tx = np.load(d + "/test_images.npy"); ty = np.load(d + "/test_labels.npy")
print(x.dtype, x.shape, y.dtype, y.shape, tx.shape, ty.shape, int(x[3, 2, 1, 0]), int(y.sum()), int(tx.sum()))
`
	out, err := exec.Command("python3", "-c", script, cfg.DataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	var ySum, txSum int
	for _, l := range ds.Train.Labels {
		ySum += int(l)
	}
	for _, v := range ds.Test.Images {
		txSum += int(v)
	}
	want := fmt.Sprintf("uint8 (%d, 8, 8, 3) int32 (%d,) (%d, 8, 8, 3) (%d,) %d %d %d",
		ds.Train.N, ds.Train.N, ds.Test.N, ds.Test.N, ds.Train.Image(3)[(2*8+1)*3], ySum, txSum)
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("numpy sees %q, want %q", got, want)
	}
}

// writeGradients writes perClass size×size gradient photos (with
// structure, so that rotations and mirrors differ; all different) into
// images/c0 and images/c1 as p0.png, p1.png, ….
func writeGradients(t *testing.T, images string, perClass, size int) {
	t.Helper()
	step := 240 / size
	for label := range 2 {
		for i := range perClass {
			img := image.NewNRGBA(image.Rect(0, 0, size, size))
			for y := range size {
				for x := range size {
					img.SetNRGBA(x, y, color.NRGBA{uint8(x * step), uint8(y * step), uint8(100*label + 10*i), 255})
				}
			}
			writePNG(t, filepath.Join(images, fmt.Sprintf("c%d", label), fmt.Sprintf("p%d.png", i)), img)
		}
	}
}

func TestPrepareAugmentation(t *testing.T) {
	images := filepath.Join(t.TempDir(), "images")
	writeGradients(t, images, 4, 24)
	cfg := testConfig(images)
	cfg.ImageSize = 16
	plain := prepare(t, cfg)
	plainDS, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Augment = true
	aug := prepare(t, cfg)
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N != SamplesPerPhoto*plainDS.Train.N || aug.Meta.Counts[0].TrainSamples != 16*aug.Meta.Counts[0].Train {
		t.Fatalf("train %d samples, want 16×%d", ds.Train.N, plainDS.Train.N)
	}
	// The test split is untouched.
	if ds.Test.N != plainDS.Test.N || !bytes.Equal(ds.Test.Images, plainDS.Test.Images) || !slices.Equal(ds.Test.Labels, plainDS.Test.Labels) {
		t.Error("augmentation changed the test split")
	}
	if plain.Meta.Hash == aug.Meta.Hash || !slices.Equal(aug.Meta.AugmentAngles, AugmentAngles()) || plain.Meta.AugmentAngles != nil {
		t.Errorf("metadata does not record the augmentation: angles %v without, %v with", plain.Meta.AugmentAngles, aug.Meta.AugmentAngles)
	}
	for p := range plainDS.Train.N {
		orig := plainDS.Train.Image(p)
		var mirrors [][]uint8
		for k := range SamplesPerPhoto {
			i := p*SamplesPerPhoto + k
			if ds.Train.Labels[i] != plainDS.Train.Labels[p] || ds.Train.Files[i] != plainDS.Train.Files[p] {
				t.Fatalf("sample %d: label/file %d %s, want %d %s", i, ds.Train.Labels[i], ds.Train.Files[i], plainDS.Train.Labels[p], plainDS.Train.Files[p])
			}
			angle, mirrored := AugmentSample(k)
			img := ds.Train.Image(i)
			if !mirrored {
				if (angle == 0) != bytes.Equal(img, orig) {
					t.Errorf("photo %d rotation %g: equal to the original = %v", p, angle, bytes.Equal(img, orig))
				}
				continue
			}
			// Each mirror is the mirror of the rotation just before it.
			want := slices.Clone(ds.Train.Image(i - 1))
			flipInto(want, 16, 16)
			if !bytes.Equal(img, want) {
				t.Errorf("photo %d sample %d is not the mirror of rotation %g", p, k, angle)
			}
			mirrors = append(mirrors, img)
		}
		// Not the course's bug: the 8 mirrors are all different.
		for a := range mirrors {
			for b := a + 1; b < len(mirrors); b++ {
				if bytes.Equal(mirrors[a], mirrors[b]) {
					t.Errorf("photo %d: mirrors %d and %d are identical", p, a, b)
				}
			}
		}
	}
}

func TestPrepareCancel(t *testing.T) {
	images := makeTree(t, 30, 30)
	cfg := testConfig(images)
	// An earlier dataset in the output folder stays as it was.
	writeFile(t, filepath.Join(cfg.DataDir, MetaFile), []byte("old"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Workers = 1
	calls := 0
	cfg.Progress = func(done, total int) {
		if calls++; done != calls || total != 60 {
			t.Errorf("progress %d of %d, want %d of 60", done, total, calls)
		}
		if done == 5 {
			cancel()
		}
	}
	_, err := Prepare(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if calls >= 60 {
		t.Errorf("%d photos decoded after the cancellation at 5", calls)
	}
	if entries := outputEntries(t, cfg.DataDir); len(entries) != 1 || entries[0] != MetaFile {
		t.Errorf("output folder holds %v after cancel", entries)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg.DataDir, MetaFile)); string(b) != "old" {
		t.Error("cancelled Prepare replaced dataset.json")
	}
	// Already cancelled while writing: nothing written either.
	if err := writeAll(ctx, cfg.DataDir, &Meta{}, &Split{}, &Split{}); !errors.Is(err, context.Canceled) {
		t.Errorf("writeAll: %v", err)
	}
	if entries := outputEntries(t, cfg.DataDir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// outputEntries lists an output folder, but Prepare's lock file.
func outputEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != lockFile {
			out = append(out, e.Name())
		}
	}
	return out
}

// Each class's test photos are drawn on their own: photos of the same file
// names in two classes (p00.png, p01.png, … in both here) do not land in
// the same split together.
func TestTestSplitDrawnPerClass(t *testing.T) {
	cfg := testConfig(makeTree(t, 20, 20))
	prepare(t, cfg)
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	names := map[int32][]string{}
	for i, f := range ds.Test.Files {
		names[ds.Test.Labels[i]] = append(names[ds.Test.Labels[i]], filepath.Base(f))
	}
	slices.Sort(names[0])
	slices.Sort(names[1])
	if len(names[0]) != 5 || slices.Equal(names[0], names[1]) {
		t.Errorf("test photos %v and %v: want 5 of each class, drawn per class", names[0], names[1])
	}
}

// No prepare while a crawl or an import writes the photos (it would prepare
// part of them), and no crawl or import while a prepare reads them; two
// prepares read one folder at once.
func TestPrepareLocksImagesShared(t *testing.T) {
	images := makeTree(t, 3, 3)
	cfg := testConfig(images)
	unlock, err := dirlock.Lock(images, ImagesLockFile, "a crawl or an import-fashion")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(context.Background(), cfg); !errors.Is(err, dirlock.ErrBusy) || !strings.Contains(err.Error(), "in use by a crawl or an import-fashion") {
		t.Errorf("prepare while a crawl writes the photos: %v, want dirlock.ErrBusy", err)
	}
	unlock()
	reader, err := dirlock.LockShared(images, ImagesLockFile, "a crawl or an import-fashion") // another prepare
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(context.Background(), cfg); err != nil {
		t.Errorf("prepare while another prepare reads the photos: %v", err)
	}
	reader()
	writerTried := false
	cfg.Progress = func(int, int) {
		if !writerTried {
			writerTried = true
			if _, err := dirlock.Lock(images, ImagesLockFile, "a prepare"); !errors.Is(err, dirlock.ErrBusy) {
				t.Errorf("a crawl while a prepare reads: %v, want dirlock.ErrBusy", err)
			}
		}
	}
	if _, err := Prepare(context.Background(), cfg); err != nil || !writerTried {
		t.Errorf("prepare: %v, %v photos decoded", err, writerTried)
	}
}

// One prepare at a time per output folder (two would mix their arrays),
// refused at once; a prepare removes the temporary files a killed one left.
func TestPrepareLocksOutput(t *testing.T) {
	images := makeTree(t, 3, 3)
	cfg := testConfig(images)
	unlock, err := dirlock.Lock(cfg.DataDir, lockFile, "a prepare")
	if err != nil {
		t.Fatal(err)
	}
	decoded := false
	cfg.Progress = func(int, int) { decoded = true }
	if _, err := Prepare(context.Background(), cfg); !errors.Is(err, dirlock.ErrBusy) || !strings.Contains(err.Error(), "in use by a prepare") {
		t.Errorf("prepare while another holds the folder: %v, want dirlock.ErrBusy", err)
	}
	if decoded {
		t.Error("the refused prepare decoded photos first")
	}
	unlock()
	stale := filepath.Join(cfg.DataDir, "."+TrainImagesFile+".tmp123")
	writeFile(t, stale, make([]byte, 1000))
	other := filepath.Join(cfg.DataDir, "notes.txt")
	writeFile(t, other, []byte("mine"))
	folder := filepath.Join(cfg.DataDir, "."+TestImagesFile+".tmp456") // no temporary file of Prepare's
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	swap := filepath.Join(cfg.DataDir, "."+MetaFile+".swp") // an editor's
	writeFile(t, swap, []byte("vim"))
	prepare(t, cfg)
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed prepare's temporary file is still there: %v", err)
	}
	for _, p := range []string{other, folder, swap} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s, not Prepare's, was removed: %v", filepath.Base(p), err)
		}
	}
}

func TestConfigFlags(t *testing.T) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("prepare", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	for name, want := range map[string]string{
		"images": "data/images", "data": "data/processed", "size": "50", "test-fraction": "0.25",
		"seed": "1", "min-per-class": "10", "augment": "false", "test-per-class": "0", "max-per-class": "0", "classes": "",
	} {
		if f := fs.Lookup(name); f == nil || f.DefValue != want {
			t.Errorf("flag -%s: %+v, want default %q", name, f, want)
		}
	}
	err := fs.Parse([]string{"-classes", "monkey, boar,crow", "-size", "32", "-augment", "-test-per-class", "100", "-seed", "7"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Classes, []string{"monkey", "boar", "crow"}) || cfg.ImageSize != 32 || !cfg.Augment || cfg.TestPerClass != 100 || cfg.Seed != 7 {
		t.Errorf("parsed %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	cfg.Classes = []string{"a", "../b"}
	if err := cfg.Validate(); err == nil {
		t.Error("Validate accepted a class name with a path")
	}
	cfg.Classes = []string{"a"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("Validate of one class: %v", err)
	}
}

// TestSummaryString: the report's header says how the data was augmented,
// and its total row adds up the class rows.
func TestSummaryString(t *testing.T) {
	images := makeTree(t, 6, 5)
	writeFile(t, filepath.Join(images, "c0", ExcludeFile), []byte("p05.png\n"))
	writeFile(t, filepath.Join(images, "c1", "empty.png"), nil)
	cfg := testConfig(images)
	cfg.Augment = true
	cfg.MaxPerClass = 4
	s := prepare(t, cfg)
	out := s.String()
	if want := "augmentation: on, 16 samples per training photo\n"; !strings.Contains(out, want) {
		t.Errorf("summary lacks %q:\n%s", want, out)
	}
	var total []string
	for line := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "total" {
			total = f[1:]
		}
	}
	// 12 files (c0: 6 photos; c1: 5 and an empty file): 1 excluded, the
	// empty one skipped, 1 over MaxPerClass in each class; the other 8 split
	// 6 for training (16 samples each) and 2 for testing.
	want := []string{"12", "1", "1", "2", "6", "2", "96"}
	if !slices.Equal(total, want) || s.Meta.TrainN != 96 || s.Meta.TestN != 2 {
		t.Errorf("total row %v, want %v (train_n %d, test_n %d: 96 and 2):\n%s", total, want, s.Meta.TrainN, s.Meta.TestN, out)
	}
}

// TestIsSidecar: which names in a class folder are not photos.
func TestIsSidecar(t *testing.T) {
	for name, want := range map[string]bool{
		"manifest.jsonl": true, "exclude.txt": true, "notes.MD": true, "x.JSON": true, ".DS_Store": true,
		"~p01.jpg": true, "p01.jpg~": true, "#p01.jpg#": true, "p01.jpg.part": true, "p01.crdownload": true,
		"p01.jpg": false, "p01.PNG": false, "p01": false, "p#01.jpg": false, "p~01.jpg": false, "p01.tiff": false,
	} {
		if got := IsSidecar(name); got != want {
			t.Errorf("IsSidecar(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestParallelFor: every index once, on as many goroutines as asked,
// progress counted from 1 to n in order, and an early stop on cancellation.
func TestParallelFor(t *testing.T) {
	const n, workers = 40, 4
	var mu sync.Mutex
	calls := make([]int, n)
	inFlight, most := 0, 0
	arrived, all := make(chan struct{}), false
	var counts []int
	wait, stop := context.WithTimeout(t.Context(), 5*time.Second) // for workers that do not come
	defer stop()
	err := parallelFor(t.Context(), n, workers, func(i int) {
		mu.Lock()
		calls[i]++
		inFlight++
		most = max(most, inFlight)
		if inFlight == workers && !all {
			all = true
			close(arrived) // the first calls wait until all workers have one
		}
		mu.Unlock()
		select {
		case <-arrived:
		case <-wait.Done():
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
	}, func(done int) { counts = append(counts, done) })
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range calls {
		if c != 1 {
			t.Errorf("index %d: %d calls", i, c)
		}
	}
	if most != workers {
		t.Errorf("at most %d calls at once, want %d", most, workers)
	}
	if len(counts) != n {
		t.Fatalf("progress %v, want 1 to %d", counts, n)
	}
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("progress %v, want 1 to %d", counts, n)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	ran := 0
	err = parallelFor(ctx, n, 1, func(i int) {
		if ran++; i == 2 {
			cancel()
		}
	}, nil)
	if !errors.Is(err, context.Canceled) || ran != 3 {
		t.Errorf("cancelled at index 2: %v after %d calls, want context.Canceled after 3", err, ran)
	}
}

// The summary's table lines up whatever the class names: long ones and
// those of other scripts widen the first column.
func TestSummaryAlignsClassNames(t *testing.T) {
	s := &Summary{Meta: Meta{Classes: []string{"サル", "a_class_name_of_22_cols"}, Counts: []ClassCounts{
		{Class: "サル", Files: 12, Train: 9, Test: 3, TrainSamples: 9},
		{Class: "a_class_name_of_22_cols", Label: 1, Files: 8, Train: 6, Test: 2, TrainSamples: 6},
	}}}
	lines := strings.Split(s.String(), "\n")[1:5] // header, two classes, total
	for _, l := range lines {
		if textwidth.Width(l) != textwidth.Width(lines[0]) {
			t.Errorf("line %q is %d columns wide, want %d as the header:\n%s", l, textwidth.Width(l), textwidth.Width(lines[0]), s)
		}
	}
}

// TestPrepareLogsToConfigLogger: Prepare's lines go to Config.Logger, not to
// slog's default logger, when it is set.
func TestPrepareLogsToConfigLogger(t *testing.T) {
	var def, own bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&def, nil)))
	cfg := testConfig(makeTree(t, 5, 5))
	cfg.Logger = slog.New(slog.NewTextHandler(&own, nil))
	prepare(t, cfg)
	for _, want := range []string{"prepare: decoding photos", "prepare: done"} {
		if !strings.Contains(own.String(), want) {
			t.Errorf("Config.Logger got %q, want a line %q", own.String(), want)
		}
	}
	if def.Len() > 0 {
		t.Errorf("slog's default logger got %q", def.String())
	}
}
