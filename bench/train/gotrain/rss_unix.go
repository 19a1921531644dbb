//go:build unix

package main

import (
	"runtime"
	"syscall"
)

// peakRSSMiB is the process's peak resident memory (getrusage's ru_maxrss:
// KiB on Linux and the BSDs, bytes on macOS), or 0 when it cannot be read
// (JSON has no NaN).
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	kib := float64(ru.Maxrss)
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		kib /= 1024
	}
	return kib / 1024
}
