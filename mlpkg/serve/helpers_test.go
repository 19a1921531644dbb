package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

// Small fixtures that Go cannot encode (made with Pillow, as in imageio's testdata).
var (
	webpLossless = []byte("RIFF6\x00\x00\x00WEBPVP8L*\x00\x00\x00/\x07\xc0\x01\x10\x1f \x10H\xda\x1fz\x8d\xf9\x17\x10\x14\xf9?\xda\xfc\x07\xf0\xa5@A\xdb6LI\x96dI\xbe\rDD\xff\xc3\xfa\xc4\x07")
	webpLossy    = []byte("RIFFD\x00\x00\x00WEBPVP8 8\x00\x00\x000\x02\x00\x9d\x01*\x10\x00\x10\x00\x00\xc0\x12%\xa0\x02t\xba\x01\xf8\x01\xf8\x80\x04h\x00\x00\xfe\xfd+\x9f\xff\xdf\xa0\x9b\xffw\x9b\xfdtK\xcc\xff\xebG?\xfe\xb4ep\x7fZ9\xbf\xa0\x00")
)

var (
	red   = color.RGBA{220, 30, 30, 255}
	green = color.RGBA{30, 200, 40, 255}
	blue  = color.RGBA{20, 40, 210, 255}
)

func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

// pngHeader returns a PNG whose IHDR declares w×h RGBA pixels, followed by a
// tiny (wrong-sized) IDAT and IEND: a decompression bomb's header.
func pngHeader(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		buf.WriteString(typ)
		crc.Write([]byte(typ))
		buf.Write(data)
		crc.Write(data)
		_ = binary.Write(&buf, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return buf.Bytes()
}

// part is one multipart form part.
type part struct {
	field, filename, contentType string
	data                         []byte
}

// multipartBody builds a multipart/form-data body and its content type.
func multipartBody(t testing.TB, parts ...part) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := `form-data; name="` + p.field + `"`
		if p.filename != "" {
			disp += `; filename="` + p.filename + `"`
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(p.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// fileForm is a form with one "file" part holding data.
func fileForm(t testing.TB, filename string, data []byte) ([]byte, string) {
	return multipartBody(t, part{field: "file", filename: filename, contentType: "image/jpeg", data: data})
}

// testConfig is the default configuration with logs discarded.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

func newTestHandler(t testing.TB, cfg Config, c Classifier) http.Handler {
	t.Helper()
	if c == nil {
		c = fake.New()
	}
	h, err := New(cfg, c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// do sends a request straight to h and returns the recorded response.
func do(h http.Handler, method, target, contentType string, body []byte, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeJSON[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode JSON %q: %v", body, err)
	}
	return v
}

// wantError checks an API error response's status, content type and code.
func wantError(t testing.TB, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	e := decodeJSON[ErrorResponse](t, rec.Body.Bytes())
	if e.Error != code || e.Message == "" {
		t.Errorf("error = %+v, want code %q and a message", e, code)
	}
}

// tiffHugeStrip is a little-endian 4×4 grey TIFF whose one strip claims
// about 4 GiB: x/image/tiff allocates that much before noticing the file
// is short, which is why the server refuses TIFF.
func tiffHugeStrip() []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	buf.WriteString("II*\x00")
	_ = binary.Write(&buf, le, uint32(8)) // IFD offset
	entries := []struct {
		tag, typ uint16
		val      uint32
	}{
		{256, 3, 4},          // ImageWidth
		{257, 3, 4},          // ImageLength
		{258, 3, 8},          // BitsPerSample
		{259, 3, 1},          // Compression: none
		{262, 3, 1},          // Photometric: BlackIsZero
		{273, 4, 8},          // StripOffsets
		{278, 3, 4},          // RowsPerStrip
		{279, 4, 0xFFFFFFF0}, // StripByteCounts
	}
	_ = binary.Write(&buf, le, uint16(len(entries)))
	for _, e := range entries {
		_ = binary.Write(&buf, le, e.tag)
		_ = binary.Write(&buf, le, e.typ)
		_ = binary.Write(&buf, le, uint32(1))
		if e.typ == 3 {
			_ = binary.Write(&buf, le, uint16(e.val))
			_ = binary.Write(&buf, le, uint16(0))
		} else {
			_ = binary.Write(&buf, le, e.val)
		}
	}
	_ = binary.Write(&buf, le, uint32(0)) // no next IFD
	return buf.Bytes()
}

// manyScans appends n empty scans to a baseline JPEG (before its EOI).
func manyScans(jpg []byte, n int) []byte {
	out := append([]byte(nil), jpg[:len(jpg)-2]...)
	for range n {
		out = append(out, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34)
	}
	return append(out, 0xFF, 0xD9)
}
