//go:build linux

package crawl

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A manifest append that writes only part of its line (a full disk; here a
// file size limit, RLIMIT_FSIZE, whose signal Go ignores) takes the part
// back: the next line appended starts on a line of its own.
func TestAppendJSONLTakesBackAPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), ManifestFile)
	first := `{"id":"1","file":"1.jpg"}` + "\n"
	if err := os.WriteFile(path, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skip("no file size limit here:", err)
	}
	small := old
	small.Cur = uint64(len(first) + 10) // room for part of the next line only
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Skip("cannot lower the file size limit:", err)
	}
	err := appendJSONL(path, ManifestEntry{ID: "2", File: "2.jpg", Title: strings.Repeat("t", 100)})
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("an append past the file size limit succeeded")
	}
	if err := appendJSONL(path, ManifestEntry{ID: "3", File: "3.jpg"}); err != nil {
		t.Fatal(err)
	}
	entries, err := ReadManifest(filepath.Dir(path))
	if err != nil || len(entries) != 2 || entries[0].ID != "1" || entries[1].ID != "3" {
		b, _ := os.ReadFile(path)
		t.Errorf("manifest after a partial append: %+v, %v\n%s", entries, err, b)
	}
}
