//go:build unix

package fashion

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A named pipe with a picture's name is not a picture already written: it
// is not waited on (which would hang the import) and is replaced.
func TestImportReplacesANamedPipe(t *testing.T) {
	src, out := fakeSource(t, 20), t.TempDir()
	pipe := filepath.Join(out, "sneaker", "train-00007.png")
	if err := os.MkdirAll(filepath.Dir(pipe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Import(context.Background(), Config{SourceDir: src, ImagesDir: out, Classes: []string{"sneaker"}, PerClass: 3})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Import still running after 10 s: waiting on the named pipe")
	}
	if !readablePNG(pipe) {
		t.Errorf("%s: not replaced by a picture", pipe)
	}
}
