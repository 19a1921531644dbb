package imageio

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

// quadrants returns a w×h image: red, green on top; blue, white below.
func quadrants(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, quadrantColour(x, y, w, h))
		}
	}
	return img
}

func quadrantColour(x, y, w, h int) color.NRGBA {
	switch {
	case y < h/2 && x < w/2:
		return color.NRGBA{255, 0, 0, 255}
	case y < h/2:
		return color.NRGBA{0, 255, 0, 255}
	case x < w/2:
		return color.NRGBA{0, 0, 255, 255}
	}
	return color.NRGBA{255, 255, 255, 255}
}

// littleEndianEXIF is withEXIFOrientation with an Intel ("II") TIFF header
// and a JFIF APP0 and an XMP-like APP1 segment before the EXIF one.
func littleEndianEXIF(jpg []byte, orientation uint16) []byte {
	var tiffData bytes.Buffer
	le := binary.LittleEndian
	tiffData.WriteString("II\x2a\x00")
	_ = binary.Write(&tiffData, le, uint32(8))
	_ = binary.Write(&tiffData, le, uint16(2))
	for _, e := range []struct{ tag, typ, val uint16 }{{0x010F, 2, 0}, {0x0112, 3, orientation}} {
		_ = binary.Write(&tiffData, le, e.tag)
		_ = binary.Write(&tiffData, le, e.typ)
		_ = binary.Write(&tiffData, le, uint32(1))
		_ = binary.Write(&tiffData, le, e.val)
		_ = binary.Write(&tiffData, le, uint16(0))
	}
	_ = binary.Write(&tiffData, le, uint32(0))
	segment := func(out *bytes.Buffer, marker byte, payload []byte) {
		out.Write([]byte{0xFF, marker})
		_ = binary.Write(out, binary.BigEndian, uint16(len(payload)+2))
		out.Write(payload)
	}
	var out bytes.Buffer
	out.Write(jpg[:2])
	segment(&out, 0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	segment(&out, 0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	segment(&out, 0xE1, append([]byte("Exif\x00\x00"), tiffData.Bytes()...))
	out.Write(jpg[2:])
	return out.Bytes()
}

// TestEveryEXIFOrientation decodes a JPEG with each of the 8 EXIF
// orientations and checks every quadrant of the result against the
// orientation's definition (TIFF 6.0, tag 274: where the stored 0th row and
// 0th column are to be seen).
func TestEveryEXIFOrientation(t *testing.T) {
	const w, h = 64, 32
	jpg := imagetest.Encode(t, "jpeg", quadrants(w, h))
	// stored maps a displayed pixel (x, y) back to the stored image.
	stored := map[int]func(x, y int) (int, int){
		1: func(x, y int) (int, int) { return x, y },
		2: func(x, y int) (int, int) { return w - 1 - x, y },
		3: func(x, y int) (int, int) { return w - 1 - x, h - 1 - y },
		4: func(x, y int) (int, int) { return x, h - 1 - y },
		5: func(x, y int) (int, int) { return y, x },
		6: func(x, y int) (int, int) { return y, h - 1 - x },
		7: func(x, y int) (int, int) { return w - 1 - y, h - 1 - x },
		8: func(x, y int) (int, int) { return w - 1 - y, x },
	}
	for o := 1; o <= 8; o++ {
		for name, data := range map[string][]byte{
			"big-endian":    withEXIFOrientation(jpg, uint16(o)),
			"little-endian": littleEndianEXIF(jpg, uint16(o)),
		} {
			img, _, err := Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("orientation %d, %s: %v", o, name, err)
			}
			dw, dh := w, h
			if o >= 5 {
				dw, dh = h, w
			}
			if b := img.Bounds(); b.Dx() != dw || b.Dy() != dh {
				t.Fatalf("orientation %d, %s: bounds %v, want %dx%d", o, name, b, dw, dh)
			}
			for _, q := range [][2]int{{dw / 4, dh / 4}, {3 * dw / 4, dh / 4}, {dw / 4, 3 * dh / 4}, {3 * dw / 4, 3 * dh / 4}} {
				sx, sy := stored[o](q[0], q[1])
				want := quadrantColour(sx, sy, w, h)
				r, g, b, _ := img.At(img.Bounds().Min.X+q[0], img.Bounds().Min.Y+q[1]).RGBA()
				got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
				if !near(got, [3]int{int(want.R), int(want.G), int(want.B)}, 48) {
					t.Errorf("orientation %d, %s: pixel %v = %v, want %v", o, name, q, got, want)
				}
			}
		}
	}
	// An orientation out of range, or an EXIF segment whose IFD lies
	// outside it, leaves the image as stored.
	damaged := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10}, "Exif\x00\x00MM\x00*\x00\x00\x00\xFF"...)
	for name, data := range map[string][]byte{
		"orientation 9": withEXIFOrientation(jpg, 9),
		"damaged EXIF":  append(damaged, jpg[2:]...),
	} {
		img, _, err := Decode(bytes.NewReader(data))
		if err != nil || img.Bounds().Dx() != w {
			t.Errorf("%s: %v, %v", name, img.Bounds(), err)
		}
	}
}

