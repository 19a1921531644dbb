package model

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
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

// A directory without model.json is named as such, in words that suit any
// caller: no command-line flag (the CLI adds its own).
func TestLoadMetaWithoutModel(t *testing.T) {
	_, err := LoadMeta(filepath.Join(t.TempDir(), "nowhere"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "is not a checkpoint directory") || strings.Contains(err.Error(), " -") {
		t.Errorf("LoadMeta of a missing directory: %v, want fs.ErrNotExist, said without flags", err)
	}
}
