// Package imagetest holds test helpers shared by the packages that decode
// images (imageio, serve, curate): encoding generated pictures in each format.
package imagetest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Encode returns img encoded as format: "jpeg" (quality 95), "png", "gif",
// "bmp" or "tiff". It fails the test on an unknown format or an encoding error.
func Encode(t testing.TB, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	case "png":
		err = png.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	case "tiff":
		err = tiff.Encode(&buf, img, nil)
	default:
		t.Fatalf("imagetest: no encoder for %q", format)
	}
	if err != nil {
		t.Fatalf("imagetest: encode %s: %v", format, err)
	}
	return buf.Bytes()
}

// ProgressiveJPEG returns a 4096×4096 grey progressive JPEG of nScans AC
// scans, each an end-of-band run over all 262 144 blocks (about 25 bytes, a
// full pass over the image for the decoder). With hide, every group of
// scans follows an FF 00 pair, which Go's decoder skips as junk between
// segments but a marker walker reads as a segment whose length (the FF DA
// that follows: 65 498) jumps over the group.
func ProgressiveJPEG(nScans int, hide bool) []byte {
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

// RLEBMP returns a 2×2, 8-bit BMP compressed with run-length encoding
// (BI_RLE8): a valid image in a variant that x/image/bmp does not read.
// Only its headers are filled in.
func RLEBMP() []byte {
	b := make([]byte, 54+256*4) // file and info headers, palette
	copy(b, "BM")
	binary.LittleEndian.PutUint32(b[2:], uint32(len(b)))
	binary.LittleEndian.PutUint32(b[10:], uint32(len(b))) // pixel data offset
	binary.LittleEndian.PutUint32(b[14:], 40)             // info header size
	binary.LittleEndian.PutUint32(b[18:], 2)              // width
	binary.LittleEndian.PutUint32(b[22:], 2)              // height
	binary.LittleEndian.PutUint16(b[26:], 1)              // planes
	binary.LittleEndian.PutUint16(b[28:], 8)              // bits per pixel
	binary.LittleEndian.PutUint32(b[30:], 1)              // BI_RLE8
	return b
}
