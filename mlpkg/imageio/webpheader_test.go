package imageio

import (
	"bytes"
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
