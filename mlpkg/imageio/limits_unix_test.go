//go:build unix

package imageio

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

// TestLoadReadsRegularFilesOnly: Load refuses a device (it read /dev/zero
// until memory ran out) and a named pipe (the open blocked forever), also
// through a link with an image's name.
func TestLoadReadsRegularFilesOnly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.jpg")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, zero} {
		done := make(chan error, 1)
		go func() { _, err := Load(p); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("Load(%s): %v, want a not-a-regular-file error", filepath.Base(p), err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Load(%s) still running after 10 s", filepath.Base(p))
		}
	}
	good := filepath.Join(dir, "good.png")
	if err := os.WriteFile(good, imagetest.Encode(t, "png", halves(4, 4, red, blue)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(good); err != nil {
		t.Errorf("Load(good.png): %v", err)
	}
}
