package imagetest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// gradient is a w×h picture of every colour.
func gradient(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return img
}

func TestEncode(t *testing.T) {
	src := gradient(24, 16)
	for _, format := range []string{"jpeg", "png", "gif", "bmp", "tiff"} {
		img, got, err := image.Decode(bytes.NewReader(Encode(t, format, src)))
		if err != nil || got != format {
			t.Errorf("Encode(%s) decodes as %q: %v", format, got, err)
			continue
		}
		if img.Bounds() != src.Bounds() {
			t.Errorf("Encode(%s): %v, want %v", format, img.Bounds(), src.Bounds())
		}
	}
	// Quality 95: the luminance table's DC step is 2 (16 at quality 50,
	// 8 at Go's default 75).
	data := Encode(t, "jpeg", src)
	if i := bytes.Index(data, []byte{0xFF, 0xDB}); i < 0 {
		t.Error("JPEG without a quantization table")
	} else if data[i+5] != 2 {
		t.Errorf("JPEG quantization table % x…, want quality 95's DC step 2", data[i+4:i+8])
	}
}

// fatalTB records Fatalf instead of ending the test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func TestEncodeUnknownFormat(t *testing.T) {
	f := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != f {
				panic(r)
			}
		}()
		Encode(f, "webp", gradient(2, 2))
	}()
	if f.msg != `imagetest: no encoder for "webp"` {
		t.Errorf("Encode(webp) failed with %q", f.msg)
	}
}

// sos is the start of one of ProgressiveJPEG's scans.
var sos = []byte{0xFF, 0xDA, 0x00, 0x08}

func TestProgressiveJPEG(t *testing.T) {
	for _, hide := range []bool{false, true} {
		data := ProgressiveJPEG(3, hide)
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("hide=%v: Go's decoder refuses it: %v", hide, err)
		}
		if img.Bounds() != image.Rect(0, 0, 4096, 4096) {
			t.Errorf("hide=%v: %v, want 4096×4096", hide, img.Bounds())
		}
		if _, ok := img.(*image.Gray); !ok {
			t.Errorf("hide=%v: %T, want grey", hide, img)
		}
		if n := bytes.Count(data, sos); n != 3 {
			t.Errorf("hide=%v: %d scans, want 3", hide, n)
		}
	}
	// Hidden: each group of scans follows FF 00 and spans what a marker
	// walker skips there (2 + 0xFFDA bytes), so that it sees none of them.
	data := ProgressiveJPEG(5000, true)
	first := bytes.Index(data, sos) - 2
	if first < 0 || data[first] != 0xFF || data[first+1] != 0x00 {
		t.Fatal("no FF 00 before the first scan")
	}
	const jump = 2 + 0xFFDA
	groups := 0
	for at := first; at < len(data)-2; at += jump {
		if !bytes.HasPrefix(data[at:], []byte{0xFF, 0x00, 0xFF, 0xDA}) {
			t.Fatalf("group %d at byte %d starts % x", groups, at, data[at:at+4])
		}
		groups++
	}
	if n := bytes.Count(data, sos); n != 5000 || groups < 2 {
		t.Errorf("%d scans in %d groups, want 5000 in several", n, groups)
	}
	if !bytes.HasSuffix(data, []byte{0xFF, 0xD9}) {
		t.Error("no end-of-image marker")
	}
}
