//go:build !cgo || noxla || !((linux && amd64) || darwin)

package backend

// xlaCompiledIn tells whether the xla backend is part of this binary.
const xlaCompiledIn = false

// setXLAAutoInstall does nothing without the xla backend.
func setXLAAutoInstall(bool) {}
