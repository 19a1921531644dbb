package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != content {
			t.Fatalf("read %q, %v; want %q", b, err, content)
		}
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), nil, 0o644); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// Writing where a folder is fails at once, saying so (the rename would fail
// after the write, with "file exists"), and leaves no temporary file.
func TestWriteFileOverAFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "taken")
	if err := os.Mkdir(path, 0o755); err != nil { // a file cannot replace a directory
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("data"), 0o644)
	if !errors.Is(err, syscall.EISDIR) || err.Error() != "write "+path+": is a directory" {
		t.Fatalf("writing over a directory: %v, want EISDIR", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// The temporary file is made next to the target, not in $TMPDIR: a rename
// is atomic within one file system only.
func TestWriteFileIgnoresTMPDIR(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	path := filepath.Join(t.TempDir(), "a.json")
	if err := WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatalf("with $TMPDIR missing: %v", err)
	}
}

// While a write is in progress, a listing of the folder (a dataset scan, a
// checkpoint lookup) sees the temporary file as a hidden one, never as a
// file of its own under a plain name.
func TestWriteFileTemporaryHidden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.npy")
	data := make([]byte, 8<<20)
	for range 20 {
		done := make(chan error, 1)
		go func() { done <- WriteFile(path, data, 0o644) }()
		var seen []string
	list:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				break list
			default:
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "big.npy" {
					seen = append(seen, e.Name())
				}
			}
		}
		for _, name := range seen {
			if !strings.HasPrefix(name, ".") {
				t.Fatalf("temporary file %q is not hidden", name)
			}
		}
		if len(seen) > 0 {
			return
		}
	}
	t.Skip("writes were too fast to see a temporary file")
}

// WriteTemp leaves a complete file with the permissions asked for, named
// after the pattern, in the folder given; a failed write leaves nothing.
func TestWriteTemp(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 3<<20) // more than the buffer
	tmp, err := WriteTemp(dir, ".photo-*.part", 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, big)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(tmp) != dir || !strings.HasPrefix(filepath.Base(tmp), ".photo-") || !strings.HasSuffix(tmp, ".part") {
		t.Errorf("temporary file %s, want %s/.photo-*.part", tmp, dir)
	}
	if b, err := os.ReadFile(tmp); err != nil || string(b) != big {
		t.Errorf("read %d bytes (%v), want %d", len(b), err, len(big))
	}
	if st, err := os.Stat(tmp); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644", st.Mode().Perm(), err)
	}

	failed := errors.New("encoder failed")
	dir2 := t.TempDir()
	if _, err := WriteTemp(dir2, "x*", 0o644, func(w io.Writer) error { return failed }); !errors.Is(err, failed) {
		t.Errorf("WriteTemp: %v, want the write's error", err)
	}
	if entries, _ := os.ReadDir(dir2); len(entries) != 0 {
		t.Errorf("a failed WriteTemp left %v", entries)
	}
	if _, err := WriteTemp(filepath.Join(dir2, "missing"), "x*", 0o644, func(io.Writer) error { return nil }); err == nil {
		t.Error("WriteTemp into a missing folder succeeded")
	}
}

// Sync flushes files and folders, and says which path it could not open.
func TestSync(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a")
	if err := os.WriteFile(file, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Sync(file, dir); err != nil {
		t.Errorf("Sync(file, dir): %v", err)
	}
	missing := filepath.Join(dir, "missing")
	if err := Sync(file, missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Sync of a missing path: %v, want an error naming it", err)
	}
}
