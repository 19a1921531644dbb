// Package imageio is the one preprocessing path shared by training, prediction
// and the web server: it recognises an image by its magic bytes (never by its
// file name), decodes it (JPEG with its EXIF orientation applied, PNG, GIF,
// BMP, WebP, TIFF) and turns it into the square RGB array the model reads.
//
// Typical use:
//
//	img, err := imageio.Load("photo.jpg")
//	if err != nil { ... }
//	pix := imageio.ToRGB(img, 50) // 50*50*3 bytes, HWC, RGB
package imageio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"slices"

	xdraw "golang.org/x/image/draw"

	"github.com/disintegration/imaging"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// ErrNotImage is returned (wrapped) when the data is not an image in one of
// the supported formats: empty, text, HTML, an unsupported format, etc.
var ErrNotImage = errors.New("not a supported image (jpeg, png, gif, bmp, webp, tiff)")

// ErrUnsupportedVariant is returned (wrapped, with the decoder's own error)
// for an image in a supported format that uses a feature its Go decoder
// lacks: an arithmetic-coded or 12-bit JPEG, a run-length-encoded BMP, …
var ErrUnsupportedVariant = errors.New("a variant of the format that cannot be decoded here")

// decoderError wraps err, a decoder's error, after context ("decode
// jpeg"), marking the variants the decoders do not support
// (ErrUnsupportedVariant).
func decoderError(context string, err error) error {
	var jpegUnsupported jpeg.UnsupportedError
	var pngUnsupported png.UnsupportedError
	if errors.As(err, &jpegUnsupported) || errors.As(err, &pngUnsupported) || errors.Is(err, bmp.ErrUnsupported) {
		return fmt.Errorf("%s: %w: %w", context, ErrUnsupportedVariant, err)
	}
	return fmt.Errorf("%s: %w", context, err)
}

// ErrTooLarge is returned (wrapped) by Load and DecodeBytes when the image
// header declares more than MaxPixels pixels (a likely decompression bomb),
// and by ReadFile (so Load) for a file of more than MaxFileBytes.
var ErrTooLarge = errors.New("image too large")

// MaxPixels is the largest width×height Load and DecodeBytes accept
// (about 8000×6000, a large camera photo).
const MaxPixels = 50_000_000

// Formats returns the supported format names, as Sniff returns them. The
// slice is the caller's.
func Formats() []string { return slices.Clone(formats) }

// formats is what Formats returns.
var formats = []string{"jpeg", "png", "gif", "bmp", "webp", "tiff"}

// UntrustedFormats returns the formats of Formats to accept from strangers
// (web uploads, downloads): all but TIFF. The slice is the caller's. golang.org/x/image/tiff (v0.33.0) sizes
// its buffers from header fields rather than the pixel count (a RowsPerStrip
// or tile size beyond the image lets a deflate or LZW strip decompress
// without bound), so checking the header's dimensions cannot make a TIFF
// cheap. Browsers do not show TIFF either.
func UntrustedFormats() []string { return slices.Clone(untrustedFormats) }

// untrustedFormats is what UntrustedFormats returns.
var untrustedFormats = []string{"jpeg", "png", "gif", "bmp", "webp"}

// SniffLen is how many leading bytes Sniff needs to recognise every format.
const SniffLen = 18

// bmpHeaderSizes are the sizes of the BMP info headers (DIB headers) in use:
// BITMAPCOREHEADER (12), BITMAPINFOHEADER (40) and its V2, V3 (52, 56),
// OS/2 2.x (64), V4 (108) and V5 (124); Pillow accepts the same.
var bmpHeaderSizes = []uint32{12, 40, 52, 56, 64, 108, 124}

// Sniff identifies the image format from the first bytes of a file
// (SniffLen are enough): "jpeg", "png", "gif", "bmp", "webp" or "tiff". ok is
// false for anything else. It never looks at a file name. "BM" alone is not
// taken for a BMP (a text may start with it): the size of a known BMP info
// header must follow the 14-byte file header.
func Sniff(head []byte) (format string, ok bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg", true
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "png", true
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "gif", true
	case bytes.HasPrefix(head, []byte("BM")) && len(head) >= 18 && slices.Contains(bmpHeaderSizes, binary.LittleEndian.Uint32(head[14:18])):
		return "bmp", true
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return "webp", true
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "tiff", true
	}
	return "", false
}

