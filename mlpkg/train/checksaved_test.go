package train

import (
	"strings"
	"testing"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// A folder that holds no checkpoint metadata file is an error that says
// so, without a "<nil>" where no error occurred.
func TestCheckSavedWithoutMetadata(t *testing.T) {
	err := checkSaved(mlctx.New(), t.TempDir(), nil)
	if err == nil || strings.Contains(err.Error(), "nil") || !strings.Contains(err.Error(), "no checkpoint metadata file") {
		t.Errorf("checkSaved of an empty folder: %v", err)
	}
}
