package imageio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

var (
	red  = color.NRGBA{255, 0, 0, 255}
	blue = color.NRGBA{0, 0, 255, 255}
)

// halves returns a w×h image whose left half is left and right half is right.
func halves(w, h int, left, right color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if x < w/2 {
				img.SetNRGBA(x, y, left)
			} else {
				img.SetNRGBA(x, y, right)
			}
		}
	}
	return img
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pixel returns the RGB triple at (x, y) of HWC pixels of width w.
func pixel(pix []uint8, w, x, y int) [3]int {
	i := (y*w + x) * 3
	return [3]int{int(pix[i]), int(pix[i+1]), int(pix[i+2])}
}

func near(got, want [3]int, tol int) bool {
	for i := range 3 {
		if d := got[i] - want[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		head   string
		format string
	}{
		{"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d", "png"},
		{"GIF89a\x10\x00", "gif"},
		{"GIF87a\x10\x00", "gif"},
		{"BM6\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00", "bmp"}, // BITMAPINFOHEADER (40)
		{"BM6\x00\x00\x00\x00\x00\x00\x00\x1a\x00\x00\x00\x0c\x00\x00\x00", "bmp"}, // BITMAPCOREHEADER (12)
		{"BM6\x00\x00\x00\x00\x00\x00\x00\x7a\x00\x00\x00\x7c\x00\x00\x00", "bmp"}, // BITMAPV5HEADER (124)
		{"BM6\x00\x00\x00\x00\x00\x00\x00\x42\x00\x00\x00\x34\x00\x00\x00", "bmp"}, // BITMAPV2INFOHEADER (52)
		{"BM6\x00\x00\x00\x00\x00\x00\x00\x46\x00\x00\x00\x38\x00\x00\x00", "bmp"}, // BITMAPV3INFOHEADER (56)
		{"BM6\x00\x00\x00\x00\x00\x00\x00\x4e\x00\x00\x00\x40\x00\x00\x00", "bmp"}, // OS/2 2.x (64)
		{"BM6\x00\x00\x00\x00\x00\x00\x00\x7a\x00\x00\x00\x6c\x00\x00\x00", "bmp"}, // BITMAPV4HEADER (108)
		{"BM6\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x29\x00\x00\x00", ""},    // no info header is 41 bytes
		{"BMW owners club, meeting notes", ""},
		{"BM6\x00\x00\x00", ""}, // too short to hold an info header
		{"RIFF\x24\x00\x00\x00WEBPVP8L", "webp"},
		{"RIFF\x04\x00\x00\x00WEBP", "webp"}, // the 12 bytes that say so
		{"RIFF\x04\x00\x00\x00WEB", ""},
		{"II*\x00\x08\x00\x00\x00", "tiff"},
		{"MM\x00*\x00\x00\x00\x08", "tiff"},
		{"RIFF\x24\x00\x00\x00WAVEfmt ", ""},
		{"<!DOCTYPE html>", ""},
		{"hello world", ""},
		{"", ""},
		{"\xff\xd8", ""},
		{"\x89PNG\r\n\x00\x00", ""}, // the whole 8-byte signature is needed
	} {
		got, ok := Sniff([]byte(tc.head))
		if got != tc.format || ok != (tc.format != "") {
			t.Errorf("Sniff(%q) = %q, %v; want %q", tc.head, got, ok, tc.format)
		}
	}
}

func TestDecodeEveryFormat(t *testing.T) {
	const w, h = 16, 16
	src := halves(w, h, red, blue)
	cases := []struct {
		name, format string
		data         []byte
		w, h         int
		tol          int
		left, right  [3]int
	}{
		{"jpeg", "jpeg", imagetest.Encode(t, "jpeg", src), w, h, 40, [3]int{255, 0, 0}, [3]int{0, 0, 255}},
		{"png", "png", imagetest.Encode(t, "png", src), w, h, 0, [3]int{255, 0, 0}, [3]int{0, 0, 255}},
		{"gif", "gif", imagetest.Encode(t, "gif", src), w, h, 0, [3]int{255, 0, 0}, [3]int{0, 0, 255}},
		{"bmp", "bmp", imagetest.Encode(t, "bmp", src), w, h, 0, [3]int{255, 0, 0}, [3]int{0, 0, 255}},
		{"tiff", "tiff", imagetest.Encode(t, "tiff", src), w, h, 0, [3]int{255, 0, 0}, [3]int{0, 0, 255}},
		// Pillow (libwebp) decodes it to (255, 0, 1) and (1, 0, 255).
		{"webp lossy", "webp", readFixture(t, "halves_lossy.webp"), 16, 16, 5, [3]int{255, 0, 0}, [3]int{0, 0, 255}},
		// Lossless fixture: top-left red, top-right green (checked below).
		{"webp lossless", "webp", readFixture(t, "quadrants_lossless.webp"), 8, 8, 0, [3]int{255, 0, 0}, [3]int{0, 255, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, format, err := DecodeConfig(bytes.NewReader(tc.data))
			if err != nil || format != tc.format || cfg.Width != tc.w || cfg.Height != tc.h {
				t.Fatalf("DecodeConfig = %+v, %q, %v; want %dx%d %s", cfg, format, err, tc.w, tc.h, tc.format)
			}
			img, format, err := Decode(bytes.NewReader(tc.data))
			if err != nil || format != tc.format {
				t.Fatalf("Decode = %q, %v; want %s", format, err, tc.format)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("bounds %v, want %dx%d", b, tc.w, tc.h)
			}
			pix := ToRGB(img, tc.w)
			if len(pix) != tc.w*tc.w*3 {
				t.Fatalf("len %d", len(pix))
			}
			if got := pixel(pix, tc.w, 1, 1); !near(got, tc.left, tc.tol) {
				t.Errorf("left pixel %v, want %v ±%d", got, tc.left, tc.tol)
			}
			if got := pixel(pix, tc.w, tc.w-2, 1); !near(got, tc.right, tc.tol) {
				t.Errorf("right pixel %v, want %v ±%d", got, tc.right, tc.tol)
			}
		})
	}
}

func TestWebPLosslessAlphaOverWhite(t *testing.T) {
	img, _, err := Decode(bytes.NewReader(readFixture(t, "quadrants_lossless.webp")))
	if err != nil {
		t.Fatal(err)
	}
	pix := ToRGB(img, 8)
	for _, c := range []struct {
		x, y int
		want [3]int
	}{{0, 7, [3]int{0, 0, 255}}, {7, 7, [3]int{255, 255, 255}}} {
		if got := pixel(pix, 8, c.x, c.y); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

// nrgba returns img's pixels as an NRGBA image with bounds at (0, 0).
func nrgba(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

func TestWebPLossyMatchesLossless(t *testing.T) {
	// quadrants_lossy.webp is quadrants_lossless.webp saved lossy: red,
	// green / blue, transparent. Lossy WebP is limited-range YCbCr; read as
	// full range, red would be (239, 15, 15). Pixels next to a quadrant
	// border are blurred by the chroma subsampling: compare the 2×2 block in
	// each corner.
	lossless, _, err := Decode(bytes.NewReader(readFixture(t, "quadrants_lossless.webp")))
	if err != nil {
		t.Fatal(err)
	}
	lossy, _, err := Decode(bytes.NewReader(readFixture(t, "quadrants_lossy.webp")))
	if err != nil {
		t.Fatal(err)
	}
	want, got := ToRGB(lossless, 8), ToRGB(lossy, 8)
	for _, y := range []int{0, 1, 6, 7} {
		for _, x := range []int{0, 1, 6, 7} {
			if g, w := pixel(got, 8, x, y), pixel(want, 8, x, y); !near(g, w, 5) {
				t.Errorf("lossy pixel (%d,%d) = %v, lossless %v (±5)", x, y, g, w)
			}
		}
	}
}

func TestWebPLossyMatchesLibwebp(t *testing.T) {
	// Each *_pillow.png is what Pillow (libwebp 1.2.4) decodes the .webp to.
	// The gradients and the checkerboard show the chroma upsampling and the
	// YUV→RGB conversion; 37×29 has odd edges, 36×28 even ones (the even
	// fixtures' PNGs are libwebp 1.6.0's), and the alpha versions go through
	// *image.NYCbCrA.
	for _, name := range []string{"gradient_lossy", "gradient_alpha_lossy", "gradient_even_lossy", "gradient_alpha_even_lossy"} {
		t.Run(name, func(t *testing.T) {
			img, _, err := Decode(bytes.NewReader(readFixture(t, name+".webp")))
			if err != nil {
				t.Fatal(err)
			}
			ref, _, err := Decode(bytes.NewReader(readFixture(t, name+"_pillow.png")))
			if err != nil {
				t.Fatal(err)
			}
			got, want := nrgba(img), nrgba(ref)
			if got.Rect != want.Rect {
				t.Fatalf("bounds %v, Pillow %v", got.Rect, want.Rect)
			}
			sum, worst := 0, 0
			for i := range got.Pix {
				d := int(got.Pix[i]) - int(want.Pix[i])
				sum += max(d, -d)
				worst = max(worst, d, -d)
			}
			if worst > 0 {
				t.Errorf("differs from Pillow by %.3f on average, at most %d; want the same pixels", float64(sum)/float64(len(got.Pix)), worst)
			}
		})
	}
}

func BenchmarkDecodeWebPLossy(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "gradient_alpha_lossy.webp"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestToRGBResizes(t *testing.T) {
	// A 300×120 image is squashed (not cropped) to 50×50: both halves stay.
	img := halves(300, 120, red, blue)
	pix := ToRGB(img, 50)
	if len(pix) != 50*50*3 {
		t.Fatalf("len %d", len(pix))
	}
	for y := 0; y < 50; y += 7 {
		if got := pixel(pix, 50, 5, y); got != [3]int{255, 0, 0} {
			t.Errorf("left (5,%d) = %v", y, got)
		}
		if got := pixel(pix, 50, 44, y); got != [3]int{0, 0, 255} {
			t.Errorf("right (44,%d) = %v", y, got)
		}
	}
	// The seam is blended, not shifted: columns 24 and 25 straddle it.
	if l, r := pixel(pix, 50, 23, 10), pixel(pix, 50, 26, 10); l[0] < 200 || r[2] < 200 {
		t.Errorf("seam moved: %v %v", l, r)
	}
}

func TestToRGBSizeAtOwnSizeOnlyConverts(t *testing.T) {
	img := halves(30, 20, red, blue)
	img.SetNRGBA(3, 4, color.NRGBA{10, 20, 30, 255})
	pix := ToRGBSize(img, 30, 20)
	for y := range 20 {
		for x := range 30 {
			c := img.NRGBAAt(x, y)
			if got := pixel(pix, 30, x, y); got != [3]int{int(c.R), int(c.G), int(c.B)} {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, got, c)
			}
		}
	}
}

func TestGrayscale(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 16)
	}
	for _, format := range []string{"png", "jpeg", "bmp", "tiff"} {
		img, _, err := Decode(bytes.NewReader(imagetest.Encode(t, format, g)))
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		pix := ToRGB(img, 4)
		for i := range 16 {
			r, gg, b := int(pix[i*3]), int(pix[i*3+1]), int(pix[i*3+2])
			want := i * 16
			tol := 0
			if format == "jpeg" {
				tol = 12
			}
			if r != gg || gg != b || r-want > tol || want-r > tol {
				t.Errorf("%s pixel %d = %d,%d,%d; want gray %d", format, i, r, gg, b, want)
			}
		}
	}
	// 16-bit gray too.
	g16 := image.NewGray16(image.Rect(0, 0, 2, 2))
	g16.SetGray16(1, 1, color.Gray16{Y: 0x8080})
	img, _, err := Decode(bytes.NewReader(imagetest.Encode(t, "png", g16)))
	if err != nil {
		t.Fatal(err)
	}
	if got := pixel(ToRGB(img, 2), 2, 1, 1); got != [3]int{128, 128, 128} {
		t.Errorf("gray16 pixel = %v", got)
	}
}

func TestCMYKJPEG(t *testing.T) {
	img, format, err := Decode(bytes.NewReader(readFixture(t, "cmyk.jpg")))
	if err != nil || format != "jpeg" {
		t.Fatal(format, err)
	}
	if _, ok := img.(*image.CMYK); !ok {
		t.Fatalf("fixture decodes to %T, want *image.CMYK", img)
	}
	pix := ToRGB(img, 16)
	if got := pixel(pix, 16, 2, 8); !near(got, [3]int{255, 0, 0}, 30) {
		t.Errorf("left = %v, want red", got)
	}
	if got := pixel(pix, 16, 13, 8); !near(got, [3]int{255, 255, 255}, 10) {
		t.Errorf("right = %v, want white", got)
	}
}

func TestPNGAlphaOverWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	img.SetNRGBA(0, 0, color.NRGBA{200, 100, 0, 128}) // half transparent
	img.SetNRGBA(1, 0, color.NRGBA{10, 20, 30, 0})    // fully transparent
	img.SetNRGBA(2, 0, color.NRGBA{10, 20, 30, 255})  // opaque
	dec, _, err := Decode(bytes.NewReader(imagetest.Encode(t, "png", img)))
	if err != nil {
		t.Fatal(err)
	}
	// Output is size×size; a 3×1 image squashed to 3×3 keeps columns.
	pix := ToRGB(dec, 3)
	// 200*128/255 + 255*127/255 = 100.4 + 127 → 227; 100 → 177; 0 → 127.
	want := [][3]int{{227, 177, 127}, {255, 255, 255}, {10, 20, 30}}
	for x, w := range want {
		if got := pixel(pix, 3, x, 1); !near(got, w, 1) {
			t.Errorf("pixel %d = %v, want %v", x, got, w)
		}
	}
	// A uniformly half-transparent black image becomes uniform mid gray after resizing.
	u := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for i := 3; i < len(u.Pix); i += 4 {
		u.Pix[i] = 128
	}
	for _, v := range ToRGB(u, 10) {
		if v < 126 || v > 128 {
			t.Fatalf("half-transparent black over white = %d, want 127", v)
		}
	}
}

func TestPalettedGIFWithTransparency(t *testing.T) {
	pal := color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{0, 128, 0, 255}, color.NRGBA{255, 255, 0, 255}}
	p := image.NewPaletted(image.Rect(0, 0, 4, 4), pal)
	for i := range p.Pix {
		p.Pix[i] = uint8(i % 3)
	}
	dec, _, err := Decode(bytes.NewReader(imagetest.Encode(t, "gif", p)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := dec.(*image.Paletted); !ok {
		t.Fatalf("decoded %T, want *image.Paletted", dec)
	}
	pix := ToRGB(dec, 4)
	want := [][3]int{{255, 255, 255}, {0, 128, 0}, {255, 255, 0}}
	for i := range 16 {
		if got := pixel(pix, 4, i%4, i/4); got != want[i%3] {
			t.Errorf("pixel %d = %v, want %v", i, got, want[i%3])
		}
	}
}

func TestGIFFrameSmallerThanScreen(t *testing.T) {
	// A 20×10 GIF whose only frame, red, covers the right half: the left
	// half is transparent, so white, and the frame is not stretched.
	pal := color.Palette{color.Black, red}
	fr := image.NewPaletted(image.Rect(10, 0, 20, 10), pal)
	for i := range fr.Pix {
		fr.Pix[i] = 1
	}
	var b bytes.Buffer
	err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{fr}, Delay: []int{0}, Config: image.Config{Width: 20, Height: 10, ColorModel: pal}})
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := DecodeBytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, 20, 10) {
		t.Fatalf("bounds %v, want the 20x10 screen", got)
	}
	pix := ToRGB(img, 4)
	for y := range 4 {
		if l, r := pixel(pix, 4, 0, y), pixel(pix, 4, 3, y); l != [3]int{255, 255, 255} || r != [3]int{255, 0, 0} {
			t.Errorf("row %d: left %v, right %v; want white, red", y, l, r)
		}
	}
	// Decode, which does not check the header's size first, does not make a
	// canvas of more than MaxPixels for a small frame.
	b.Reset()
	err = gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{fr}, Delay: []int{0}, Config: image.Config{Width: 60000, Height: 60000, ColorModel: pal}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Decode(bytes.NewReader(b.Bytes())); !errors.Is(err, ErrTooLarge) {
		t.Errorf("60000x60000 screen: err = %v, want ErrTooLarge", err)
	}
}