// sniffReader wraps r in a buffered reader and identifies its format.
func sniffReader(r io.Reader) (*bufio.Reader, string, error) {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < SniffLen {
		br = bufio.NewReader(r)
	}
	head, err := br.Peek(SniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("read image header: %w", err)
	}
	if len(head) == 0 {
		return nil, "", fmt.Errorf("%w: the file is empty", ErrNotImage)
	}
	format, ok := Sniff(head)
	if !ok {
		return nil, "", fmt.Errorf("%w: it starts with %q", ErrNotImage, printable(head))
	}
	return br, format, nil
}

// printable returns b with non-printable bytes replaced, for error messages.
func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// DecodeConfig reads only the image header and returns its width, height and
// color model, and the format name. Use it to reject decompression bombs
// before decoding. For a JPEG with an EXIF orientation of 5–8, Decode returns
// an image with width and height swapped relative to this header.
func DecodeConfig(r io.Reader) (image.Config, string, error) {
	br, format, err := sniffReader(r)
	if err != nil {
		return image.Config{}, "", fmt.Errorf("decode image header: %w", err)
	}
	var cfg image.Config
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(br)
	case "png":
		cfg, err = png.DecodeConfig(br)
	case "gif":
		cfg, err = gif.DecodeConfig(br)
	case "bmp":
		cfg, err = bmp.DecodeConfig(br)
	case "webp":
		cfg, err = webpDecodeConfig(br) // the size webp.Decode decodes, not the canvas a file claims
	case "tiff":
		cfg, err = tiff.DecodeConfig(br)
	}
	if err != nil {
		return image.Config{}, format, decoderError("decode "+format+" header", err)
	}
	return cfg, format, nil
}

// Decode decodes an image in any supported format, chosen by its magic bytes,
// and returns it with its format name. A JPEG's EXIF orientation is applied,
// so the image is the right way up. A GIF gives its first frame, on a
// transparent canvas of the GIF's size when the frame is smaller. Data that is no supported image gives an
// error wrapping ErrNotImage; a damaged or truncated image gives the
// decoder's error, wrapped; a JPEG with more than MaxJPEGScans scans stops
// there (ErrTooManyScans).
func Decode(r io.Reader) (image.Image, string, error) {
	br, format, err := sniffReader(r)
	if err != nil {
		return nil, "", fmt.Errorf("decode image: %w", err)
	}
	var img image.Image
	switch format {
	case "jpeg":
		// The EXIF orientation is read first, in this goroutine, and the
		// bytes it took are handed back to the decoder.
		head, o := readJPEGOrientation(br)
		if img, err = jpeg.Decode(&scanLimiter{r: io.MultiReader(bytes.NewReader(head), br)}); err == nil {
			img = orient(img, o)
		}
	case "png":
		img, err = png.Decode(br)
	case "gif":
		img, err = decodeGIF(br)
	case "bmp":
		img, err = bmp.Decode(br)
	case "webp":
		if img, err = webp.Decode(br); err == nil {
			img = webpRGB(img) // lossy WebP is limited-range YCbCr
		}
	case "tiff":
		// x/image/tiff sizes its buffers from header fields unless it can
		// read at random positions: give it the whole file in memory, so an
		// uncompressed strip can never claim more bytes than the file has.
		var data []byte
		if data, err = io.ReadAll(br); err == nil {
			img, err = tiff.Decode(bytes.NewReader(data))
		}
	}
	if err != nil {
		return nil, format, decoderError("decode "+format, err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, format, fmt.Errorf("decode %s: empty %dx%d image", format, b.Dx(), b.Dy())
	}
	return img, format, nil
}

// decodeGIF decodes a GIF's first frame onto its logical screen (the
// canvas): a frame smaller than the screen is drawn at its place on a
// transparent canvas of the screen's size, as a viewer shows it, rather
// than returned alone (and stretched by ToRGB to the whole picture).
func decodeGIF(br *bufio.Reader) (image.Image, error) {
	head, err := br.Peek(10) // signature (6), screen width and height
	if err != nil {
		return nil, err
	}
	w, h := int(binary.LittleEndian.Uint16(head[6:])), int(binary.LittleEndian.Uint16(head[8:]))
	frame, err := gif.Decode(br)
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, w, h)
	if frame.Bounds() == screen {
		return frame, nil
	}
	if w*h > MaxPixels {
		return nil, fmt.Errorf("%dx%d screen, more than %d pixels: %w", w, h, MaxPixels, ErrTooLarge)
	}
	canvas := image.NewNRGBA(screen) // transparent
	draw.Draw(canvas, frame.Bounds(), frame, frame.Bounds().Min, draw.Src)
	return canvas, nil
}

// DecodeBytes decodes an image held in memory (a file's content, an upload)
// after checking from its header that it has at most MaxPixels pixels;
// larger images give an error wrapping ErrTooLarge.
func DecodeBytes(data []byte) (image.Image, string, error) {
	return DecodeBytesLimit(data, MaxPixels)
}

