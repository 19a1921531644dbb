package serve

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

func TestProgressiveJPEGAccepted(t *testing.T) {
	// Made with Pillow 13: 48×32, progressive=True, quality 85 (10 scans).
	data, err := os.ReadFile("testdata/progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHandler(t, testConfig(), nil)
	if rec := do(h, "POST", "/api/predict", "", data); rec.Code != 200 {
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}

// TestTooManyScansRefusedByTheAPI: the scan cap is what refuses such a JPEG;
// a few empty scans fail in the decoder with a different message, so the
// message tells the two apart.
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
// decoder reads (each a pass over 262 144 blocks), are counted too.
func TestHiddenScansCounted(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	rec := do(h, "POST", "/api/predict", "", imagetest.ProgressiveJPEG(3000, true))
	wantError(t, rec, 422, CodeInvalidImage)
	if e := decodeJSON[ErrorResponse](t, rec.Body.Bytes()); !strings.Contains(e.Message, "scans") {
		t.Errorf("message %q, want one about the JPEG's scans", e.Message)
	}
}

// A JPEG followed by other data (a phone's "motion photo" appends a video,
// whose bytes hold FF DA pairs by chance) is classified: only the image's
// scans count.
func TestMotionPhotoAccepted(t *testing.T) {
	tail := make([]byte, 8<<20)
	for i := range tail {
		tail[i] = uint8(i * 2654435761 >> 13)
	}
	tail = append(tail, bytes.Repeat([]byte{0xFF, 0xDA}, 2*imageio.MaxJPEGScans)...)
	h := newTestHandler(t, testConfig(), nil)
	rec := do(h, "POST", "/api/predict", "", append(imagetest.Encode(t, "jpeg", solid(32, 32, red)), tail...))
	if rec.Code != 200 {
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}

// An image in an accepted format but in a variant the decoders do not read
// is refused as such, not as a damaged file.
func TestUnsupportedVariantRefused(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	rec := do(h, "POST", "/api/predict", "", imagetest.RLEBMP())
	wantError(t, rec, 415, CodeUnsupportedMediaType)
	if e := decodeJSON[ErrorResponse](t, rec.Body.Bytes()); !strings.Contains(e.Message, "variant") {
		t.Errorf("message %q, want one about the format's variant", e.Message)
	}
}
