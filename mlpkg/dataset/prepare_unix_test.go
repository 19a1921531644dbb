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
