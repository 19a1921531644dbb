package imageio

import "image"

// Lossy WebP (VP8) stores limited-range BT.601 YCbCr ("studio swing": Y in
// 16..235), but golang.org/x/image/webp returns it as an *image.YCbCr (or an
// *image.NYCbCrA with an alpha plane), which Go converts to RGB as full-range
// JPEG YCbCr (golang/go#40173): pure red would come out as (239, 15, 15).
// webpRGB converts it the way libwebp (and so Pillow, browsers and the
// course's Python code) does: chroma upsampled with libwebp's "fancy"
// upsampler, then libwebp's fixed-point YUV→RGB formula (src/dsp/yuv.h and
// src/dsp/upsampling.c). JPEG's YCbCr is full range and is not touched.

// webpRGB returns the RGB(A) image of a decoded lossy WebP, or img itself
// for anything else (a lossless WebP decodes to *image.NRGBA).
func webpRGB(img image.Image) image.Image {
	switch m := img.(type) {
	case *image.YCbCr:
		return limitedYCbCrToNRGBA(m, nil, 0)
	case *image.NYCbCrA:
		return limitedYCbCrToNRGBA(&m.YCbCr, m.A, m.AStride)
	}
	return img
}

// limitedYCbCrToNRGBA converts m, limited-range YCbCr, to an NRGBA image of
// the same bounds. alpha, if not nil, holds the alpha plane (aStride bytes a
// row, starting at m.Rect.Min); otherwise the result is opaque.
func limitedYCbCrToNRGBA(m *image.YCbCr, alpha []uint8, aStride int) *image.NRGBA {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	out.Rect = b // same bounds; Pix starts at b.Min
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 || b.Min.X%2 != 0 || b.Min.Y%2 != 0 {
		// Not produced by x/image/webp; converted without upsampling.
		for y := range h {
			dst := out.Pix[y*out.Stride : y*out.Stride+4*w]
			for x := range w {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				yuvToRGB(dst[4*x:4*x+3:4*x+3], m.Y[yi], m.Cb[ci], m.Cr[ci])
			}
		}
	} else {
		upsample420(out, m, w, h)
	}
	for y := range h {
		dst := out.Pix[y*out.Stride : y*out.Stride+4*w]
		if alpha == nil {
			for x := range w {
				dst[4*x+3] = 255
			}
			continue
		}
		a := alpha[y*aStride : y*aStride+w]
		for x := range w {
			dst[4*x+3] = a[x]
		}
	}
	return out
}

// upsample420 fills out's RGB with m (4:2:0, bounds starting at even
// coordinates) converted pixel by pixel, chroma upsampled like libwebp's
// fancy upsampler (see upsampleRow).
func upsample420(out *image.NRGBA, m *image.YCbCr, w, h int) {
	cw, ch := (w+1)/2, (h+1)/2
	c0 := m.COffset(m.Rect.Min.X, m.Rect.Min.Y)
	y0 := m.YOffset(m.Rect.Min.X, m.Rect.Min.Y)
	u, v := make([]uint8, w), make([]uint8, w)
	for y := range h {
		near := y / 2
		far := near - 1 // the other chroma row nearest to this luma row
		if y%2 == 1 {
			far = near + 1
		}
		far = min(max(far, 0), ch-1)
		nr, fr := c0+near*m.CStride, c0+far*m.CStride
		upsampleRow(u, m.Cb[nr:nr+cw], m.Cb[fr:fr+cw])
		upsampleRow(v, m.Cr[nr:nr+cw], m.Cr[fr:fr+cw])
		lum := m.Y[y0+y*m.YStride : y0+y*m.YStride+w]
		dst := out.Pix[y*out.Stride : y*out.Stride+4*w]
		u, v := u[:len(lum)], v[:len(lum)]
		for x, l := range lum {
			yy, cb, cr := yTerm[l], u[x], v[x]
			d := dst[4*x : 4*x+3 : 4*x+3]
			d[0] = clip8(yy + crR[cr])
			d[1] = clip8(yy + cbG[cb] + crG[cr])
			d[2] = clip8(yy + cbB[cb])
		}
	}
}

// upsampleRow writes the chroma of each pixel of a luma row into dst, from
// the chroma row nearest to it (near) and the next nearest (far), as
// libwebp's UpsampleRgbaLinePair does. With n a pixel's own chroma sample, h
// its horizontal neighbour, v its vertical one and d the diagonal one:
// (((n + 3h + 3v + d + 8) >> 3) + n) >> 1, about (9n + 3h + 3v + d) / 16;
// at the left and right edges, where there is no h, (3n + v + 2) >> 2.
func upsampleRow(dst, near, far []uint8) {
	cw := len(near)
	far = far[:cw]
	// n + 3h + 3v + d = (3·near[f] + far[f]) + (near[n] + 3·far[n]), f = n±1.
	dst[0] = uint8((3*uint32(near[0]) + uint32(far[0]) + 2) >> 2)
	for n := 0; n+1 < cw; n++ {
		n0, f0 := uint32(near[n]), uint32(far[n])
		n1, f1 := uint32(near[n+1]), uint32(far[n+1])
		dst[2*n+1] = uint8((((3*n1 + f1 + n0 + 3*f0 + 8) >> 3) + n0) >> 1)
		dst[2*n+2] = uint8((((3*n0 + f0 + n1 + 3*f1 + 8) >> 3) + n1) >> 1)
	}
	if len(dst) == 2*cw { // even width: the last pixel is at the right edge
		dst[2*cw-1] = uint8((3*uint32(near[cw-1]) + uint32(far[cw-1]) + 2) >> 2)
	}
}

// yuvToRGB writes libwebp's RGB of one limited-range BT.601 YCbCr pixel
// (VP8YUVToR/G/B: 14-bit fixed point).
func yuvToRGB(dst []uint8, y, u, v uint8) {
	yy := yTerm[y]
	dst[0] = clip8(yy + crR[v])
	dst[1] = clip8(yy + cbG[u] + crG[v])
	dst[2] = clip8(yy + cbB[u])
}

// The terms of libwebp's VP8YUVToR/G/B for each byte value, 6 fractional
// bits; the constants are in the Y term.
var yTerm, crR, cbG, crG, cbB [256]int32

func init() {
	for i := range int32(256) {
		yTerm[i] = (i * 19077) >> 8
		crR[i] = (i*26149)>>8 - 14234
		cbG[i] = 8708 - (i*6419)>>8
		crG[i] = -((i * 13320) >> 8)
		cbB[i] = (i*33050)>>8 - 17685
	}
}

// clip8 is libwebp's VP8Clip8: v has 6 fractional bits.
func clip8(v int32) uint8 {
	if v&^16383 == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}