// withEXIFOrientation inserts an APP1 Exif segment with the given orientation
// right after the JPEG's SOI marker.
func withEXIFOrientation(jpg []byte, orientation uint16) []byte {
	var tiffData bytes.Buffer
	tiffData.WriteString("MM\x00\x2a")                        // big-endian TIFF header
	binary.Write(&tiffData, binary.BigEndian, uint32(8))      // offset of IFD0
	binary.Write(&tiffData, binary.BigEndian, uint16(1))      // one entry
	binary.Write(&tiffData, binary.BigEndian, uint16(0x0112)) // Orientation
	binary.Write(&tiffData, binary.BigEndian, uint16(3))      // SHORT
	binary.Write(&tiffData, binary.BigEndian, uint32(1))      // count
	binary.Write(&tiffData, binary.BigEndian, orientation)    // value, left-justified
	binary.Write(&tiffData, binary.BigEndian, uint16(0))
	binary.Write(&tiffData, binary.BigEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiffData.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2]) // SOI
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(jpg[2:])
	return out.Bytes()
}

func TestEXIFOrientation(t *testing.T) {
	// 32 wide × 16 high, red left, blue right. Orientation 6 means "rotate
	// 90° clockwise to display": the result is 16 wide × 32 high, red on top.
	jpg := imagetest.Encode(t, "jpeg", halves(32, 16, red, blue))
	img, _, err := Decode(bytes.NewReader(withEXIFOrientation(jpg, 6)))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 16 || b.Dy() != 32 {
		t.Fatalf("bounds %v, want 16x32", b)
	}
	cfg, _, err := DecodeConfig(bytes.NewReader(withEXIFOrientation(jpg, 6)))
	if err != nil || cfg.Width != 32 || cfg.Height != 16 {
		t.Errorf("DecodeConfig = %+v, %v; want the stored 32x16", cfg, err)
	}
	pix := ToRGB(img, 16) // squashed: top half red, bottom half blue
	if got := pixel(pix, 16, 8, 2); !near(got, [3]int{255, 0, 0}, 40) {
		t.Errorf("top = %v, want red", got)
	}
	if got := pixel(pix, 16, 8, 13); !near(got, [3]int{0, 0, 255}, 40) {
		t.Errorf("bottom = %v, want blue", got)
	}
	// Without the EXIF segment the image stays landscape.
	img, _, err = Decode(bytes.NewReader(jpg))
	if err != nil || img.Bounds().Dx() != 32 {
		t.Fatalf("plain JPEG: %v, %v", img.Bounds(), err)
	}
}