// panicReader panics once more than after bytes have been read from it,
// as a decoder bug on hostile input would, deep in the decoding.
type panicReader struct {
	r     io.Reader
	after int
	n     int
}

func (p *panicReader) Read(b []byte) (int, error) {
	if p.n >= p.after {
		panic("decoder bug")
	}
	b = b[:min(len(b), p.after-p.n)]
	n, err := p.r.Read(b)
	p.n += n
	return n, err
}

// TestDecodePanicLeavesNoGoroutine checks that a panic while decoding a JPEG
// with an EXIF orientation leaves no goroutine behind (imaging.Decode with
// AutoOrientation reads the EXIF in a goroutine fed by a pipe, which is
// never closed when the decoder panics).
func TestDecodePanicLeavesNoGoroutine(t *testing.T) {
	jpg := withEXIFOrientation(imagetest.Encode(t, "jpeg", quadrants(64, 32)), 6)
	func() {
		defer func() {
			if p := recover(); p != "decoder bug" {
				t.Errorf("recovered %v, want the reader's panic", p)
			}
		}()
		_, _, _ = Decode(&panicReader{r: bytes.NewReader(jpg), after: len(jpg) - 100})
	}()
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, creator := range []string{"created by github.com/disintegration/imaging.Decode", "created by github.com/animalcnn/animalcnn/mlpkg/imageio."} {
		if strings.Contains(stacks, creator) {
			t.Errorf("a goroutine outlived the panic:\n%s", stacks)
		}
	}
}

