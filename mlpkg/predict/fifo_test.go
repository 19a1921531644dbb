//go:build unix

package predict

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// TestNamedPipeIsRefused checks that a named pipe, given or found in a
// folder, is an error for that file instead of a read that never ends.
func TestNamedPipeIsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	if _, err := ExpandPaths(fifo); err == nil || !strings.Contains(err.Error(), "pipe.png: not a regular file") {
		t.Errorf("ExpandPaths(fifo): %v", err)
	}
	files, err := ExpandPaths(dir) // found in a folder: listed, refused when read
	if err != nil || len(files) != 1 {
		t.Fatalf("ExpandPaths(dir) = %v, %v", files, err)
	}
	if _, err := loadFile(files[0]); !errors.Is(err, imageio.ErrNotRegular) {
		t.Errorf("loadFile(fifo): %v", err)
	}
}
