//go:build unix

package dataset

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A photo name that links to a named pipe (or a device) is skipped with the
// reason; Prepare used to block on it forever, cancellation included.
func TestPrepareSkipsPipesAndDevices(t *testing.T) {
	images := makeTree(t, 5, 5)
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"pipe.png": fifo, "zero.jpg": "/dev/zero"} {
		if err := os.Symlink(target, filepath.Join(images, "c1", name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Prepare(ctx, testConfig(images))
	if err != nil {
		t.Fatal(err)
	}
	skipped := map[string]string{}
	for _, sk := range s.Meta.Skipped {
		skipped[sk.Path] = sk.Reason
	}
	for _, name := range []string{"c1/pipe.png", "c1/zero.jpg"} {
		if !strings.Contains(skipped[name], "not a regular file") {
			t.Errorf("%s: skipped as %q, want \"not a regular file\"", name, skipped[name])
		}
	}
}

// A named pipe itself (not a link to one) among the photos is ignored, as
// other files that are no photos are, not listed as a skipped photo.
func TestPrepareIgnoresPipes(t *testing.T) {
	images := makeTree(t, 3, 3)
	if err := syscall.Mkfifo(filepath.Join(images, "c0", "pipe.png"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := prepare(t, testConfig(images))
	if !slices.Contains(s.Ignored, "c0/pipe.png") {
		t.Errorf("ignored %v, want c0/pipe.png among them", s.Ignored)
	}
	for _, sk := range s.Meta.Skipped {
		if sk.Path == "c0/pipe.png" {
			t.Errorf("c0/pipe.png listed as a skipped photo: %s", sk.Reason)
		}
	}
}

// A link to a folder is a class folder among the classes; inside a class
// folder it is no photo, and is ignored like a sub-folder.
func TestPrepareFollowsLinkedClassFolders(t *testing.T) {
	images := makeTree(t, 3, 3)
	elsewhere := makeTree(t, 0, 0, 3)
	if err := os.Symlink(filepath.Join(elsewhere, "c2"), filepath.Join(images, "c2")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(images, "c0", "more")); err != nil {
		t.Fatal(err)
	}
	s := prepare(t, testConfig(images))
	if !slices.Equal(s.Meta.Classes, []string{"c0", "c1", "c2"}) || s.Meta.Counts[2].Train+s.Meta.Counts[2].Test != 3 {
		t.Errorf("classes %v, counts %+v: want the linked c2 with its 3 photos", s.Meta.Classes, s.Meta.Counts)
	}
	if !slices.Contains(s.Ignored, "c0/more") || len(s.Meta.Skipped) != 0 {
		t.Errorf("ignored %v, skipped %v: want c0/more ignored", s.Ignored, s.Meta.Skipped)
	}
}

// The files Prepare writes can be read by others (CreateTemp makes 0600
// files), like any file it would create directly.
func TestPrepareOutputFileModes(t *testing.T) {
	cfg := testConfig(makeTree(t, 3, 3))
	prepare(t, cfg)
	for _, name := range outputFiles {
		st, err := os.Stat(filepath.Join(cfg.DataDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want -rw-r--r--", name, st.Mode().Perm())
		}
	}
}