// jpegSegment returns a JPEG marker segment: FF marker, length, payload.
func jpegSegment(marker byte, payload []byte) []byte {
	return append([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
}

// TestEXIFOrientationAfterOtherSegments: the EXIF segment is searched for
// past every APPn (APP0 to APP15) and COM segment, over more than 64 KiB (an
// ICC profile and a Photoshop block, 64 KiB each, may come first), and past
// the tables before the first scan (DQT, as Pillow finds it there); an
// "Exif" payload in a segment other than APP1, or after a byte that is not
// a marker (junk the decoder skips), is not EXIF.
func TestEXIFOrientationAfterOtherSegments(t *testing.T) {
	jpg := imagetest.Encode(t, "jpeg", halves(32, 16, red, blue))
	exif := withEXIFOrientation(jpg, 6)
	app1 := exif[2 : 4+int(binary.BigEndian.Uint16(exif[4:6]))] // FF E1, length, "Exif", TIFF
	full := bytes.Repeat([]byte{'x'}, 0xFFFF-2)                 // the largest segment
	dqt := jpg[2 : 4+int(binary.BigEndian.Uint16(jpg[4:6]))]    // Go's encoder writes its DQT first
	for _, c := range []struct {
		name    string
		before  [][]byte
		exif    []byte
		rotated bool
	}{
		{"after APP2, APP13, APP15 and COM", [][]byte{jpegSegment(0xE2, full), jpegSegment(0xED, full), jpegSegment(0xEF, []byte("x")), jpegSegment(0xFE, []byte("c"))}, app1, true},
		{"after DQT", [][]byte{dqt}, app1, true},
		{"in APP2", nil, jpegSegment(0xE2, app1[4:]), false},
		{"after junk", [][]byte{jpegSegment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")), {0x00}}, app1[1:], false},
	} {
		data := slices.Concat(append([][]byte{jpg[:2]}, append(c.before, c.exif, jpg[2:])...)...)
		img, _, err := Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := img.Bounds().Dx() == 16; got != c.rotated {
			t.Errorf("EXIF %s: bounds %v, rotated %v; want %v", c.name, img.Bounds(), got, c.rotated)
		}
	}
}

// TestEXIFOrientationOfDamagedTIFF: exifOrientation reads the orientation
// only from a well-formed IFD0 entry (a SHORT, count 1, value 1 to 8) that
// lies wholly in the data, and returns 1, without panicking, for anything
// else.
func TestEXIFOrientationOfDamagedTIFF(t *testing.T) {
	// tiffData: byte order, IFD0 offset, then the words that follow.
	tiffData := func(bo binary.AppendByteOrder, ifd uint32, rest ...any) []byte {
		b := []byte("MM\x00*")
		if bo == binary.LittleEndian {
			b = []byte("II*\x00")
		}
		b = bo.AppendUint32(b, ifd)
		for _, v := range rest {
			switch v := v.(type) {
			case uint16:
				b = bo.AppendUint16(b, v)
			case uint32:
				b = bo.AppendUint32(b, v)
			case []byte:
				b = append(b, v...)
			}
		}
		return b
	}
	le, be := binary.LittleEndian, binary.BigEndian
	// entry is an IFD entry: tag, type, count, then a SHORT value and padding.
	entry := func(tag, typ uint16, count uint32, v uint16) []any { return []any{tag, typ, count, v, uint16(0)} }
	for _, c := range []struct {
		name string
		tiff []byte
		want int
	}{
		{"big-endian", tiffData(be, 8, append(append([]any{uint16(1)}, entry(0x0112, 3, 1, 6)...), uint32(0))...), 6},
		{"little-endian, ending with the entry", tiffData(le, 8, append([]any{uint16(1)}, entry(0x0112, 3, 1, 6)...)...), 6},
		{"second entry", tiffData(le, 8, append(append([]any{uint16(2)}, entry(0x010F, 2, 1, 0)...), entry(0x0112, 3, 1, 8)...)...), 8},
		{"empty", nil, 1},
		{"header only", []byte("II*\x00"), 1},
		{"7 bytes", []byte("II*\x00\x08\x00\x00"), 1},
		{"bad byte order", []byte("XX*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"), 1},
		// IFD0 at 4, in the header: its entry count is the offset's low half (4),
		// and the second "entry" from there, at 18, would say 6.
		{"IFD in the header", tiffData(le, 4, append([]any{make([]byte, 10)}, entry(0x0112, 3, 1, 6)...)...), 1},
		{"IFD beyond the data", tiffData(le, 100, append([]any{uint16(1)}, entry(0x0112, 3, 1, 6)...)...), 1},
		{"entry cut short", tiffData(le, 8, uint16(1), uint16(0x0112), uint16(3), uint32(1), uint16(6)), 1},
		{"entry cut in its count", tiffData(le, 8, uint16(1), uint16(0x0112), uint16(3)), 1},
		{"LONG", tiffData(le, 8, append([]any{uint16(1)}, entry(0x0112, 4, 1, 6)...)...), 1},
		{"count 2", tiffData(le, 8, append([]any{uint16(1)}, entry(0x0112, 3, 2, 6)...)...), 1},
		{"value 0", tiffData(le, 8, append([]any{uint16(1)}, entry(0x0112, 3, 1, 0)...)...), 1},
		{"value 9", tiffData(le, 8, append([]any{uint16(1)}, entry(0x0112, 3, 1, 9)...)...), 1},
	} {
		if got := exifOrientation(c.tiff); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