func TestBadData(t *testing.T) {
	jpg := imagetest.Encode(t, "jpeg", halves(64, 64, red, blue))
	for _, tc := range []struct {
		name     string
		data     []byte
		notImage bool
	}{
		{"empty", nil, true},
		{"text", []byte("this is not an image\n"), true},
		{"html", []byte("<html><body>404</body></html>"), true},
		{"text starting with BM", []byte("BMW owners club, meeting notes\n"), true},
		{"truncated bmp", imagetest.Encode(t, "bmp", halves(64, 64, red, blue))[:100], false},
		{"truncated jpeg", jpg[:len(jpg)/2], false},
		{"jpeg header only", jpg[:4], false},
		{"truncated png", imagetest.Encode(t, "png", halves(64, 64, red, blue))[:60], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, _, err := Decode(bytes.NewReader(tc.data))
			if err == nil {
				t.Fatalf("no error, got %v", img.Bounds())
			}
			if errors.Is(err, ErrNotImage) != tc.notImage {
				t.Errorf("errors.Is(%v, ErrNotImage) = %v, want %v", err, !tc.notImage, tc.notImage)
			}
		})
	}
}

// TestNotImageErrorSaysWhy: the error for data that is no image says what
// the data starts with, non-printable bytes shown as dots, or that it is
// empty.
func TestNotImageErrorSaysWhy(t *testing.T) {
	_, _, err := Decode(bytes.NewReader(nil))
	if !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), "the file is empty") {
		t.Errorf("empty: %v, want ErrNotImage saying the file is empty", err)
	}
	// Only the first SniffLen (18) bytes are shown; '~' and ' ' are the
	// last and first printable bytes.
	_, _, err = Decode(bytes.NewReader([]byte("\x00\x1fok\x7f\xff~ not an image at all")))
	if want := `it starts with "..ok..~ not an ima"`; !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), want) {
		t.Errorf("binary data: %v, want ErrNotImage with %s", err, want)
	}
}

