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
