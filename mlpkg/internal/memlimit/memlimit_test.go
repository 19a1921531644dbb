package memlimit

import (
	"runtime/debug"
	"testing"
)

// Set sets Base plus the extra bytes, unless $GOMEMLIMIT already set a
// limit, which it then leaves and reports.
func TestSet(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	t.Setenv("GOMEMLIMIT", "")
	for _, c := range []struct{ extra, want int64 }{{0, Base}, {4060, Base + 4060}, {-5, Base}} {
		if got := Set(c.extra); got != c.want || debug.SetMemoryLimit(-1) != c.want {
			t.Errorf("Set(%d) = %d, runtime limit %d; want %d", c.extra, got, debug.SetMemoryLimit(-1), c.want)
		}
	}
	// $GOMEMLIMIT is the user's choice (the runtime read it at start; here
	// the limit it would have set is set by hand).
	debug.SetMemoryLimit(123 << 20)
	t.Setenv("GOMEMLIMIT", "123MiB")
	if got := Set(4060); got != 123<<20 || debug.SetMemoryLimit(-1) != 123<<20 {
		t.Errorf("with GOMEMLIMIT set: Set = %d, runtime limit %d; want both %d", got, debug.SetMemoryLimit(-1), 123<<20)
	}
}
