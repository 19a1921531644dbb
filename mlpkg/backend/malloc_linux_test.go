//go:build cgo && !noxla && linux && amd64

package backend

import "testing"

// After an xla backend is set up, large C allocations (XLA's per-step
// buffers) come from the heap rather than from a fresh mmap each time.
func TestXLABuffersStayMapped(t *testing.T) {
	const size = 48 << 20 // above glibc's largest default mmap threshold (32 MB)
	if !mmappedAfterMalloc(size) {
		t.Skip("this C allocator does not mmap large blocks by default")
	}
	keepXLABuffersMapped()
	if mmappedAfterMalloc(size) {
		t.Errorf("a %d MB block is still mmapped after keepXLABuffersMapped", size>>20)
	}
}
