package serve

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// usage reports the bytes and files currently stored.
func (s *uploadStore) usage() (bytes int64, files int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, len(s.files)
}

// A write that fails partway (a full disk) stores nothing: no upload under
// its final name, no temporary file, nothing counted; the next one succeeds.
func TestStoreWriteFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	st, err := openStore(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	writeUpload = func(f *os.File, b []byte) (int, error) {
		if !strings.HasPrefix(filepath.Base(f.Name()), ".") {
			t.Errorf("upload written under its final name %s: a crash would leave it truncated", f.Name())
		}
		n, _ := f.Write(b[:len(b)/2])
		return n, syscall.ENOSPC
	}
	defer func() { writeUpload = (*os.File).Write }()
	if _, err := st.save(make([]byte, 1000), "png"); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("save on a full disk: %v, want ENOSPC", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left after a failed save: %v", entries)
	}
	if used, files := st.usage(); used != 0 || files != 0 {
		t.Errorf("a failed save counted: %d bytes, %d files", used, files)
	}
	writeUpload = (*os.File).Write
	name, err := st.save(make([]byte, 1000), "png")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() != 1000 {
		t.Errorf("stored %s: %v, %v", name, fi, err)
	}
}
