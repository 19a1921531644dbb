package imageio

import (
	"path/filepath"
	"slices"
	"strings"
)

// extensions are the file extensions (lower case, with the dot) of image
// files: the names a folder of pictures is listed by. Decoding never trusts
// them: it sniffs the format from the data.
var extensions = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"}

// HasImageExt reports whether name ends in an image file extension (.jpg,
// .jpeg, .png, .gif, .bmp, .webp, .tif or .tiff, in any case).
func HasImageExt(name string) bool {
	return slices.Contains(extensions, strings.ToLower(filepath.Ext(name)))
}

// Ext returns the file extension, with its dot, to give a file of a format
// of Formats (as Sniff and Decode name it): ".jpg" for "jpeg", otherwise the
// format's name (".png", ".tiff"). It returns "" for any other format, so
// that nothing outside Formats reaches a file name: callers choose their own
// fallback.
func Ext(format string) string {
	switch {
	case format == "jpeg":
		return ".jpg"
	case slices.Contains(formats, format):
		return "." + format
	}
	return ""
}
