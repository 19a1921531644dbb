package imageio

import (
	"bytes"
	"errors"
	"image"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

// TestScanCap: a progressive JPEG with more than MaxJPEGScans scans, even
// hidden behind FF 00 junk that a marker walker skips, is refused by
// DecodeBytes and Decode while they read it; one with a few scans decodes.
func TestScanCap(t *testing.T) {
	if img, _, err := DecodeBytes(imagetest.ProgressiveJPEG(3, false)); err != nil || img.Bounds().Dx() != 4096 {
		t.Fatalf("3 scans: %v", err)
	}
	bomb := imagetest.ProgressiveJPEG(3000, true)
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
	if n := countScans(t, data, 1); n != 1 {
		t.Errorf("%d scans counted, want 1", n)
	}
	if _, _, err := Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("Decode: %v", err)
	}
	if _, _, err := DecodeBytes(data); err != nil {
		t.Errorf("DecodeBytes: %v", err)
	}
}

// countScans passes data through a scanLimiter in reads of chunk bytes and
// returns the scans it counted.
func countScans(t *testing.T, data []byte, chunk int) int {
	t.Helper()
	l := &scanLimiter{r: bytes.NewReader(data)}
	buf := make([]byte, chunk)
	for {
		_, err := l.Read(buf)
		if errors.Is(err, io.EOF) || errors.Is(err, ErrTooManyScans) {
			return l.scans
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestScanLimiterCounts: every FF DA is a scan, even split between two
// reads; stuffed bytes (FF 00) and restart markers (FF D0) are not.
func TestScanLimiterCounts(t *testing.T) {
	stream := []byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xDA, 0x00, 0x02, 0x78, 0xFF, 0xD9}
	for _, chunk := range []int{1, 3, len(stream)} {
		if n := countScans(t, stream, chunk); n != 2 {
			t.Errorf("reads of %d bytes: %d scans, want 2", chunk, n)
		}
	}
	many := bytes.Repeat([]byte{0xFF, 0xDA}, MaxJPEGScans+1)
	if n := countScans(t, many, 7); n != MaxJPEGScans+1 {
		t.Errorf("%d scans counted before ErrTooManyScans, want %d", n, MaxJPEGScans+1)
	}
}

// TestDataAfterTheImageIgnored: a JPEG followed by other data (a phone's
// "motion photo" appends a video) decodes, though the data holds more
// FF DA pairs than MaxJPEGScans: the scans are counted in what the decoder
// reads.
func TestDataAfterTheImageIgnored(t *testing.T) {
	jpg := imagetest.Encode(t, "jpeg", halves(40, 30, red, blue))
	tail := make([]byte, 8<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range tail {
		tail[i] = uint8(rng.Uint32())
	}
	if n := bytes.Count(tail, []byte{0xFF, 0xDA}); n <= MaxJPEGScans {
		t.Fatalf("the tail holds only %d FF DA pairs", n)
	}
	data := append(jpg, tail...)
	if img, _, err := DecodeBytes(data); err != nil || img.Bounds().Dx() != 40 {
		t.Errorf("DecodeBytes: %v", err)
	}
	if _, _, err := Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("Decode: %v", err)
	}
}

// TestUnsupportedVariant: an image in a supported format that uses a
// feature its decoder lacks is told apart from a damaged one.
func TestUnsupportedVariant(t *testing.T) {
	if _, _, err := DecodeBytes(imagetest.RLEBMP()); !errors.Is(err, ErrUnsupportedVariant) {
		t.Errorf("run-length-encoded BMP: %v, want ErrUnsupportedVariant", err)
	}
	truncated := imagetest.Encode(t, "png", halves(40, 30, red, blue))
	if _, _, err := DecodeBytes(truncated[:len(truncated)/2]); err == nil || errors.Is(err, ErrUnsupportedVariant) {
		t.Errorf("truncated PNG: %v, want an error other than ErrUnsupportedVariant", err)
	}
}
