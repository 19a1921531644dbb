package serve

import (
	"bytes"
	"image/jpeg"
	"os"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

func TestJPEGScans(t *testing.T) {
	base := imagetest.Encode(t, "jpeg", solid(32, 32, red))
	if n := jpegScans(base, 100); n != 1 {
		t.Errorf("baseline JPEG: %d scans, want 1", n)
	}
	if n := jpegScans(manyScans(base, 5), 100); n != 6 {
		t.Errorf("with 5 more: %d scans, want 6", n)
	}
	if n := jpegScans(manyScans(base, 500), 10); n != 11 {
		t.Errorf("the count stops past the limit: %d, want 11", n)
	}
	// Stuffed bytes and restart markers inside entropy-coded data are not scans.
	ecs := []byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xDA, 0x00, 0x02, 0x78, 0xFF, 0xD9}
	if n := jpegScans(ecs, 100); n != 2 {
		t.Errorf("hand-made stream: %d scans, want 2", n)
	}
	for _, bad := range [][]byte{nil, {0xFF}, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xDA}, {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x00}} {
		if n := jpegScans(bad, 100); n > 1 {
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
	n := jpegScans(data, maxJPEGScans)
	if n < 2 || n > maxJPEGScans {
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
	rec := do(h, "POST", "/api/predict", "", manyScans(base, maxJPEGScans+5))
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

// progressiveBomb returns a 4096×4096 grey progressive JPEG of nScans AC
// scans, each an end-of-band run over all 262 144 blocks (about 25 bytes, a
// full pass over the image for the decoder). With hide, every group of
// scans follows an FF 00 pair, which Go's decoder skips as junk between
// segments but a marker walker reads as a segment whose length (the FF DA
// that follows: 65 498) jumps over the group.
func progressiveBomb(nScans int, hide bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	b.Write([]byte{0xFF, 0xDB, 0x00, 0x43, 0x00})
	b.Write(bytes.Repeat([]byte{1}, 64))
	b.Write([]byte{0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x10, 0x00, 0x10, 0x00, 0x01, 0x01, 0x11, 0x00})
	dht := append([]byte{0xFF, 0xC4, 0x00, 0x14, 0x10, 1}, make([]byte, 15)...)
	b.Write(append(dht, 0xE0))
	// Entropy-coded data: 9 × ("0" and 14 ones), padded with ones, FF stuffed.
	var bits []byte
	for range 9 {
		bits = append(bits, 0)
		bits = append(bits, bytes.Repeat([]byte{1}, 14)...)
	}
	for len(bits)%8 != 0 {
		bits = append(bits, 1)
	}
	var ecs []byte
	for i := 0; i < len(bits); i += 8 {
		var v byte
		for j := range 8 {
			v = v<<1 | bits[i+j]
		}
		if ecs = append(ecs, v); v == 0xFF {
			ecs = append(ecs, 0)
		}
	}
	scan := append([]byte{0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3F, 0x00}, ecs...)
	const jump = 2 + 0xFFDA // what a walker skips at FF 00 FF DA
	for done := 0; done < nScans; {
		start := b.Len()
		if hide {
			b.Write([]byte{0xFF, 0x00})
		}
		for k := 0; k < (jump-2)/len(scan) && done < nScans; k++ {
			b.Write(scan)
			done++
		}
		for hide && b.Len() < start+jump { // padding the decoder ignores
			b.WriteByte(0x00)
		}
	}
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}

// TestHiddenScansCounted: scans hidden behind FF 00 junk, which Go's
// decoder reads (each a pass over 262 144 blocks), are counted, and the
// upload is refused before decoding.
func TestHiddenScansCounted(t *testing.T) {
	few := progressiveBomb(3, false)
	if _, err := jpeg.Decode(bytes.NewReader(few)); err != nil {
		t.Fatalf("the bomb's construction no longer decodes: %v", err)
	}
	if n := jpegScans(few, maxJPEGScans); n != 3 {
		t.Errorf("3 scans counted as %d", n)
	}
	bomb := progressiveBomb(3000, true)
	if n := jpegScans(bomb, maxJPEGScans); n <= maxJPEGScans {
		t.Errorf("%d hidden scans counted as %d", 3000, n)
	}
	h := newTestHandler(t, testConfig(), nil)
	wantError(t, do(h, "POST", "/api/predict", "", bomb), 422, CodeInvalidImage)
}
