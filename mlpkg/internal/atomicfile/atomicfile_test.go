package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
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

// A write that fails at the rename leaves no temporary file and says so.
func TestWriteFileRenameFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "taken")
	if err := os.Mkdir(path, 0o755); err != nil { // a file cannot replace a directory
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("data"), 0o644); err == nil {
		t.Fatal("writing over a directory succeeded")
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
