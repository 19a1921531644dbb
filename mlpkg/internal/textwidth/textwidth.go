// Package textwidth pads text by the columns it takes on a terminal, so that
// tables of class names line up whatever their script: East Asian wide
// characters such as サル take two columns, combining marks none, and other
// characters one (fmt's widths count characters, and len counts bytes). The
// measure is github.com/rivo/uniseg's (grapheme clusters, Unicode's East
// Asian Width), which the terminal progress bars' library already uses.
package textwidth

import (
	"strings"

	"github.com/rivo/uniseg"
)

// Width returns how many columns s takes on a terminal.
func Width(s string) int { return uniseg.StringWidth(s) }

// PadRight returns s followed by the spaces that bring it to w columns (s
// itself when it is as wide or wider).
func PadRight(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-Width(s)))
}

// PadLeft returns s after the spaces that bring it to w columns (s itself
// when it is as wide or wider).
func PadLeft(s string, w int) string {
	return strings.Repeat(" ", max(0, w-Width(s))) + s
}
