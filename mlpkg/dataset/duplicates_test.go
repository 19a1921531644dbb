package dataset

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
)

// copyFile copies the file src to dst, byte for byte.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, data)
}

// checkNoSharedContent fails if two files of m share their bytes, or if an
// image of the test split of the dataset in dir is also in its training split.
func checkNoSharedContent(t *testing.T, m Meta, dir string) {
	t.Helper()
	seen := map[string]SourceFile{}
	for _, f := range m.Files {
		if prev, ok := seen[f.SHA256]; ok {
			t.Errorf("%s (%s) and %s (%s) have the same bytes", prev.Path, prev.Split, f.Path, f.Split)
		}
		seen[f.SHA256] = f
	}
	ds, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	trained := map[string]string{}
	for i := range ds.Train.N {
		trained[string(ds.Train.Image(i))] = ds.Train.Files[i]
	}
	for i := range ds.Test.N {
		if f, ok := trained[string(ds.Test.Image(i))]; ok {
			t.Errorf("test image of %s is also a training image, of %s", ds.Test.Files[i], f)
		}
	}
}

func TestPrepareDuplicatesWithinClass(t *testing.T) {
	// Every photo stored twice, as users' copied folders often have it.
	images := makeTree(t, 10, 10)
	for label := range 2 {
		for i := range 10 {
			dir := filepath.Join(images, fmt.Sprintf("c%d", label))
			copyFile(t, filepath.Join(dir, fmt.Sprintf("p%02d.png", i)), filepath.Join(dir, fmt.Sprintf("p%02d copy.png", i)))
		}
	}
	// exclude.txt applies first: with p03.png excluded, its copy is used.
	writeFile(t, filepath.Join(images, "c0", ExcludeFile), []byte("p03.png\n"))
	cfg := testConfig(images)
	s := prepare(t, cfg)
	m := s.Meta

	want := []ClassCounts{
		{Class: "c0", Label: 0, Files: 20, Excluded: 1, Skipped: 9},
		{Class: "c1", Label: 1, Files: 20, Skipped: 10},
	}
	for label, c := range m.Counts {
		w := want[label]
		if c.Files != w.Files || c.Excluded != w.Excluded || c.Skipped != w.Skipped || c.Train+c.Test != 10 || c.Test != 3 {
			t.Errorf("counts %+v, want %+v with 7 train and 3 test photos", c, w)
		}
	}
	var wantSkipped []SkippedFile
	for label := range 2 {
		for i := range 10 {
			if label == 0 && i == 3 {
				continue
			}
			wantSkipped = append(wantSkipped, SkippedFile{
				Path:   fmt.Sprintf("c%d/p%02d copy.png", label, i),
				Reason: fmt.Sprintf("duplicate of c%d/p%02d.png (the same picture): used once", label, i),
			})
		}
	}
	if !slices.Equal(m.Skipped, wantSkipped) {
		t.Errorf("skipped\n%v\nwant\n%v", m.Skipped, wantSkipped)
	}
	if !slices.ContainsFunc(m.Files, func(f SourceFile) bool { return f.Path == "c0/p03 copy.png" }) {
		t.Error("the copy of the excluded c0/p03.png is not used")
	}
	if len(s.Conflicts) != 0 {
		t.Errorf("conflicts %v", s.Conflicts)
	}
	if !strings.Contains(s.String(), "c1/p07 copy.png: duplicate of c1/p07.png (the same picture)") {
		t.Errorf("summary does not report the duplicate:\n%s", s)
	}
	checkNoSharedContent(t, m, cfg.DataDir)

	// Deterministic for a seed; no leak whatever the seed.
	again := prepare(t, cfg)
	if !slices.Equal(again.Meta.Files, m.Files) || !slices.Equal(again.Meta.Skipped, m.Skipped) || again.Meta.Hash != m.Hash {
		t.Error("the same seed gave another dataset")
	}
	for seed := range int64(6) {
		cfg.Seed = seed
		s := prepare(t, cfg)
		checkNoSharedContent(t, s.Meta, cfg.DataDir)
	}
	// The first-N split keeps the originals too, and they take no place in
	// the cap.
	cfg.TestPerClass, cfg.MaxPerClass = 2, 10
	s = prepare(t, cfg)
	var test []string
	for _, f := range s.Meta.Files {
		if f.Split == TestSplit {
			test = append(test, f.Path)
		}
	}
	if want := []string{"c0/p00.png", "c0/p01.png", "c1/p00.png", "c1/p01.png"}; !slices.Equal(test, want) || s.Meta.Counts[1].Unused != 0 || s.Meta.Counts[1].Train != 8 {
		t.Errorf("first-n: test %v, counts %+v; want test %v and 8 training photos of c1", test, s.Meta.Counts, want)
	}
	checkNoSharedContent(t, s.Meta, cfg.DataDir)
}

