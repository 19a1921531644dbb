package dataset

import (
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
