//go:build !cgo || noxla || !(linux && amd64)

package backend

// keepXLABuffersMapped tunes the C allocator for XLA on Linux (see
// malloc_linux.go); there is nothing to do elsewhere.
func keepXLABuffersMapped() {}
