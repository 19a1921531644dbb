//go:build cgo && !noxla && linux && amd64

package backend

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// After an xla backend is set up, large C allocations (XLA's per-step
// buffers) come from the heap rather than from a fresh mmap each time. It
// runs in a new process: the thresholds stay set for the rest of a process,
// so after another test has created an xla backend there is nothing left to
// compare. The backend is set up with a plugin that does not exist: the
// thresholds are set before the plugin is loaded.
func TestXLABuffersStayMapped(t *testing.T) {
	const size = 48 << 20 // above glibc's largest default mmap threshold (32 MB)
	if os.Getenv("MALLOC_THRESHOLD_CHILD") == "1" {
		before := mmappedAfterMalloc(size)
		_, err := create(choice{Name: XLACPU, Config: "xla:" + filepath.Join(os.TempDir(), "animalcnn-no-such-plugin.so")})
		fmt.Println(before, mmappedAfterMalloc(size), err != nil)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestXLABuffersStayMapped$")
	cmd.Env = append(os.Environ(), "MALLOC_THRESHOLD_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var before, after, failed bool
	if _, err := fmt.Sscan(string(out), &before, &after, &failed); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	if !failed {
		t.Fatal("a backend started with a plugin that does not exist")
	}
	if !before {
		t.Skip("this C allocator does not mmap large blocks by default")
	}
	if after {
		t.Errorf("a %d MB block is still mmapped after an xla backend was set up", size>>20)
	}
}

// A block larger than a thread arena's 64 MB heaps, made by a thread other
// than the main one (as XLA's workers do), comes from the main heap too:
// the program runs with one malloc arena. Each check runs in a new process.
func TestXLAThreadBuffersStayMapped(t *testing.T) {
	const size = 96 << 20
	if os.Getenv("MALLOC_ARENA_CHILD") == "1" {
		keepXLABuffersMapped()
		fmt.Println(mmappedInNewThread(size))
		os.Exit(0)
	}
	run := func(arenas string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestXLAThreadBuffersStayMapped$")
		cmd.Env = append(os.Environ(), "MALLOC_ARENA_CHILD=1", "ANIMALCNN_MALLOC_ARENAS="+arenas)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child (ANIMALCNN_MALLOC_ARENAS=%q): %v", arenas, err)
		}
		return strings.TrimSpace(string(out))
	}
	if run("default") != "true" {
		t.Skip("this C allocator does not mmap large blocks of other threads")
	}
	if got := run(""); got != "false" {
		t.Errorf("a %d MB block allocated by a new thread is mmapped (%s) with one arena", size>>20, got)
	}
}
