//go:build linux

package train

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/model"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// GoMLX's checkpoint writer drops the error of a variable it fails to
// write, and saves the metadata of the others. A save whose data file
// fails part-way (a full disk; here the file size limit, RLIMIT_FSIZE,
// whose signal Go ignores, in a child process) while its small metadata
// file still fits must fail, and leave the previous snapshot in place, not
// publish one that lacks variables (a resumed run would start them afresh
// without a word).
func TestSaveSnapshotFailsWhenAVariableIsNotWritten(t *testing.T) {
	snapshotContext := func() *mlctx.Context {
		gctx := mlctx.New()
		gctx.In(model.Scope).VariableWithValue("small", []float32{1, 2, 3})
		gctx.In(model.Scope).VariableWithValue("large", make([]float32, 64<<10)) // 256 KiB
		return gctx
	}
	if dir := os.Getenv("TRAIN_SNAPSHOT_CHILD"); dir != "" {
		gctx := snapshotContext()
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 64 << 10, Max: 64 << 10}); err != nil {
			t.Skipf("setrlimit: %v", err)
		}
		err := saveSnapshot(gctx, dir, model.LastDir, state{Epoch: 2})
		if err == nil {
			t.Fatal("a save whose data file was cut short succeeded")
		}
		t.Log(err)
		return
	}
	dir := t.TempDir()
	if err := saveSnapshot(snapshotContext(), dir, model.LastDir, state{Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSaveSnapshotFailsWhenAVariableIsNotWritten$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "TRAIN_SNAPSHOT_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestSaveSnapshotFailsWhenAVariableIsNotWritten") {
		t.Skipf("the child could not lower its file size limit:\n%s", out)
	}
	if st, ok, err := readState(dir, model.LastDir); err != nil || !ok || st.Epoch != 1 {
		t.Errorf("after the failed save last/ holds epoch %d (%v, %v), want the previous snapshot, epoch 1", st.Epoch, ok, err)
	}
	if _, err := loadSnapshot(snapshotContext(), dir, model.LastDir); err != nil {
		t.Errorf("the previous snapshot no longer loads: %v", err)
	}
	if entries := entries(t, dir); len(entries) != 1 {
		t.Errorf("folder after the failed save: %v, want last/ only", entries)
	}
}
