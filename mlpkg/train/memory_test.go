package train

import (
	"runtime/debug"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
)

// LimitMemory sets 1 GiB plus the dataset's arrays, unless $GOMEMLIMIT
// already set a limit, which it then leaves and reports.
func TestLimitMemory(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	ds := &dataset.Dataset{
		Train: dataset.Split{Images: make([]uint8, 3000), Labels: make([]int32, 10)},
		Test:  dataset.Split{Images: make([]uint8, 1000), Labels: make([]int32, 5)},
	}
	t.Setenv("GOMEMLIMIT", "")
	want := int64(1<<30 + 3000 + 1000 + 4*15)
	if got := LimitMemory(ds); got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("LimitMemory = %d, runtime limit %d; want %d", got, debug.SetMemoryLimit(-1), want)
	}
	// $GOMEMLIMIT is the user's choice (the runtime read it at start; here
	// the limit it would have set is set by hand).
	debug.SetMemoryLimit(123 << 20)
	t.Setenv("GOMEMLIMIT", "123MiB")
	if got := LimitMemory(ds); got != 123<<20 || debug.SetMemoryLimit(-1) != 123<<20 {
		t.Errorf("with GOMEMLIMIT set: LimitMemory = %d, runtime limit %d; want both %d", got, debug.SetMemoryLimit(-1), 123<<20)
	}
}
