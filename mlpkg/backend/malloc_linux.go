//go:build cgo && !noxla && linux && amd64

package backend

/*
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// one_malloc_arena puts every thread of the process on glibc's main heap,
// when the program is loaded: before the Go runtime starts threads, whose
// first mallocs would create arenas of their own (mallopt later has no
// effect on them). See keepXLABuffersMapped. ANIMALCNN_MALLOC_ARENAS=default
// keeps glibc's default.
__attribute__((constructor)) static void one_malloc_arena(void) {
	const char *v = getenv("ANIMALCNN_MALLOC_ARENAS");
	if (v != NULL && strcmp(v, "default") == 0) return;
	mallopt(M_ARENA_MAX, 1);
}

// mmapped_after_malloc allocates size bytes, reports whether the allocator
// served them with a fresh mmap, and frees them.
static int mmapped_after_malloc(size_t size) {
	struct mallinfo2 before = mallinfo2();
	void *volatile p = malloc(size); // volatile: the compiler may not drop the pair
	struct mallinfo2 after = mallinfo2();
	free(p);
	return after.hblks > before.hblks;
}

static void *mmapped_after_malloc_thread(void *size) {
	return (void *)(intptr_t)mmapped_after_malloc(*(size_t *)size);
}

// mmapped_in_new_thread is mmapped_after_malloc in a new thread; -1 if it
// cannot be started.
static int mmapped_in_new_thread(size_t size) {
	pthread_t t;
	void *mmapped = 0;
	if (pthread_create(&t, NULL, mmapped_after_malloc_thread, &size) != 0) return -1;
	pthread_join(t, &mmapped);
	return (int)(intptr_t)mmapped;
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
// The thresholds apply to glibc's main heap. A thread's own arena grows in
// heaps of at most 64 MB, so a larger block that one of XLA's worker threads
// allocated there (the CNN's 88 MB buffer at batch 32) was still mapped and
// unmapped every step: one_malloc_arena (above, run when the program is
// loaded) keeps every thread on the main heap. Measured with bin/gotrain on
// 2 cores, three runs each: the same speed, peak memory 800-850 → 600-635 MB.
var keepXLABuffersMapped = sync.OnceFunc(func() {
	const limit = 1 << 30 // blocks up to 1 GiB come from the heap and stay there
	if C.mallopt(C.M_MMAP_THRESHOLD, limit) != 1 || C.mallopt(C.M_TRIM_THRESHOLD, limit) != 1 {
		slog.Warn("mallopt refused the mmap/trim thresholds: XLA steps will be slower")
	}
})

// mmappedInNewThread tells whether a C allocation of size bytes made by a
// new thread gets its own mmap (for tests).
func mmappedInNewThread(size int) bool { return C.mmapped_in_new_thread(C.size_t(size)) == 1 }

// mmappedAfterMalloc tells whether a C allocation of size bytes gets its own
// mmap (for tests).
func mmappedAfterMalloc(size int) bool { return C.mmapped_after_malloc(C.size_t(size)) != 0 }
