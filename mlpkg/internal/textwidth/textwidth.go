// Package textwidth measures and pads text by the columns it takes on a
// terminal, so that tables of class names line up whatever their script:
// East Asian wide characters such as サル take two columns, combining marks
// none, and other characters one (fmt's widths count characters, and len
// counts bytes).
package textwidth

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Width returns how many columns s takes on a terminal.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch k := width.LookupRune(r).Kind(); {
		case k == width.EastAsianWide || k == width.EastAsianFullwidth:
			n += 2
		case unicode.Is(unicode.Mn, r):
		default:
			n++
		}
	}
	return n
}

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
