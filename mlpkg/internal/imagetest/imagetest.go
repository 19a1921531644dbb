// Package imagetest holds test helpers shared by the packages that decode
// images (imageio, serve, curate): encoding generated pictures in each format.
package imagetest

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Encode returns img encoded as format: "jpeg" (quality 95), "png", "gif",
// "bmp" or "tiff". It fails the test on an unknown format or an encoding error.
func Encode(t testing.TB, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	case "png":
		err = png.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	case "tiff":
		err = tiff.Encode(&buf, img, nil)
	default:
		t.Fatalf("imagetest: no encoder for %q", format)
	}
	if err != nil {
		t.Fatalf("imagetest: encode %s: %v", format, err)
	}
	return buf.Bytes()
}
