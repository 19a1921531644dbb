package notebooks

import (
	"reflect"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/pipeline"
)

// In quick mode (the notebook tests) the notebooks run with
// pipeline.DefaultSettings whatever settings.go changes.
func TestQuickSettingsAreTheDefaults(t *testing.T) {
	if got, want := Settings(true), pipeline.DefaultSettings(true); !reflect.DeepEqual(got, want) {
		t.Errorf("Settings(true) = %v, want the defaults %v", got, want)
	}
	if s := Settings(false); s.Quick || len(s.Classes) < 2 || s.Epochs < 1 {
		t.Errorf("Settings(false) = %v, want full-run settings with classes and epochs", s)
	}
}
