package dirent

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIsDir: folders and links to folders are folders; files, links to
// files and dangling links are not.
func TestIsDir(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(filepath.Join(dir, "folder"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	must(os.Symlink("folder", filepath.Join(dir, "link-to-folder")))
	must(os.Symlink("file", filepath.Join(dir, "link-to-file")))
	must(os.Symlink("nowhere", filepath.Join(dir, "dangling")))
	want := map[string]bool{"folder": true, "link-to-folder": true, "file": false, "link-to-file": false, "dangling": false}
	entries, err := os.ReadDir(dir)
	must(err)
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(entries), len(want))
	}
	for _, e := range entries {
		if got := IsDir(dir, e); got != want[e.Name()] {
			t.Errorf("IsDir(%s) = %v, want %v", e.Name(), got, want[e.Name()])
		}
	}
}