// DecodeBytesLimit is DecodeBytes with another pixel limit: a caller that
// knows how large its images can be (a crawler asking for 500-pixel photos)
// keeps a small file that declares 48 MP from costing a gigabyte. A JPEG
// with more than MaxJPEGScans scans stops there, as in Decode
// (ErrTooManyScans).
func DecodeBytesLimit(data []byte, maxPixels int64) (image.Image, string, error) {
	cfg, format, err := DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, format, err
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, format, fmt.Errorf("decode %s: %dx%d pixels, more than %d: %w", format, cfg.Width, cfg.Height, maxPixels, ErrTooLarge)
	}
	return Decode(bytes.NewReader(data))
}

// Load reads and decodes the image file at path (see DecodeBytes). Only a
// regular file (or a link to one) of at most MaxFileBytes is read.
func Load(path string) (image.Image, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	img, _, err := DecodeBytes(data)
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", path, err)
	}
	return img, nil
}

// filter is the resampling filter ToRGB uses: Catmull-Rom, i.e. bicubic,
// Pillow's default for resize since Pillow 7. Unexported on purpose: training,
// prediction and serving must resize the same way.
var filter = imaging.CatmullRom

// ToRGB returns img as size×size RGB pixels, row by row (height, width,
// channel: HWC), len size*size*3. The image is squashed to a square without
// cropping (like the course's PIL resize((50, 50))), transparent pixels are
// composited over white, and grayscale, CMYK and paletted images become RGB.
func ToRGB(img image.Image, size int) []uint8 {
	return ToRGBSize(img, size, size)
}

// ToRGBSize is ToRGB to width×height pixels (len width*height*3). At the
// image's own size it only converts, without resampling.
func ToRGBSize(img image.Image, width, height int) []uint8 {
	if width <= 0 || height <= 0 {
		return nil
	}
	out := make([]uint8, width*height*3)
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		for i := range out {
			out[i] = 255
		}
		return out
	}
	// imaging's resampler reads every image type through fast paths and
	// weights colours by alpha, so resizing before compositing is exact and
	// touches only width×height pixels afterwards. At the same size it only
	// converts to NRGBA.
	n := imaging.Resize(shortenSides(img), width, height, filter)
	for y := range height {
		src := n.Pix[y*n.Stride : y*n.Stride+width*4]
		dst := out[y*width*3 : (y+1)*width*3]
		for x := range width {
			s := src[x*4 : x*4+4 : x*4+4]
			d := dst[x*3 : x*3+3 : x*3+3]
			if a := uint32(s[3]); a == 255 {
				d[0], d[1], d[2] = s[0], s[1], s[2]
			} else {
				w := 255 * (255 - a)
				d[0] = uint8((uint32(s[0])*a + w + 127) / 255)
				d[1] = uint8((uint32(s[1])*a + w + 127) / 255)
				d[2] = uint8((uint32(s[2])*a + w + 127) / 255)
			}
		}
	}
	return out
}

// maxResampledSide is the longest side ToRGBSize resamples with its filter.
// The resampler's memory grows with the sides, not the pixels: it resizes
// rows first, into a buffer of the new width × the old height, with weight
// tables as long as each side. Within MaxPixels, only strips and long
// panoramas get past this side (at most about 3,000 pixels on the other
// one); a 1×16,000,000 PNG, 32 KB compressed, took 4.8 GB and 15 s.
const maxResampledSide = 16384

// shortenedSide is the length shortenSides brings such a side down to.
const shortenedSide = 4096

// shortenSides returns img, or, when a side is longer than
// maxResampledSide, img with that side brought down to shortenedSide by
// nearest-neighbour sampling (cheap in time and memory; the quality of such
// a strip hardly matters once squashed to a small square).
func shortenSides(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= maxResampledSide && h <= maxResampledSide {
		return img
	}
	if w > maxResampledSide {
		w = shortenedSide
	}
	if h > maxResampledSide {
		h = shortenedSide
	}
	// Into a new image of the new size only: imaging's nearest-neighbour
	// resize would first copy a source whose width it keeps whole.
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	xdraw.NearestNeighbor.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst
}

// RGBImage wraps HWC RGB pixels (as returned by ToRGB) of the given width and
// height as an opaque *image.NRGBA, e.g. to display or encode them.
func RGBImage(pix []uint8, width, height int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for i := range width * height {
		copy(img.Pix[i*4:i*4+3], pix[i*3:i*3+3])
		img.Pix[i*4+3] = 255
	}
	return img
}
