package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestClassFilesSkipsWhatPrepareSkips: ClassFiles (the contact sheets'
// list) gives the files Prepare reads, whatever their extension (it decodes by content: a picture
// saved without one is trained on), and leaves out the hidden, temporary and
// sidecar files Prepare leaves out.
func TestClassFilesSkipsWhatPrepareSkips(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.jpg", "a.PNG", "p00", "#a.jpg", "~lock.jpg", ".hidden.jpg", "notes.txt", "clip.mov"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.jpg"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := ClassFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.PNG", "b.jpg", "clip.mov", "p00"}; !slices.Equal(got, want) {
		t.Errorf("ClassFiles = %q, want %q", got, want)
	}
	if _, err := ClassFiles(filepath.Join(dir, "none")); err == nil {
		t.Error("ClassFiles of a missing folder: no error")
	}
}

// A missing folder is an fs.ErrNotExist that names it once.
func TestClassFilesMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "monkey")
	_, err := ClassFiles(dir)
	if !errors.Is(err, fs.ErrNotExist) || strings.Count(fmt.Sprint(err), dir) != 1 {
		t.Errorf("ClassFiles of a missing folder: %v, want fs.ErrNotExist naming %s once", err, dir)
	}
}
