package train

import (
	"math"
	"testing"
)

// round, for the log, keeps NaN (a diverged loss) NaN, and rounds negative
// numbers as positive ones.
func TestRound(t *testing.T) {
	if got := round(math.NaN()); !math.IsNaN(got) {
		t.Errorf("round(NaN) = %v, want NaN", got)
	}
	if got := round(0.12345678); got != 0.1235 {
		t.Errorf("round(0.12345678) = %v, want 0.1235", got)
	}
	if got := round(-0.12345678); got != -0.1235 {
		t.Errorf("round(-0.12345678) = %v, want -0.1235", got)
	}
}
