//go:build cgo && !noxla && linux && amd64

package backend

/*
#include <malloc.h>
#include <stdlib.h>

// mmapped_after_malloc allocates size bytes, reports whether the allocator
// served them with a fresh mmap, and frees them.
static int mmapped_after_malloc(size_t size) {
	struct mallinfo2 before = mallinfo2();
	void *volatile p = malloc(size); // volatile: the compiler may not drop the pair
	struct mallinfo2 after = mallinfo2();
	free(p);
	return after.hblks > before.hblks;
}
*/
import "C"

import (
	"log/slog"
	"sync"
)

// keepXLABuffersMapped stops the C allocator from handing XLA's large
// buffers back to the kernel after every step.
//
// The XLA CPU runtime allocates each execution's temporaries (about 100 MB
// for the course's CNN at batch 32) and its outputs with malloc, and frees
// them when the step ends. glibc serves blocks over its mmap threshold (at
// most 32 MB by default) with a fresh mmap and unmaps them on free, so every
// training step page-faulted and zeroed its whole working set again: a
// quarter of the step time went to the kernel. Raising the mmap and trim
// thresholds keeps those blocks in the heap for reuse: training on xla:cpu
// went from about 240 to about 310 images/s on a 2-core machine, for about
// 150 MB more peak memory (bench/README.md).
//
// The thresholds apply to glibc's main heap only. A block larger than 64 MB
// allocated by one of XLA's worker threads in a thread arena of its own (the
// CNN's 88 MB buffer at batch 32) is still mapped and unmapped every step.
// GLIBC_TUNABLES=glibc.malloc.arena_max=1 in the environment puts every
// thread on the main heap: in a quick test with bin/gotrain, about 5 % more
// images/s and 140 MB less peak memory. Setting the same with mallopt here
// comes too late (the arenas exist by then) and changed nothing.
var keepXLABuffersMapped = sync.OnceFunc(func() {
	const limit = 1 << 30 // blocks up to 1 GiB come from the heap and stay there
	if C.mallopt(C.M_MMAP_THRESHOLD, limit) != 1 || C.mallopt(C.M_TRIM_THRESHOLD, limit) != 1 {
		slog.Warn("mallopt refused the mmap/trim thresholds: XLA steps will be slower")
	}
})

// mmappedAfterMalloc tells whether a C allocation of size bytes gets its own
// mmap (for tests).
func mmappedAfterMalloc(size int) bool { return C.mmapped_after_malloc(C.size_t(size)) != 0 }
