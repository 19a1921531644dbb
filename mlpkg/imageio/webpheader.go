package imageio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// webpDecodeConfig reads a WebP's header and returns the size of its image
// data (the VP8 or VP8L bitstream), which is the size webp.Decode returns.
//
// golang.org/x/image/webp's DecodeConfig returns, for an extended file (a
// VP8X chunk), the canvas size that chunk declares, while its Decode
// decodes the bitstream at the bitstream's own size: a 56-byte file could
// declare a 1×1 canvas, pass a pixel check, and decode 16383×16383 pixels
// (1 GB). A file whose canvas and image sizes differ is refused here. The
// chunks before the image data (ICC profile, alpha) are skipped, not read
// into memory.
func webpDecodeConfig(br *bufio.Reader) (image.Config, error) {
	var riff [12]byte
	if _, err := io.ReadFull(br, riff[:]); err != nil {
		return image.Config{}, fmt.Errorf("webp: %w", err)
	}
	if string(riff[:4]) != "RIFF" || string(riff[8:]) != "WEBP" {
		return image.Config{}, errors.New("webp: not a RIFF WEBP file")
	}
	var canvas *image.Point // from VP8X, when present
	alpha := false
	for {
		var head [8]byte
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return image.Config{}, fmt.Errorf("webp: no image data: %w", err)
		}
		fourCC, size := string(head[:4]), int64(binary.LittleEndian.Uint32(head[4:]))
		var cfg image.Config
		switch fourCC {
		case "VP8X":
			var x [10]byte
			if size < int64(len(x)) {
				return image.Config{}, errors.New("webp: short VP8X chunk")
			}
			if _, err := io.ReadFull(br, x[:]); err != nil {
				return image.Config{}, fmt.Errorf("webp: %w", err)
			}
			alpha = x[0]&0x10 != 0
			canvas = &image.Point{X: 1 + int(uint32(x[4])|uint32(x[5])<<8|uint32(x[6])<<16),
				Y: 1 + int(uint32(x[7])|uint32(x[8])<<8|uint32(x[9])<<16)}
			if err := skip(br, size-int64(len(x))+size&1); err != nil {
				return image.Config{}, err
			}
			continue
		case "VP8 ":
			var f [10]byte // frame tag (3), start code (3), width and height (2 + 2)
			if _, err := io.ReadFull(br, f[:]); err != nil {
				return image.Config{}, fmt.Errorf("webp: %w", err)
			}
			if f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
				return image.Config{}, errors.New("webp: bad VP8 start code")
			}
			cfg = image.Config{ColorModel: color.YCbCrModel,
				Width: int(binary.LittleEndian.Uint16(f[6:]) & 0x3fff), Height: int(binary.LittleEndian.Uint16(f[8:]) & 0x3fff)}
			if alpha {
				cfg.ColorModel = color.NYCbCrAModel
			}
		case "VP8L":
			var l [5]byte // signature, then width-1 and height-1 in 14 bits each
			if _, err := io.ReadFull(br, l[:]); err != nil {
				return image.Config{}, fmt.Errorf("webp: %w", err)
			}
			if l[0] != 0x2f {
				return image.Config{}, errors.New("webp: bad VP8L signature")
			}
			bits := binary.LittleEndian.Uint32(l[1:])
			cfg = image.Config{ColorModel: color.NRGBAModel, Width: 1 + int(bits&0x3fff), Height: 1 + int(bits>>14&0x3fff)}
		default: // ICCP, ALPH, ANIM, EXIF, XMP, …: not the image data
			if err := skip(br, size+size&1); err != nil {
				return image.Config{}, err
			}
			continue
		}
		if canvas != nil && (canvas.X != cfg.Width || canvas.Y != cfg.Height) {
			return image.Config{}, fmt.Errorf("webp: the file declares a %dx%d canvas but its image is %dx%d", canvas.X, canvas.Y, cfg.Width, cfg.Height)
		}
		return cfg, nil
	}
}

// skip discards n bytes of br.
func skip(br *bufio.Reader, n int64) error {
	if _, err := io.CopyN(io.Discard, br, n); err != nil {
		return fmt.Errorf("webp: %w", err)
	}
	return nil
}
