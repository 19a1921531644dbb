package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"golang.org/x/image/bmp"
)

// pngHeader returns a PNG that is only a signature and an IHDR chunk
// declaring w×h RGB pixels: enough for DecodeConfig, not for Decode.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8 bits, RGB
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// TestPixelCapPinnedAndLoadAppliesIt pins MaxPixels at 50 MP
// (8000×6250 passes the header check, one row more does not) and checks
// that Load applies it as DecodeBytes does.
func TestPixelCapPinnedAndLoadAppliesIt(t *testing.T) {
	if _, _, err := DecodeBytes(pngHeader(8000, 6251)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("8000×6251: %v, want ErrTooLarge", err)
	}
	if _, _, err := DecodeBytes(pngHeader(8000, 6250)); err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("8000×6250 (header only): %v, want a decoding error, not ErrTooLarge", err)
	}
	path := filepath.Join(t.TempDir(), "huge.png")
	if err := os.WriteFile(path, pngHeader(20000, 20000), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Load of a 20000×20000 header: %v, want ErrTooLarge", err)
	}
}

// TestScanCapPinned: a JPEG of exactly MaxJPEGScans (100) scans decodes
// through Decode and DecodeBytes; one more is refused by both.
func TestScanCapPinned(t *testing.T) {
	if MaxJPEGScans != 100 {
		t.Fatalf("MaxJPEGScans = %d, documented as 100", MaxJPEGScans)
	}
	ok, over := imagetest.ProgressiveJPEG(100, false), imagetest.ProgressiveJPEG(101, false)
	if _, _, err := DecodeBytes(ok); err != nil {
		t.Errorf("DecodeBytes, 100 scans: %v", err)
	}
	if _, _, err := Decode(bytes.NewReader(ok)); err != nil {
		t.Errorf("Decode, 100 scans: %v", err)
	}
	if _, _, err := DecodeBytes(over); !errors.Is(err, ErrTooManyScans) {
		t.Errorf("DecodeBytes, 101 scans: %v", err)
	}
	if _, _, err := Decode(bytes.NewReader(over)); !errors.Is(err, ErrTooManyScans) {
		t.Errorf("Decode, 101 scans: %v", err)
	}
}

// TestEmptyImageRefused: x/image/bmp decodes a BMP declaring 0 pixels of
// width without error; DecodeBytes refuses it (Prepare would have made a
// white training sample of it).
func TestEmptyImageRefused(t *testing.T) {
	var b bytes.Buffer
	if err := bmp.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	data := bytes.Clone(b.Bytes())
	binary.LittleEndian.PutUint32(data[18:], 0) // biWidth
	if _, _, err := DecodeBytes(data); err == nil {
		t.Error("a 0×2 BMP decoded without error")
	}
	data = bytes.Clone(b.Bytes())
	binary.LittleEndian.PutUint32(data[22:], 0) // biHeight: x/image/bmp decodes it too
	if _, _, err := DecodeBytes(data); err == nil || !strings.Contains(err.Error(), "empty 2x0 image") {
		t.Errorf("a 2×0 BMP: %v, want an empty-image error", err)
	}
}

// TestToRGBSizeOddSizes: no size gives no pixels (nil, rather than a
// panic), and an image without pixels gives white ones.
func TestToRGBSizeOddSizes(t *testing.T) {
	img := halves(4, 4, red, blue)
	for _, wh := range [][2]int{{0, 5}, {5, 0}, {-1, 5}, {5, -3}} {
		if got := ToRGBSize(img, wh[0], wh[1]); got != nil {
			t.Errorf("ToRGBSize(%d, %d) = %d bytes, want nil", wh[0], wh[1], len(got))
		}
	}
	for _, r := range []image.Rectangle{image.Rect(0, 0, 0, 0), image.Rect(0, 0, 5, 0), image.Rect(3, 3, 3, 9)} {
		got := ToRGBSize(image.NewNRGBA(r), 2, 3)
		if !bytes.Equal(got, bytes.Repeat([]byte{255}, 2*3*3)) {
			t.Errorf("image %v: %v, want 2×3 white pixels", r, got)
		}
	}
}

