package imageio

import (
	"bytes"
	"encoding/binary"
	"image"
	"io"

	"github.com/disintegration/imaging"
)

// maxJPEGHeader caps how many bytes of a JPEG's segments before its first
// scan are searched for the EXIF orientation (and held in memory
// meanwhile). The EXIF segment normally comes first or right after JFIF's
// APP0, and one segment holds at most 64 KiB.
const maxJPEGHeader = 256 << 10

// readJPEGOrientation reads a JPEG's segments from r, up to and including
// its EXIF segment (searched, as Pillow and libjpeg do, in every segment
// before the first scan, not only among the leading APPn ones), and
// returns the bytes it read (to be given back to the decoder ahead of the
// rest of r) and the EXIF orientation, 1 to 8; 1 (as stored) when there is
// none or it cannot be read. It reads synchronously, in the caller's
// goroutine: nothing is left running if the decoder that follows panics.
func readJPEGOrientation(r io.Reader) (head []byte, orientation int) {
	var buf bytes.Buffer
	tr := io.TeeReader(io.LimitReader(r, maxJPEGHeader), &buf)
	orientation = 1
	var hdr [4]byte
	if _, err := io.ReadFull(tr, hdr[:2]); err != nil || hdr[0] != 0xFF || hdr[1] != 0xD8 { // SOI
		return buf.Bytes(), orientation
	}
	for {
		if _, err := io.ReadFull(tr, hdr[:4]); err != nil || hdr[0] != 0xFF {
			return buf.Bytes(), orientation
		}
		// The first scan (SOS) ends the search, as does a marker without a
		// length (RSTn, SOI, EOI, TEM), which has no place here.
		marker := hdr[1]
		if marker == 0xDA || marker >= 0xD0 && marker <= 0xD9 || marker == 0x01 {
			return buf.Bytes(), orientation
		}
		n := int(binary.BigEndian.Uint16(hdr[2:4])) - 2
		if n < 0 {
			return buf.Bytes(), orientation
		}
		start := buf.Len()
		if _, err := io.CopyN(io.Discard, tr, int64(n)); err != nil {
			return buf.Bytes(), orientation
		}
		if payload := buf.Bytes()[start:]; marker == 0xE1 && bytes.HasPrefix(payload, []byte("Exif\x00\x00")) {
			return buf.Bytes(), exifOrientation(payload[6:])
		}
	}
}

// exifOrientation returns the Orientation tag (0x0112) of IFD0 in tiff, the
// TIFF structure of an EXIF segment; 1 when it is missing or invalid.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int64(bo.Uint32(tiff[4:8]))
	if ifd < 8 || ifd+2 > int64(len(tiff)) {
		return 1
	}
	count := int64(bo.Uint16(tiff[ifd:]))
	for i := range count {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(tiff)) {
			return 1
		}
		if bo.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		// A SHORT, count 1: its value is left-justified in the 4-byte field.
		if typ := bo.Uint16(tiff[e+2:]); typ != 3 || bo.Uint32(tiff[e+4:]) != 1 {
			return 1
		}
		if v := int(bo.Uint16(tiff[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// orient turns a decoded image as stored into the image as meant to be
// seen, for EXIF orientation o (1 to 8, see the EXIF/TIFF specifications).
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img) // 90° clockwise; imaging rotates counter-clockwise
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}
