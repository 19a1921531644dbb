package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/animalcnn/animalcnn/internal/testenv"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
)

// TestSyntheticDataLoads runs bench/train/make_data.py, which writes the
// benchmarks' synthetic dataset from Python, and loads its output as
// gotrain does: mlpkg/dataset.Load must accept it (an earlier check of
// dataset.json's file list made every synthetic benchmark row fail), with
// the same hash as Go computes from the arrays.
func TestSyntheticDataLoads(t *testing.T) {
	python := filepath.Join("..", "..", "..", ".venv", "bin", "python") // made by kernel_setup/setup.sh, with NumPy
	if _, err := os.Stat(python); err != nil {
		testenv.SkipMissing(t, "no "+python+": run kernel_setup/setup.sh")
	}
	dir := t.TempDir()
	cmd := exec.Command(python, filepath.Join("..", "make_data.py"), "--out", dir, "--train", "24", "--test", "9", "--size", "18")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_data.py: %v\n%s", err, out)
	}
	ds, err := dataset.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N != 24 || ds.Test.N != 9 || len(ds.Train.Files) != 24 || len(ds.Test.Files) != 9 || ds.Meta.ImageSize != 18 {
		t.Errorf("loaded %d+%d samples (%d+%d files) of %d px, want 24+9 of 18", ds.Train.N, ds.Test.N, len(ds.Train.Files), len(ds.Test.Files), ds.Meta.ImageSize)
	}
	if h := dataset.HashArrays(ds.Meta.Classes, ds.Meta.ImageSize, &ds.Train, &ds.Test); h != ds.Meta.Hash {
		t.Errorf("Go hashes the arrays as %s, make_data.py wrote %s", h, ds.Meta.Hash)
	}
}
