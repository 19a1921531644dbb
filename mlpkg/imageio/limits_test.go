package imageio

import (
	"bytes"
	"errors"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

// TestScanCap: a progressive JPEG with more than MaxJPEGScans scans, even
// hidden behind FF 00 junk that a marker walker skips, is refused by
// DecodeBytes before decoding and by Decode while it reads; one with a few
// scans decodes.
func TestScanCap(t *testing.T) {
	if img, _, err := DecodeBytes(imagetest.ProgressiveJPEG(3, false)); err != nil || img.Bounds().Dx() != 4096 {
		t.Fatalf("3 scans: %v", err)
	}
	bomb := imagetest.ProgressiveJPEG(3000, true)
	if n := JPEGScans(bomb, MaxJPEGScans); n <= MaxJPEGScans {
		t.Errorf("JPEGScans counts %d of 3000 hidden scans", n)
	}
	start := time.Now()
	if _, _, err := DecodeBytes(bomb); !errors.Is(err, ErrTooManyScans) {
		t.Errorf("DecodeBytes: %v, want ErrTooManyScans", err)
	}
	if _, _, err := Decode(bytes.NewReader(bomb)); !errors.Is(err, ErrTooManyScans) {
		t.Errorf("Decode: %v, want ErrTooManyScans", err)
	}
	t.Logf("both refused in %v", time.Since(start))
}

// TestDecodeBytesLimit: a caller's pixel limit is applied from the header.
func TestDecodeBytesLimit(t *testing.T) {
	data := imagetest.Encode(t, "png", halves(40, 30, red, blue))
	if _, _, err := DecodeBytesLimit(data, 40*30-1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit one pixel short: %v, want ErrTooLarge", err)
	}
	if img, _, err := DecodeBytesLimit(data, 40*30); err != nil || img.Bounds().Dx() != 40 {
		t.Errorf("limit exactly: %v", err)
	}
}

// TestScanCountIgnoresDataBytes: only FF DA is a scan. A baseline JPEG of
// noise, whose entropy-coded data holds hundreds of DA bytes (after other
// bytes than FF), has one scan and decodes.
func TestScanCountIgnoresDataBytes(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
	}
	data := imagetest.Encode(t, "jpeg", img)
	if n := bytes.Count(data, []byte{0xDA}); n <= 3*MaxJPEGScans {
		t.Fatalf("the noise JPEG holds only %d DA bytes", n)
	}
	if n := JPEGScans(data, MaxJPEGScans); n != 1 {
		t.Errorf("JPEGScans = %d, want 1", n)
	}
	if _, _, err := Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("Decode: %v", err)
	}
	if _, _, err := DecodeBytes(data); err != nil {
		t.Errorf("DecodeBytes: %v", err)
	}
}
