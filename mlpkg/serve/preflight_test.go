package serve

import (
	"bytes"
	"image/jpeg"
	"os"

	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

func TestJPEGScans(t *testing.T) {
	base := imagetest.Encode(t, "jpeg", solid(32, 32, red))
	if n := imageio.JPEGScans(base, 100); n != 1 {
		t.Errorf("baseline JPEG: %d scans, want 1", n)
	}
	if n := imageio.JPEGScans(manyScans(base, 5), 100); n != 6 {
		t.Errorf("with 5 more: %d scans, want 6", n)
	}
	if n := imageio.JPEGScans(manyScans(base, 500), 10); n != 11 {
		t.Errorf("the count stops past the limit: %d, want 11", n)
	}
	// Stuffed bytes and restart markers inside entropy-coded data are not scans.
	ecs := []byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xDA, 0x00, 0x02, 0x78, 0xFF, 0xD9}
	if n := imageio.JPEGScans(ecs, 100); n != 2 {
		t.Errorf("hand-made stream: %d scans, want 2", n)
	}
	for _, bad := range [][]byte{nil, {0xFF}, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xDA}, {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x00}} {
		if n := imageio.JPEGScans(bad, 100); n > 1 {
			t.Errorf("%x: %d scans", bad, n)
		}
	}
}

func TestProgressiveJPEGAccepted(t *testing.T) {
	// Made with Pillow 13: 48×32, progressive=True, quality 85 (10 scans).
	data, err := os.ReadFile("testdata/progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	n := imageio.JPEGScans(data, imageio.MaxJPEGScans)
	if n < 2 || n > imageio.MaxJPEGScans {
		t.Fatalf("progressive JPEG: %d scans", n)
	}
	h := newTestHandler(t, testConfig(), nil)
	if rec := do(h, "POST", "/api/predict", "", data); rec.Code != 200 {
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}

// TestTooManyScansRefusedByTheAPI: the scan cap is what refuses such a JPEG,
// before decoding; a few empty scans fail only later, in the decoder, with
// a different message, so the message tells the two apart.
func TestTooManyScansRefusedByTheAPI(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	base := imagetest.Encode(t, "jpeg", solid(32, 32, red))
	rec := do(h, "POST", "/api/predict", "", manyScans(base, imageio.MaxJPEGScans+5))
	wantError(t, rec, 422, CodeInvalidImage)
	e := decodeJSON[ErrorResponse](t, rec.Body.Bytes())
	if !strings.Contains(e.Message, "scans") {
		t.Errorf("message %q, want one about the JPEG's scans", e.Message)
	}
	rec = do(h, "POST", "/api/predict", "", manyScans(base, 5))
	if e := decodeJSON[ErrorResponse](t, rec.Body.Bytes()); strings.Contains(e.Message, "scans") {
		t.Errorf("a JPEG with 6 scans refused for its scans: %d %+v", rec.Code, e)
	}
}

// TestHiddenScansCounted: scans hidden behind FF 00 junk, which Go's
// decoder reads (each a pass over 262 144 blocks), are counted, and the
// upload is refused before decoding.
func TestHiddenScansCounted(t *testing.T) {
	few := imagetest.ProgressiveJPEG(3, false)
	if _, err := jpeg.Decode(bytes.NewReader(few)); err != nil {
		t.Fatalf("the bomb's construction no longer decodes: %v", err)
	}
	if n := imageio.JPEGScans(few, imageio.MaxJPEGScans); n != 3 {
		t.Errorf("3 scans counted as %d", n)
	}
	bomb := imagetest.ProgressiveJPEG(3000, true)
	if n := imageio.JPEGScans(bomb, imageio.MaxJPEGScans); n <= imageio.MaxJPEGScans {
		t.Errorf("%d hidden scans counted as %d", 3000, n)
	}
	h := newTestHandler(t, testConfig(), nil)
	wantError(t, do(h, "POST", "/api/predict", "", bomb), 422, CodeInvalidImage)
}
