package train

import (
	"math"
	"testing"
)

// Every setting out of range is refused, NaN and infinities included (the
// flag package parses "NaN" and "Inf"); the defaults and the edges of each
// range pass.
func TestConfigValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name   string
		change func(*Config)
		ok     bool
	}{
		{"defaults", func(*Config) {}, true},
		{"no validation", func(c *Config) { c.ValidationFraction = 0 }, true},
		{"validation 0.5", func(c *Config) { c.ValidationFraction = 0.5 }, true},
		{"no decay", func(c *Config) { c.Decay = 0 }, true},
		{"no checkpoint directory", func(c *Config) { c.CheckpointDir = "" }, false},
		{"0 epochs", func(c *Config) { c.Epochs = 0 }, false},
		{"batch 0", func(c *Config) { c.BatchSize = 0 }, false},
		{"validation -0.1", func(c *Config) { c.ValidationFraction = -0.1 }, false},
		{"validation 0.6", func(c *Config) { c.ValidationFraction = 0.6 }, false},
		{"validation NaN", func(c *Config) { c.ValidationFraction = nan }, false},
		{"lr 0", func(c *Config) { c.LearningRate = 0 }, false},
		{"lr NaN", func(c *Config) { c.LearningRate = nan }, false},
		{"lr Inf", func(c *Config) { c.LearningRate = inf }, false},
		{"rho 1", func(c *Config) { c.Rho = 1 }, false},
		{"rho 0", func(c *Config) { c.Rho = 0 }, false},
		{"rho NaN", func(c *Config) { c.Rho = nan }, false},
		{"epsilon 0", func(c *Config) { c.Epsilon = 0 }, false},
		{"epsilon NaN", func(c *Config) { c.Epsilon = nan }, false},
		{"epsilon Inf", func(c *Config) { c.Epsilon = inf }, false},
		{"decay -1e-6", func(c *Config) { c.Decay = -1e-6 }, false},
		{"decay NaN", func(c *Config) { c.Decay = nan }, false},
		{"decay Inf", func(c *Config) { c.Decay = inf }, false},
		// The model's layers are checked before any data is read; its
		// input size and class count come from the dataset, later.
		{"no image size or class count yet", func(c *Config) { c.Model.ImageSize, c.Model.NumClasses = 0, 0 }, true},
		{"dense dropout 1", func(c *Config) { c.Model.DenseDropout = 1 }, false},
		{"conv dropout NaN", func(c *Config) { c.Model.ConvDropout = nan }, false},
		{"dense units 0", func(c *Config) { c.Model.DenseUnits = 0 }, false},
	} {
		cfg := DefaultConfig()
		c.change(&cfg)
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", c.name, err, c.ok)
		}
	}
}
