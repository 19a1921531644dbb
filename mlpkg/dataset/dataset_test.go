package dataset

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestHashArraysGolden pins the dataset hash: checkpoints record it as the
// dataset's identity, and bench/train/make_data.py computes it in Python.
// The expected value was computed with Python's hashlib from the documented
// layout (header with the classes as compact JSON and the size, then per
// split "split N\n", the images and the labels as little-endian uint32).
func TestHashArraysGolden(t *testing.T) {
	train := &Split{N: 2, Size: 1, Images: []uint8{1, 2, 3, 4, 5, 6}, Labels: []int32{0, 1}}
	test := &Split{N: 1, Size: 1, Images: []uint8{7, 8, 9}, Labels: []int32{1}}
	const want = "fcc3a6603a89d7cefe557721fe6acd7871ec0d3088a6fb61cbabb4771d7e91d5"
	if got := HashArrays([]string{"a", "b"}, 1, train, test); got != want {
		t.Errorf("hash %s, want %s", got, want)
	}
}

// TestVerifyCoversLabelsAndClasses: Verify notices a changed label (the
// images unchanged) and renamed classes, not only changed images.
func TestVerifyCoversLabelsAndClasses(t *testing.T) {
	cfg := testConfig(makeTree(t, 4, 4))
	prepare(t, cfg)
	for name, change := range map[string]func(*Dataset){
		"a training label": func(d *Dataset) { d.Train.Labels[0] = 1 - d.Train.Labels[0] },
		"a test label":     func(d *Dataset) { d.Test.Labels[0] = 1 - d.Test.Labels[0] },
		"the class names":  func(d *Dataset) { d.Meta.Classes = []string{"c1", "c0"} },
		"the image size":   func(d *Dataset) { d.Meta.ImageSize = 2 * d.Meta.ImageSize },
	} {
		ds, err := Load(cfg.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		change(ds)
		if err := ds.Verify(); err == nil {
			t.Errorf("Verify accepted a dataset with %s changed", name)
		}
	}
}

// TestLoadAcceptsFilesWithoutSHA256: files listed without a SHA-256 are not
// duplicates of one another.
func TestLoadAcceptsFilesWithoutSHA256(t *testing.T) {
	cfg := testConfig(makeTree(t, 4, 4))
	prepare(t, cfg)
	rewriteMeta(t, cfg.DataDir, func(m *Meta) {
		for i := range m.Files {
			m.Files[i].SHA256 = ""
		}
	})
	if _, err := Load(cfg.DataDir); err != nil {
		t.Errorf("Load of a dataset.json without file hashes: %v", err)
	}
}

// TestSplitImageIsCapped: appending to one sample's image cannot overwrite
// the next sample.
func TestSplitImageIsCapped(t *testing.T) {
	s := holdOutSplit(2, 1)
	next := slices.Clone(s.Image(1))
	_ = append(s.Image(0), 99, 99, 99)
	if !slices.Equal(s.Image(1), next) {
		t.Errorf("sample 1 is %v after an append to sample 0, was %v", s.Image(1), next)
	}
}

// rewriteMeta applies edit to the dataset.json in dir, as an earlier or
// damaged Prepare could have written it, and returns what it wrote.
func rewriteMeta(t *testing.T, dir string, edit func(*Meta)) *Meta {
	t.Helper()
	path := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	if b, err = json.Marshal(&m); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b)
	return &m
}
