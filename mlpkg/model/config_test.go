package model

import (
	"math"
	"testing"
)

// Dropout rates must lie in [0, 1): NaN (which the flag package parses) is
// refused too.
func TestConfigValidateDropout(t *testing.T) {
	for _, c := range []struct {
		conv, dense float64
		ok          bool
	}{
		{0.25, 0.5, true},
		{0, 0, true},
		{0.99, 0.99, true},
		{-0.1, 0.5, false},
		{0.25, 1, false},
		{1, 0.5, false},
		{math.NaN(), 0.5, false},
		{0.25, math.NaN(), false},
	} {
		cfg := DefaultConfig(3)
		cfg.ConvDropout, cfg.DenseDropout = c.conv, c.dense
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("dropout %g and %g: Validate() = %v, want ok %v", c.conv, c.dense, err, c.ok)
		}
	}
}

// CheckLayers checks what Validate checks but the input size and class
// count.
func TestCheckLayers(t *testing.T) {
	cfg := DefaultConfig(0)
	cfg.ImageSize = 0
	if err := cfg.CheckLayers(); err != nil {
		t.Errorf("layers of the default architecture: %v", err)
	}
	if err := cfg.Validate(); err == nil {
		t.Error("Validate accepted 0 classes and image size 0")
	}
	cfg.Filters2 = 0
	if err := cfg.CheckLayers(); err == nil {
		t.Error("CheckLayers accepted 0 filters")
	}
	cfg = DefaultConfig(3)
	cfg.Formulation = "winograd"
	if err := cfg.CheckLayers(); err == nil {
		t.Error("CheckLayers accepted an unknown formulation")
	}
}
