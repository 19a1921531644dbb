package fserr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WithoutPath drops a PathError's operation and path, keeping what it
// wraps (errors.Is still sees fs.ErrNotExist), and leaves other errors alone.
func TestWithoutPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none")
	_, err := os.Open(path)
	got := WithoutPath(fmt.Errorf("reading: %w", err))
	if !errors.Is(got, fs.ErrNotExist) || strings.Contains(got.Error(), path) || strings.Contains(got.Error(), "open") {
		t.Errorf("WithoutPath(%v) = %v, want the bare fs.ErrNotExist cause", err, got)
	}
	other := errors.New("not a path error")
	if WithoutPath(other) != other {
		t.Error("WithoutPath changed an error that is not a PathError")
	}
	if WithoutPath(nil) != nil {
		t.Error("WithoutPath(nil) is not nil")
	}
}