// One image saved in two lossless formats is one picture: the bytes differ,
// the pixels the model sees do not.
func TestPrepareSamePictureInTwoFormats(t *testing.T) {
	images := makeTree(t, 6, 6)
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, solid(photoColor(1, 4))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(images, "c1", "p04 export.bmp"), buf.Bytes())
	cfg := testConfig(images)
	sum := prepare(t, cfg)
	m := sum.Meta
	want := SkippedFile{Path: "c1/p04 export.bmp", Reason: "duplicate of c1/p04.png (the same picture): used once"}
	if !slices.Contains(m.Skipped, want) {
		t.Errorf("skipped %v, want %v", m.Skipped, want)
	}
	if len(m.Files) != 12 {
		t.Errorf("%d files used, want 12 (summary:\n%s)", len(m.Files), sum)
	}
	checkNoSharedContent(t, m, cfg.DataDir)
}

func TestPrepareDuplicatesAcrossClasses(t *testing.T) {
	images := makeTree(t, 10, 10)
	c0, c1 := filepath.Join(images, "c0"), filepath.Join(images, "c1")
	copyFile(t, filepath.Join(c0, "p03.png"), filepath.Join(c1, "x03.png"))
	copyFile(t, filepath.Join(c0, "p05.png"), filepath.Join(c0, "p05b.png"))
	copyFile(t, filepath.Join(c0, "p05.png"), filepath.Join(c1, "y05.png"))
	cfg := testConfig(images)
	s := prepare(t, cfg)
	m := s.Meta

	wantConflicts := [][]string{{"c0/p03.png", "c1/x03.png"}, {"c0/p05.png", "c0/p05b.png", "c1/y05.png"}}
	if !slices.EqualFunc(s.Conflicts, wantConflicts, slices.Equal) {
		t.Errorf("conflicts %v, want %v", s.Conflicts, wantConflicts)
	}
	// Every copy is left out, each saying where the others are.
	wantSkipped := map[string][]string{
		"c0/p03.png":  {"c1/x03.png"},
		"c0/p05.png":  {"c0/p05b.png", "c1/y05.png"},
		"c0/p05b.png": {"c0/p05.png", "c1/y05.png"},
		"c1/x03.png":  {"c0/p03.png"},
		"c1/y05.png":  {"c0/p05.png", "c0/p05b.png"},
	}
	if len(m.Skipped) != len(wantSkipped) {
		t.Errorf("skipped %v, want %d files", m.Skipped, len(wantSkipped))
	}
	for _, sk := range m.Skipped {
		others, ok := wantSkipped[sk.Path]
		if !ok || !strings.Contains(sk.Reason, "the same picture as "+strings.Join(others, ", ")+":") || !strings.Contains(sk.Reason, "classes c0 and c1") {
			t.Errorf("skipped %s: %q, want it to name %v and both classes", sk.Path, sk.Reason, others)
		}
	}
	for _, f := range m.Files {
		if _, ok := wantSkipped[f.Path]; ok {
			t.Errorf("%s used as %s", f.Path, m.Classes[f.Label])
		}
	}
	if c := m.Counts; c[0].Files != 11 || c[0].Skipped != 3 || c[0].Train+c[0].Test != 8 || c[1].Files != 12 || c[1].Skipped != 2 || c[1].Train+c[1].Test != 10 {
		t.Errorf("counts %+v", c)
	}
	out := s.String()
	for _, w := range []string{"2 pictures are in more than one class", "exclude.txt", "  c0/p03.png = c1/x03.png\n", "  c0/p05.png = c0/p05b.png = c1/y05.png\n", "c1/x03.png: the same picture as c0/p03.png"} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	checkNoSharedContent(t, m, cfg.DataDir)

	// Excluding the wrong copy puts the picture back in its class.
	writeFile(t, filepath.Join(c1, ExcludeFile), []byte("x03.png\n"))
	s = prepare(t, cfg)
	if !slices.ContainsFunc(s.Meta.Files, func(f SourceFile) bool { return f.Path == "c0/p03.png" }) || len(s.Conflicts) != 1 ||
		!strings.Contains(s.String(), "1 picture is in more than one class") {
		t.Errorf("after excluding c1/x03.png: conflicts %v\n%s", s.Conflicts, s)
	}
}

