package model

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDisplayName checks the fallbacks of class display names: the
// language asked for (or its base language, any letter case), then the
// default language's names, then the class name itself.
func TestDisplayName(t *testing.T) {
	m := &Meta{DisplayNames: map[string]map[string]string{
		"ja": {"sandal": "サンダル"},
		"en": {"ankle_boot": "ankle boot"},
		"PT": {"sandal": "sandália"},
	}}
	for _, c := range []struct{ class, lang, want string }{
		{"sandal", "ja", "サンダル"},
		{"sandal", "ja-JP", "サンダル"},
		{"sandal", "ja_JP", "サンダル"},
		{"sandal", "pt-BR", "sandália"},
		{"ankle_boot", "ja", "ankle boot"}, // no Japanese name: the English one
		{"sneaker", "ja", "sneaker"},       // none at all: the class name
		{"ankle_boot", "", "ankle boot"},
		{"sandal", "fr", "sandal"},
	} {
		if got := m.DisplayName(c.class, c.lang); got != c.want {
			t.Errorf("DisplayName(%q, %q) = %q, want %q", c.class, c.lang, got, c.want)
		}
	}
	for lang, want := range map[string]bool{"ja": true, "JA-jp": true, "pt": true, "en-GB": true, "fr": false, "": false} {
		if got := m.HasDisplayNames(lang); got != want {
			t.Errorf("HasDisplayNames(%q) = %v, want %v", lang, got, want)
		}
	}
}

// A directory without model.json is named as such, once, in words that suit
// any caller: no command-line flag (the CLI adds its own).
func TestLoadMetaWithoutModel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	_, err := LoadMeta(dir)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "is not a checkpoint directory") || strings.Contains(err.Error(), " -") {
		t.Errorf("LoadMeta of a missing directory: %v, want fs.ErrNotExist, said without flags", err)
	}
	if n := strings.Count(err.Error(), dir); n != 1 {
		t.Errorf("LoadMeta of a missing directory names it %d times, want once: %v", n, err)
	}
}

// model.json's classes must be usable as names: at least two, distinct and
// not empty (predictions and display names are looked up by name).
func TestLoadMetaChecksClasses(t *testing.T) {
	for classes, ok := range map[string]bool{
		`["a","b"]`: true, `["a"]`: false, `["a","a","b"]`: false, `["a",""]`: false,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, MetaFile), []byte(`{"classes":`+classes+`,"image_size":50}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadMeta(dir); (err == nil) != ok {
			t.Errorf("classes %s: %v, want ok %v", classes, err, ok)
		}
	}
}

// ModelConfig: the recorded architecture, or the course's for an older
// model.json without one, always with the metadata's classes and size.
func TestMetaModelConfig(t *testing.T) {
	arch := DefaultConfig(2)
	arch.DenseUnits, arch.ImageSize = 64, 18
	recorded := &Meta{Classes: []string{"a", "b", "c"}, ImageSize: 30, Architecture: &arch}
	if cfg, err := recorded.ModelConfig(); err != nil || cfg.DenseUnits != 64 || cfg.NumClasses != 3 || cfg.ImageSize != 30 {
		t.Errorf("recorded architecture: %+v (%v), want dense 64 for 3 classes at 30 px", cfg, err)
	}
	older := &Meta{Classes: []string{"a", "b"}, ImageSize: 50}
	if cfg, err := older.ModelConfig(); err != nil || cfg != DefaultConfig(2) {
		t.Errorf("no recorded architecture: %+v (%v), want the course's %+v", cfg, err, DefaultConfig(2))
	}
	if _, err := (&Meta{Classes: []string{"a", "b"}, ImageSize: 51}).ModelConfig(); err == nil {
		t.Error("image size 51: no error")
	}
}

// NewID names a run after its folder and its start in UTC, whatever the
// path's form and the time's zone.
func TestNewID(t *testing.T) {
	start := time.Date(2026, 12, 7, 11, 15, 0, 0, time.FixedZone("CET", 3600))
	for _, dir := range []string{"data/checkpoints/cnn", "data/checkpoints/cnn/", "cnn"} {
		if got := NewID(dir, start); got != "cnn-20261207T101500Z" {
			t.Errorf("NewID(%q) = %q, want cnn-20261207T101500Z", dir, got)
		}
	}
}
