package dataset

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCheckClassName(t *testing.T) {
	for _, name := range []string{"monkey", "ankle_boot", "wild boar", "サル", "a.b", "x:y"} {
		if err := CheckClassName(name); err != nil {
			t.Errorf("CheckClassName(%q): %v", name, err)
		}
	}
	for name, why := range map[string]string{
		"":          "empty",
		".":         "not a plain folder name",
		"..":        "not a plain folder name",
		"a/b":       "not a plain folder name",
		`a\b`:       "not a plain folder name",
		".foo":      "hidden folder",
		"bad\xffut": "not valid UTF-8",
	} {
		if err := CheckClassName(name); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("CheckClassName(%q) = %v, want an error saying %q", name, err, why)
		}
	}
}

// TestConfigValidate checks each setting's bounds, on both sides.
func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Config)
		want string // "" for valid
	}{
		{"defaults, every sub-folder", func(*Config) {}, ""},
		{"size 4", func(c *Config) { c.ImageSize = 4 }, ""},
		{"size 3", func(c *Config) { c.ImageSize = 3 }, "image size must be in 4..1024, got 3"},
		{"size 1024", func(c *Config) { c.ImageSize = 1024 }, ""},
		{"size 1025", func(c *Config) { c.ImageSize = 1025 }, "image size must be in 4..1024, got 1025"},
		{"test fraction 0", func(c *Config) { c.TestFraction = 0 }, ""},
		{"test fraction -0.1", func(c *Config) { c.TestFraction = -0.1 }, "test fraction"},
		{"test fraction NaN", func(c *Config) { c.TestFraction = math.NaN() }, "test fraction"},
		{"test fraction ignored with test-per-class", func(c *Config) { c.TestPerClass = 5; c.TestFraction = 1 }, ""},
		{"test-per-class -1", func(c *Config) { c.TestPerClass = -1 }, "test per class must be 0 (use the test fraction) or more, got -1"},
		{"max-per-class -1", func(c *Config) { c.MaxPerClass = -1 }, "max per class must be 0 (no cap) or more, got -1"},
		{"min-per-class 1", func(c *Config) { c.MinPerClass = 1 }, ""},
		{"min-per-class 0", func(c *Config) { c.MinPerClass = 0 }, "min per class must be at least 1, got 0"},
		{"max-per-class = min-per-class", func(c *Config) { c.MaxPerClass = 10 }, ""},
		{"max-per-class below min-per-class", func(c *Config) { c.MaxPerClass = 9 }, "max per class 9 is below min per class 10"},
		{"workers -1", func(c *Config) { c.Workers = -1 }, "workers must be 0 (one per CPU) or more, got -1"},
		{"class listed twice", func(c *Config) { c.Classes = []string{"a", "b", "a"} }, `"a" listed twice`},
		{"no images folder", func(c *Config) { c.ImagesDir = "" }, "no images folder"},
		{"no output folder", func(c *Config) { c.DataDir = "" }, "no output folder"},
		{"output into the images", func(c *Config) { c.DataDir = c.ImagesDir + "/" }, "is in the images folder"},
		{"output inside the images", func(c *Config) { c.DataDir = "./" + c.ImagesDir + "/arrays" }, "is in the images folder"},
		{"output beside the images", func(c *Config) { c.DataDir = c.ImagesDir + "-arrays" }, ""},
		{"output in a parent of the images", func(c *Config) { c.DataDir = c.ImagesDir + "/.." }, ""},
	} {
		cfg := DefaultConfig()
		tc.set(&cfg)
		err := cfg.Validate()
		if tc.want == "" && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	if cfg := DefaultConfig(); cfg.workerCount() != runtime.NumCPU() {
		t.Errorf("workers 0: %d goroutines, want one per CPU (%d)", cfg.workerCount(), runtime.NumCPU())
	}
}

// The output folder is refused inside the images folder also when one of
// them is reached through a symbolic link.
func TestOutputInsideImagesThroughALink(t *testing.T) {
	root := t.TempDir()
	images := filepath.Join(root, "images")
	if err := os.Mkdir(images, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(images, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ images, out string }{
		{link, images},
		{images, filepath.Join(link, "arrays")},
		{link, filepath.Join(images, "new", "arrays")},
	} {
		cfg := DefaultConfig()
		cfg.ImagesDir, cfg.DataDir = tc.images, tc.out
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "is in the images folder") {
			t.Errorf("images %s, output %s: %v, want a refusal", tc.images, tc.out, err)
		}
	}
	cfg := DefaultConfig()
	cfg.ImagesDir, cfg.DataDir = link, filepath.Join(root, "processed")
	if err := cfg.Validate(); err != nil {
		t.Errorf("an output beside the images: %v", err)
	}
}
