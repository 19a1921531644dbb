package pipeline_test

import (
	"reflect"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/pipeline"
	"github.com/animalcnn/animalcnn/notebooks"
)

// In quick mode (the notebook tests) the notebooks run with
// pipeline.DefaultSettings whatever notebooks/settings.go changes.
func TestNotebookSettingsInQuickModeAreTheDefaults(t *testing.T) {
	if got, want := notebooks.Settings(true), pipeline.DefaultSettings(true); !reflect.DeepEqual(got, want) {
		t.Errorf("notebooks.Settings(true) = %v, want the defaults %v", got, want)
	}
	if s := notebooks.Settings(false); s.Quick || len(s.Classes) < 2 || s.Epochs < 1 {
		t.Errorf("notebooks.Settings(false) = %v, want full-run settings with classes and epochs", s)
	}
}