// TestDecodeFromSmallBufferedReader: a *bufio.Reader too small to hold the
// SniffLen bytes Sniff needs (bufio's minimum is 16) is wrapped, not peeked.
func TestDecodeFromSmallBufferedReader(t *testing.T) {
	data := imagetest.Encode(t, "png", halves(8, 8, red, blue))
	if img, format, err := Decode(bufio.NewReaderSize(bytes.NewReader(data), 16)); err != nil || format != "png" || img.Bounds().Dx() != 8 {
		t.Errorf("Decode: %q, %v", format, err)
	}
	if cfg, format, err := DecodeConfig(bufio.NewReaderSize(bytes.NewReader(data), 16)); err != nil || format != "png" || cfg.Width != 8 {
		t.Errorf("DecodeConfig: %+v, %q, %v", cfg, format, err)
	}
}

func TestDecodeBytesRejectsHugeHeader(t *testing.T) {
	// A GIF whose header claims 60000×60000 pixels (3.6e9 > MaxPixels).
	var b bytes.Buffer
	b.WriteString("GIF89a")
	binary.Write(&b, binary.LittleEndian, uint16(60000))
	binary.Write(&b, binary.LittleEndian, uint16(60000))
	b.Write([]byte{0x80, 0, 0}) // global color table of 2 entries
	b.Write([]byte{0, 0, 0, 255, 255, 255})
	b.Write([]byte{0x2c, 0, 0, 0, 0, 0x60, 0xea, 0x60, 0xea, 0}) // image descriptor
	_, _, err := DecodeBytes(b.Bytes())
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestLoadIgnoresExtension(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "really-a-png.jpg")
	if err := os.WriteFile(path, imagetest.Encode(t, "png", halves(8, 8, red, blue)), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := pixel(ToRGB(img, 8), 8, 0, 0); got != [3]int{255, 0, 0} {
		t.Errorf("pixel = %v", got)
	}
	if _, err := Load(filepath.Join(dir, "missing.jpg")); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestRGBImageRoundTrip(t *testing.T) {
	pix := ToRGB(halves(10, 10, red, blue), 10)
	if got := ToRGB(RGBImage(pix, 10, 10), 10); !bytes.Equal(got, pix) {
		t.Error("RGBImage → ToRGB changed the pixels")
	}
}

func BenchmarkToRGB(b *testing.B) {
	// A 150×150 JPEG photo, as the crawler saves them, decodes to YCbCr.
	img, _, err := Decode(bytes.NewReader(encodeBench(b)))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ToRGB(img, 50)
	}
}

func BenchmarkDecodeToRGB(b *testing.B) {
	data := encodeBench(b)
	for b.Loop() {
		img, _, err := Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		ToRGB(img, 50)
	}
}

func encodeBench(b *testing.B) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 150, 150))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 251)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func TestFileNames(t *testing.T) {
	for _, name := range []string{"a.jpg", "b.JPEG", "c.png", "d.Gif", "e.bmp", "f.webp", "g.tif", "h.TIFF", "dir/i.jpg"} {
		if !HasImageExt(name) {
			t.Errorf("HasImageExt(%q) = false", name)
		}
	}
	for _, name := range []string{"a", "a.txt", "a.jpg.txt", "manifest.jsonl", ".jpg.part", "a.svg"} {
		if HasImageExt(name) {
			t.Errorf("HasImageExt(%q) = true", name)
		}
	}
	for _, format := range Formats() {
		if ext := Ext(format); ext == "" || !HasImageExt("x"+ext) {
			t.Errorf("Ext(%q) = %q, not an image extension", format, ext)
		}
	}
	if Ext("jpeg") != ".jpg" || Ext("tiff") != ".tiff" {
		t.Errorf("Ext: jpeg %q, tiff %q", Ext("jpeg"), Ext("tiff"))
	}
	for _, format := range []string{"", "svg", "../x", "JPEG"} {
		if ext := Ext(format); ext != "" {
			t.Errorf("Ext(%q) = %q, want \"\"", format, ext)
		}
	}
}

// The format lists are the caller's to change: the next call, and what
// serve and crawl accept from strangers, stay as they were.
func TestFormatListsAreCopies(t *testing.T) {
	untrusted := UntrustedFormats()
	untrusted[0] = "tiff"
	_ = append(untrusted[:1], "tiff")
	Formats()[0] = "svg"
	if slices.Contains(UntrustedFormats(), "tiff") || Formats()[0] != "jpeg" {
		t.Errorf("after changing returned slices: Formats %v, UntrustedFormats %v", Formats(), UntrustedFormats())
	}
}
