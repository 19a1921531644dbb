package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/memlimit"
)

// predict, evaluate and serve load their model through loadPredictor, which
// sets the pure-Go backend's soft memory limit before anything else (a
// batch of 64 pictures peaked at 1.6 GB without it).
func TestLoadPredictorLimitsMemory(t *testing.T) {
	before := debug.SetMemoryLimit(math.MaxInt64) // no limit, Go's default
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	t.Setenv("GOMEMLIMIT", "")
	if _, err := loadPredictor(t.TempDir(), "go"); err == nil {
		t.Fatal("loadPredictor found a model in an empty folder")
	}
	if got := debug.SetMemoryLimit(-1); got != memlimit.Base {
		t.Errorf("memory limit %d after loadPredictor, want %d", got, int64(memlimit.Base))
	}
}
