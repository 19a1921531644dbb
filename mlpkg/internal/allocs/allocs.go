// Package allocs measures heap allocation, for tests that check that a
// small damaged input cannot make a reader allocate gigabytes.
package allocs

import "runtime"

// Bytes returns the bytes fn allocated on the heap (those of any goroutine
// running meanwhile included: the tests that use it run nothing else).
func Bytes(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
