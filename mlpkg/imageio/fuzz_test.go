package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
)

// Fuzz targets for the decoding of images from strangers (uploads,
// downloads). Their seeds run with go test; to fuzz one:
//
//	go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 3m ./mlpkg/imageio/

// fuzzPixels is the pixel limit FuzzDecode decodes under: small, so that
// each input is cheap, as a crawler asking for small photos sets it.
const fuzzPixels = 1 << 18

// imageSeeds are small images of every format (one with each EXIF
// orientation, a GIF frame smaller than its screen, the WebP fixtures),
// and damaged or lying ones.
func imageSeeds(tb testing.TB) [][]byte {
	src := halves(12, 7, red, blue)
	jpg := imagetest.Encode(tb, "jpeg", src)
	seeds := [][]byte{
		jpg,
		imagetest.Encode(tb, "png", src),
		imagetest.Encode(tb, "gif", src),
		imagetest.Encode(tb, "bmp", src),
		imagetest.Encode(tb, "jpeg", image.NewGray(image.Rect(0, 0, 5, 9))),
		imagetest.Encode(tb, "png", image.NewNRGBA64(image.Rect(0, 0, 3, 2))),
		imagetest.ProgressiveJPEG(3, false),
		imagetest.RLEBMP(),
		jpg[:len(jpg)/2],
		webpCanvasLie,
		pngHeader(30000, 30000),
		pngHeader(0, 0),
		[]byte("GIF89a\x01\x00\x01\x00"),
		[]byte("RIFF\x10\x00\x00\x00WEBPVP8X"),
		[]byte("<html>not an image</html>"),
		{},
	}
	for o := uint16(0); o <= 9; o++ {
		seeds = append(seeds, withEXIFOrientation(jpg, o))
	}
	pal := color.Palette{color.Black, red}
	fr := image.NewPaletted(image.Rect(3, 1, 8, 4), pal)
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{fr}, Delay: []int{0},
		Config: image.Config{Width: 10, Height: 6, ColorModel: pal}}); err != nil {
		tb.Fatal(err)
	}
	seeds = append(seeds, b.Bytes())
	names, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, name := range names {
		if data, err := os.ReadFile(name); err == nil && len(data) < 4096 {
			seeds = append(seeds, data)
		}
	}
	return seeds
}

// FuzzDecode feeds any bytes through the decoding the crawler and the
// server use (UntrustedFormats: every format but TIFF). It checks that
// nothing panics; that what Sniff does not recognise is ErrNotImage; that
// an image decoded under a pixel limit is within it, not empty, and of the
// header's size (width and height swapped by an EXIF orientation of 5 to
// 8); that ToRGB takes it; that decoding from a reader that returns a few
// bytes at a time gives the same image; and that decoding allocates memory
// in proportion to the pixels allowed and the input, not to what a field
// of the file claims.
func FuzzDecode(f *testing.F) {
	for _, s := range imageSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		format, sniffed := Sniff(data[:min(len(data), SniffLen)])
		cfg, cfgFormat, cfgErr := DecodeConfig(bytes.NewReader(data))
		if !sniffed {
			if !errors.Is(cfgErr, ErrNotImage) {
				t.Fatalf("not sniffed as an image; DecodeConfig: %q, %v", cfgFormat, cfgErr)
			}
		} else if cfgFormat != format {
			t.Fatalf("sniffed as %s, DecodeConfig says %q", format, cfgFormat)
		}
		if format == "tiff" {
			return // not taken from strangers: see UntrustedFormats
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		img, decFormat, err := DecodeBytesLimit(data, fuzzPixels)
		var pix []uint8
		if err == nil {
			pix = ToRGB(img, 4)
		}
		runtime.ReadMemStats(&after)
		if alloc, most := after.TotalAlloc-before.TotalAlloc, uint64(64*fuzzPixels+64*len(data)+4<<20); alloc > most {
			t.Fatalf("%s of %d bytes: %d bytes allocated to decode, more than %d", format, len(data), alloc, most)
		}
		if err != nil {
			if !sniffed && !errors.Is(err, ErrNotImage) {
				t.Fatalf("not sniffed as an image: %v", err)
			}
			if cfgErr == nil && int64(cfg.Width)*int64(cfg.Height) > fuzzPixels && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%dx%d: %v, want ErrTooLarge", cfg.Width, cfg.Height, err)
			}
			return
		}
		if cfgErr != nil || decFormat != format {
			t.Fatalf("decoded as %s; header: %q, %v", decFormat, cfgFormat, cfgErr)
		}
		b := img.Bounds()
		if b.Empty() || int64(b.Dx())*int64(b.Dy()) > fuzzPixels {
			t.Fatalf("%s decoded to %v under a limit of %d pixels", format, b, fuzzPixels)
		}
		if (b.Dx() != cfg.Width || b.Dy() != cfg.Height) && (format != "jpeg" || b.Dx() != cfg.Height || b.Dy() != cfg.Width) {
			t.Fatalf("%s header says %dx%d, decoded %v", format, cfg.Width, cfg.Height, b)
		}
		if len(pix) != 4*4*3 {
			t.Fatalf("ToRGB gave %d bytes", len(pix))
		}
		img2, _, err := Decode(iotest.HalfReader(bytes.NewReader(data)))
		if err != nil || img2.Bounds() != b || !bytes.Equal(ToRGB(img2, 4), pix) {
			t.Fatalf("decoded from a slow reader: %v, %v; from memory %v", err, img2, b)
		}
	})
}

// FuzzJPEGOrientation checks readJPEGOrientation on any bytes: the
// orientation is 1 to 8, and the bytes it returns are exactly those it
// read, so that the decoder reading them, then the rest, sees the file
// whole. exifOrientation alone never panics on any TIFF structure.
func FuzzJPEGOrientation(f *testing.F) {
	jpg := imagetest.Encode(f, "jpeg", halves(4, 2, red, blue))
	for o := uint16(0); o <= 9; o++ {
		f.Add(withEXIFOrientation(jpg, o))
	}
	f.Add(append([]byte{0xFF, 0xD8}, jpegSegment(0xE1, []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff"))...))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01})
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Add(jpg[:3])
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		head, o := readJPEGOrientation(r)
		if o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		rest, _ := io.ReadAll(r)
		if !bytes.Equal(append(head[:len(head):len(head)], rest...), data) {
			t.Fatalf("%d bytes handed back and %d left: not the %d of the file", len(head), len(rest), len(data))
		}
		if len(head) > maxJPEGHeader {
			t.Fatalf("%d bytes held, more than %d", len(head), maxJPEGHeader)
		}
		if o := exifOrientation(data); o < 1 || o > 8 {
			t.Fatalf("exifOrientation %d", o)
		}
	})
}
