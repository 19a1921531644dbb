package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepareRenameFailsPartway makes moving the new files into place fail
// after the first one, over an earlier dataset with arrays of the same
// shapes: Load must then refuse the folder rather than read new training
// images with the old labels, and no temporary file may be left.
func TestPrepareRenameFailsPartway(t *testing.T) {
	images := makeTree(t, 8, 8)
	cfg := testConfig(images)
	first := prepare(t, cfg)

	cfg.Seed++ // same shapes, other split
	calls := 0
	rename = func(from, to string) error {
		if calls++; calls == 2 {
			return errors.New("disk full")
		}
		return os.Rename(from, to)
	}
	defer func() { rename = os.Rename }()
	_, err := Prepare(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "no dataset") {
		t.Fatalf("Prepare with a failing rename: %v", err)
	}
	if _, err := Load(cfg.DataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load after a partial write: %v, want a missing %s", err, MetaFile)
	}
	for _, e := range outputEntries(t, cfg.DataDir) {
		if strings.HasPrefix(e, ".") {
			t.Errorf("temporary file %s left", e)
		}
	}

	rename = os.Rename
	second := prepare(t, cfg)
	ds, err := Load(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Verify(); err != nil || ds.Meta.Hash != second.Meta.Hash || second.Meta.Hash == first.Meta.Hash {
		t.Errorf("after a successful Prepare: %v, hash %s (first %s, second %s)", err, ds.Meta.Hash, first.Meta.Hash, second.Meta.Hash)
	}
}

// TestAddExclusionsEndsUnendedLine checks that an entry added to a
// hand-edited exclude.txt without a final newline gets its own line.
func TestAddExclusionsEndsUnendedLine(t *testing.T) {
	for _, tc := range []struct{ before, want string }{
		{"1234.jpg", "1234.jpg\n5678.jpg\n"},
		{"# bad ones\n1234.jpg\n", "# bad ones\n1234.jpg\n5678.jpg\n"},
		{"", "5678.jpg\n"},
	} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, ExcludeFile), []byte(tc.before))
		if err := AddExclusions(dir, "", "5678.jpg"); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, ExcludeFile))
		if string(b) != tc.want {
			t.Errorf("after %q: %q, want %q", tc.before, b, tc.want)
		}
		set, err := ReadExclusions(dir)
		if err != nil || !Excluded(set, "5678.jpg") || (tc.before != "" && !Excluded(set, "1234.jpg")) {
			t.Errorf("after %q: exclusions %v, %v", tc.before, set, err)
		}
	}
	// No file yet: created, with the reason.
	dir := t.TempDir()
	if err := AddExclusions(dir, "blurry", "1.jpg"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ExcludeFile)); string(b) != "# blurry\n1.jpg\n" {
		t.Errorf("new file %q", b)
	}
}

// TestWriteTempRemovesFailedFile: a temporary file whose writing failed is
// removed at once.
func TestWriteTempRemovesFailedFile(t *testing.T) {
	dir := t.TempDir()
	_, err := writeTemp(dir, TrainImagesFile, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return errors.New("disk full")
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("writeTemp: %v, want the write's error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
}

// TestPrepareOutputFolderAfterwards: a failed Prepare removes the output
// folder it created, but not one that was there before; after a successful
// one, the lock file stays (removing it would let two prepares lock
// different files).
func TestPrepareOutputFolderAfterwards(t *testing.T) {
	cfg := testConfig(makeTree(t, 3, 1))
	cfg.MinPerClass = 2 // c1 has too few photos
	if _, err := Prepare(t.Context(), cfg); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(cfg.DataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the output folder made by the failed prepare: %v", err)
	}
	if err := os.Mkdir(cfg.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(t.Context(), cfg); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(cfg.DataDir); err != nil {
		t.Errorf("the output folder that was there before a failed prepare: %v", err)
	}
	if err := os.Remove(filepath.Join(cfg.DataDir, lockFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.Remove(cfg.DataDir); err != nil {
		t.Fatal(err)
	}
	cfg.MinPerClass = 1
	prepare(t, cfg)
	if _, err := os.Stat(filepath.Join(cfg.DataDir, lockFile)); err != nil {
		t.Errorf("lock file after a successful prepare into a new folder: %v", err)
	}
}

// TestStaleTempsAreWriteTemps: the temporary files a killed prepare leaves
// (writeTemp's, not yet renamed) are hidden, and removeStaleTemps finds them.
func TestStaleTempsAreWriteTemps(t *testing.T) {
	dir := t.TempDir()
	var left []string
	for _, name := range outputFiles {
		tmp, err := writeTemp(dir, name, func(w io.Writer) error { _, err := w.Write([]byte("data")); return err })
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(filepath.Base(tmp), ".") {
			t.Errorf("temporary file %s is not hidden", filepath.Base(tmp))
		}
		left = append(left, tmp)
	}
	var logs bytes.Buffer
	removeStaleTemps(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if want := fmt.Sprintf("files=%d", len(left)); !strings.Contains(logs.String(), want) {
		t.Errorf("log %q does not say %s", logs.String(), want)
	}
	for _, tmp := range left {
		if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s not removed: %v", filepath.Base(tmp), err)
		}
	}
}
