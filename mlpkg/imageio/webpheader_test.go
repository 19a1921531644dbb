package imageio

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/webp"
)

// webpCanvasLie is 56 bytes: a VP8X chunk declaring a 1×1 canvas, then the
// VP8L bitstream of a 16383×16383 solid image (cwebp -lossless of a solid
// PNG). x/image/webp's DecodeConfig says 1×1 and its Decode allocates 1 GB.
var webpCanvasLie = []byte("RIFF\x30\x00\x00\x00WEBP" +
	"VP8X\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"VP8L\x11\x00\x00\x00\x2f\xfe\xbf\xff\x0f\x07\x50\xc0\x02\x16\xb0\xff\x81\x88\xe8\x7f\x00\x00")

// TestWebPConfigIsTheDecodedSize: for every WebP fixture (lossy, lossless,
// with an alpha chunk), DecodeConfig gives the size Decode returns and the
// colour model x/image/webp reports.
func TestWebPConfigIsTheDecodedSize(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.webp"))
	if err != nil || len(names) < 4 {
		t.Fatalf("WebP fixtures: %v, %v", names, err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := DecodeConfig(bytes.NewReader(data))
		if err != nil || format != "webp" {
			t.Errorf("%s: DecodeConfig: %s, %v", name, format, err)
			continue
		}
		img, _, err := Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want, err := webp.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); cfg.Width != b.Dx() || cfg.Height != b.Dy() || cfg != want {
			t.Errorf("%s: DecodeConfig %dx%d %T, x/image/webp %dx%d %T, decoded %v", name, cfg.Width, cfg.Height, cfg.ColorModel,
				want.Width, want.Height, want.ColorModel, b)
		}
	}
}

// TestWebPCanvasLieIsRefused: a file whose declared canvas is not the size
// of its image is refused from its header, before anything is decoded.
func TestWebPCanvasLieIsRefused(t *testing.T) {
	if _, _, err := DecodeConfig(bytes.NewReader(webpCanvasLie)); err == nil || !strings.Contains(err.Error(), "1x1 canvas but its image is 16383x16383") {
		t.Errorf("DecodeConfig: %v, want the canvas and image sizes named", err)
	}
	if _, _, err := DecodeBytes(webpCanvasLie); err == nil {
		t.Error("DecodeBytes decoded a WebP whose header lies about its size")
	}
	// Truncated headers are errors, not panics.
	for n := range len(webpCanvasLie) {
		if _, _, err := DecodeConfig(bytes.NewReader(webpCanvasLie[:n])); err == nil {
			t.Errorf("first %d bytes: DecodeConfig gave no error", n)
		}
	}
}

// TestWebPHeaderChecks: DecodeConfig refuses a WebP header that is
// damaged, or whose canvas differs from its image in either dimension, and
// reads a lossy image's size without its upscaling bits, as the decoder
// does.
func TestWebPHeaderChecks(t *testing.T) {
	lossy := readFixture(t, "halves_lossy.webp")          // RIFF header, then "VP8 " at 12: frame tag, start code at 23, width at 26, height at 28
	lossless := readFixture(t, "quadrants_lossless.webp") // "VP8L" at 12, signature at 20
	patch := func(data []byte, off int, b ...byte) []byte {
		d := bytes.Clone(data)
		copy(d[off:], b)
		return d
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"short VP8X", append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x04\x00\x00\x00\x00\x00\x00\x00"), lossless[12:]...), "short VP8X chunk"},
		{"VP8 start code", patch(lossy, 23, 0x9d, 0x01, 0x2b), "bad VP8 start code"},
		{"VP8L signature", patch(lossless, 20, 0x2e), "bad VP8L signature"},
		// webpCanvasLie's canvas (width-1 at 24, height-1 at 27) made as wide
		// or as high as its image.
		{"canvas height", patch(webpCanvasLie, 24, 0xfe, 0x3f), "16383x1 canvas but its image is 16383x16383"},
		{"canvas width", patch(webpCanvasLie, 27, 0xfe, 0x3f), "1x16383 canvas but its image is 16383x16383"},
	} {
		if _, _, err := DecodeConfig(bytes.NewReader(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// The two top bits of a VP8 frame's width and height ask a viewer to
	// upscale; the image is decoded at the size without them.
	scaled := patch(lossy, 26, 0x10, 0x40, 0x10, 0xc0)
	cfg, _, err := DecodeConfig(bytes.NewReader(scaled))
	if err != nil || cfg.Width != 16 || cfg.Height != 16 {
		t.Errorf("with upscaling bits: %+v, %v; want 16x16", cfg, err)
	}
	if img, _, err := DecodeBytes(scaled); err != nil || img.Bounds() != image.Rect(0, 0, 16, 16) {
		t.Errorf("with upscaling bits: DecodeBytes %v", err)
	}
}
