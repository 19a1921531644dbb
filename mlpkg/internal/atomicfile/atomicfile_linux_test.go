//go:build linux

package atomicfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A write that fails half-way (here: the file size limit, which makes write
// return EFBIG; Go ignores SIGXFSZ) returns the error and leaves the old
// content in place. It runs in a new process, whose file size limit it
// lowers.
func TestWriteFileFailsHalfWay(t *testing.T) {
	if path := os.Getenv("ATOMICFILE_CHILD"); path != "" {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 16, Max: 16}); err != nil {
			t.Skipf("setrlimit: %v", err)
		}
		if err := WriteFile(path, make([]byte, 1000), 0o644); err == nil {
			t.Fatal("a write over the file size limit succeeded")
		}
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteFileFailsHalfWay$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ATOMICFILE_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestWriteFileFailsHalfWay") {
		t.Skipf("the child could not lower its file size limit:\n%s", out)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Errorf("after a failed write the file holds %q (%v), want the old content", b, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// A folder whose file system cannot flush it (here /proc, which answers
// EINVAL, as some FUSE and network mounts do) is skipped, not an error: a
// write there succeeds once its rename is done.
func TestSyncSkipsWhatCannotBeFlushed(t *testing.T) {
	f, err := os.Open("/proc/self")
	if err != nil {
		t.Skip(err)
	}
	ferr := f.Sync()
	f.Close()
	if !errors.Is(ferr, syscall.EINVAL) {
		t.Skipf("fsync of /proc/self: %v, not EINVAL here", ferr)
	}
	if err := Sync("/proc/self"); err != nil {
		t.Errorf("Sync of a folder whose file system answers EINVAL: %v, want it skipped", err)
	}
}