func TestLoadRefusesDuplicateFiles(t *testing.T) {
	images := makeTree(t, 4, 4)
	cfg := testConfig(images)
	prepare(t, cfg)
	if _, err := Load(cfg.DataDir); err != nil {
		t.Fatal(err)
	}
	// As an earlier Prepare wrote it for a photo stored twice.
	m := rewriteMeta(t, cfg.DataDir, func(m *Meta) { m.Files[2].SHA256 = m.Files[0].SHA256 })
	_, err := Load(cfg.DataDir)
	if err == nil {
		t.Fatal("Load accepted a dataset using one picture twice")
	}
	for _, w := range []string{m.Files[0].Path, m.Files[2].Path, "same bytes", "prepare it again"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// With augmentation, the samples of a photo share its file name in the
// split Load returns, so HoldOut keeps all SamplesPerPhoto together.
func TestHoldOutAugmentedPrepared(t *testing.T) {
	images := filepath.Join(t.TempDir(), "images")
	writeGradients(t, images, 6, 16)
	cfg := testConfig(images)
	cfg.Augment = true
	cfg.TestFraction = 0.2
	prepare(t, cfg)
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Train.Files) != ds.Train.N {
		t.Fatalf("%d file names for %d training samples", len(ds.Train.Files), ds.Train.N)
	}
	for seed := range uint64(10) {
		train, held := ds.Train.HoldOut(0.25, seed)
		side := map[string]bool{} // file → held out
		samples := map[string]int{}
		for _, idx := range [][]int{train, held} {
			isHeld := len(held) > 0 && &idx[0] == &held[0]
			for _, i := range idx {
				f := ds.Train.Files[i]
				if h, ok := side[f]; ok && h != isHeld {
					t.Fatalf("seed %d: samples of %s on both sides", seed, f)
				}
				side[f] = isHeld
				samples[f]++
			}
		}
		heldPhotos := 0
		for f, n := range samples {
			if n != SamplesPerPhoto {
				t.Errorf("seed %d: %s has %d samples, want %d", seed, f, n, SamplesPerPhoto)
			}
			if side[f] {
				heldPhotos++
			}
		}
		if heldPhotos != 2 { // 1 of each class's 4 training photos
			t.Errorf("seed %d: %d photos held out, want 2", seed, heldPhotos)
		}
	}
}

// TestListNames: a conflict's reason names up to 4 other copies, and counts
// the rest.
func TestListNames(t *testing.T) {
	paths := []string{"c0/a.png", "c0/b.png", "c1/c.png", "c1/d.png", "c2/e.png", "c2/f.png"}
	for _, c := range []struct {
		n    int
		want string
	}{
		{1, "c0/a.png"},
		{4, "c0/a.png, c0/b.png, c1/c.png, c1/d.png"},
		{5, "c0/a.png, c0/b.png, c1/c.png, c1/d.png and 1 more"},
		{6, "c0/a.png, c0/b.png, c1/c.png, c1/d.png and 2 more"},
	} {
		if got := listNames(paths[:c.n]); got != c.want {
			t.Errorf("%d paths: %q, want %q", c.n, got, c.want)
		}
	}
}