// TestAlphaOverWhiteRounds: compositing over white rounds to nearest: 1 at
// alpha 128 over white is (1·128 + 255·127) / 255 = 128.0, not 127.
func TestAlphaOverWhiteRounds(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.SetNRGBA(0, 0, color.NRGBA{1, 1, 1, 128})
	if got := ToRGBSize(img, 1, 1); !bytes.Equal(got, []byte{128, 128, 128}) {
		t.Errorf("got %v, want [128 128 128]", got)
	}
	for _, c := range []struct {
		in   color.NRGBA
		want uint8
	}{
		{color.NRGBA{0, 0, 0, 254}, 1},       // 255·1/255 = 1.0: almost opaque is not opaque
		{color.NRGBA{127, 127, 127, 1}, 254}, // (127 + 255·254) / 255 = 254.498
		{color.NRGBA{200, 200, 200, 255}, 200},
		{color.NRGBA{200, 200, 200, 0}, 255},
	} {
		img.SetNRGBA(0, 0, c.in)
		if got := ToRGBSize(img, 1, 1); !bytes.Equal(got, []byte{c.want, c.want, c.want}) {
			t.Errorf("%v over white: %v, want %d", c.in, got, c.want)
		}
	}
}

// TestGIFScreenCapPinned: Decode, which does not check the header first,
// draws a small frame on a canvas of at most MaxPixels (8000×6250: the
// canvas is made, untouched but for the frame) and refuses one row more.
func TestGIFScreenCapPinned(t *testing.T) {
	pal := color.Palette{color.Black, red}
	fr := image.NewPaletted(image.Rect(10, 0, 20, 10), pal)
	for _, c := range []struct {
		h        int
		tooLarge bool
	}{{6250, false}, {6251, true}} {
		var b bytes.Buffer
		err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{fr}, Delay: []int{0}, Config: image.Config{Width: 8000, Height: c.h, ColorModel: pal}})
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := Decode(bytes.NewReader(b.Bytes()))
		if c.tooLarge {
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("8000×%d screen: %v, want ErrTooLarge", c.h, err)
			}
		} else if err != nil || img.Bounds() != image.Rect(0, 0, 8000, c.h) {
			t.Errorf("8000×%d screen: %v", c.h, err)
		}
	}
}

