//go:build cgo && !noxla && ((linux && amd64) || darwin)

package backend

import "github.com/gomlx/gomlx/backends/xla" // registers "xla"

// xlaCompiledIn tells whether the xla backend is part of this binary.
const xlaCompiledIn = true

// setXLAAutoInstall turns GoMLX's plugin auto-install on or off. GoMLX reads
// GOMLX_NO_AUTO_INSTALL only at start-up, so it has to be told directly.
func setXLAAutoInstall(on bool) { xla.EnableAutoInstall(on) }