// TestEXIFOrientationOfACameraFile: the orientation is found as in files
// cameras and editors write: a JFIF segment and a comment before a 60 KiB
// EXIF segment (a thumbnail and maker notes), not only in a bare EXIF block.
func TestEXIFOrientationOfACameraFile(t *testing.T) {
	jpg := imagetest.Encode(t, "jpeg", halves(32, 16, red, blue))
	exif := withEXIFOrientation(jpg, 6) // SOI, APP1, the rest
	app1Len := int(binary.BigEndian.Uint16(exif[4:6]))
	app1 := exif[2 : 4+app1Len]
	// The same APP1, padded to 60 KiB after its IFD (the TIFF data says
	// where the IFD is: what follows is free).
	padded := append(append([]byte(nil), app1[4:]...), make([]byte, 60<<10)...)
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	b.Write([]byte{0xFF, 0xE0, 0x00, 0x10}) // APP0 JFIF, 16 bytes
	b.WriteString("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	b.Write([]byte{0xFF, 0xFE, 0x00, 0x0B}) // COM, "made by x"
	b.WriteString("made by x")
	b.Write([]byte{0xFF, 0xE1})
	binary.Write(&b, binary.BigEndian, uint16(len(padded)+2))
	b.Write(padded)
	b.Write(jpg[2:])
	img, _, err := Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if bd := img.Bounds(); bd.Dx() != 16 || bd.Dy() != 32 {
		t.Fatalf("bounds %v, want 16x32 (orientation 6 applied)", bd)
	}
	if got := pixel(ToRGB(img, 16), 16, 8, 2); !near(got, [3]int{255, 0, 0}, 40) {
		t.Errorf("top = %v, want red", got)
	}
}

// TestResizeMatchesPillow: ToRGB resizes as the course's Python does, Pillow's
// resize(…, BICUBIC), to within 1 per channel (golden values from Pillow
// 13.0.0 for the two images below; an upscale-free 7×5 → 4×4 and a 40×30 →
// 5×5 whose filter support widens with the downscale).
func TestResizeMatchesPillow(t *testing.T) {
	small := image.NewNRGBA(image.Rect(0, 0, 7, 5))
	for y := range 5 {
		for x := range 7 {
			small.SetNRGBA(x, y, color.NRGBA{uint8((x*37 + y*11) % 256), uint8((x*x*9 + y*23) % 256), uint8(((255-x*30-y*17)%256 + 256) % 256), 255})
		}
	}
	big := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			big.SetNRGBA(x, y, color.NRGBA{uint8((x*7 + y*3) % 256), uint8((x * y) % 256), uint8((x*x + y) % 256), 255})
		}
	}
	for _, c := range []struct {
		img  image.Image
		size int
		want []uint8
	}{
		{small, 4, []uint8{17, 5, 241, 79, 43, 191, 147, 155, 135, 209, 151, 85, 30, 33, 220, 92, 74, 170, 160, 160, 114, 222, 128, 64,
			44, 63, 198, 106, 107, 148, 174, 154, 92, 241, 78, 42, 57, 91, 177, 119, 135, 127, 196, 185, 71, 135, 113, 21}},
		{big, 5, []uint8{34, 10, 22, 87, 30, 119, 145, 53, 121, 209, 83, 115, 135, 100, 120, 51, 31, 27, 104, 98, 124, 163, 162, 126,
			214, 141, 120, 73, 126, 126, 69, 55, 33, 122, 163, 130, 186, 122, 132, 188, 123, 127, 38, 132, 120, 88, 86, 40, 141, 143, 137,
			209, 126, 139, 131, 127, 135, 42, 125, 115, 105, 103, 45, 159, 128, 143, 217, 129, 137, 76, 128, 138, 62, 125, 122}},
	} {
		got := ToRGB(c.img, c.size)
		for i := range c.want {
			if d := int(got[i]) - int(c.want[i]); d < -1 || d > 1 {
				t.Errorf("%d×%d: byte %d is %d, Pillow gives %d", c.size, c.size, i, got[i], c.want[i])
				break
			}
		}
	}
}

// A strip within MaxPixels (1×16,777,216, a 32 KB PNG) is resized to a
// small square without the resampler's gigabytes: memory stays within a few
// times the decoded image, and the result is the strip's colour. Images
// with no side over maxResampledSide are resampled as before.
func TestToRGBOfAStrip(t *testing.T) {
	const long = 1 << 24
	for _, tc := range []struct {
		name string
		img  *image.Gray
	}{
		{"tall", image.NewGray(image.Rect(0, 0, 1, long))},
		{"wide", image.NewGray(image.Rect(0, 0, long, 1))},
	} {
		for i := range tc.img.Pix {
			tc.img.Pix[i] = 200
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		pix := ToRGB(tc.img, 50)
		runtime.ReadMemStats(&after)
		if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 64<<20 {
			t.Errorf("%s strip: %d MiB allocated to resize it, want at most 64 (the image is %d MiB)", tc.name, allocated>>20, long>>20)
		}
		for i, v := range pix {
			if v != 200 {
				t.Fatalf("%s strip: byte %d is %d, want 200", tc.name, i, v)
			}
		}
	}
	if img := image.NewGray(image.Rect(0, 0, maxResampledSide, 2)); shortenSides(img) != image.Image(img) {
		t.Error("an image of side maxResampledSide was sampled down before resampling")
	}
}
