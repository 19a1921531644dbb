package dataset

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// AugmentAngles returns the rotations, in degrees counter-clockwise, of the
// course's offline augmentation: -20, -15, …, +15 (range(-20, 20, 5)). The
// slice is the caller's.
func AugmentAngles() []float64 { return slices.Clone(augmentAngles[:]) }

// augmentAngles is what AugmentAngles returns.
var augmentAngles = [...]float64{-20, -15, -10, -5, 0, 5, 10, 15}

// SamplesPerPhoto is how many training samples augmentation makes of one
// photo: each rotation in AugmentAngles and the mirror image of each.
const SamplesPerPhoto = 2 * len(augmentAngles)

// OriginalSample is the index, among the SamplesPerPhoto samples Augment
// makes of a photo, of the photo itself: not rotated (AugmentAngles()[4]
// is 0), not mirrored.
const OriginalSample = 8

// AugmentSample describes sample i (0 ≤ i < SamplesPerPhoto) of Augment's
// output: samples come in pairs, the rotation by AugmentAngles()[i/2] and then
// its horizontal mirror.
func AugmentSample(i int) (angle float64, mirrored bool) {
	return augmentAngles[i/2], i%2 == 1
}

// Augment returns the course's offline augmentation of img: for each angle
// in AugmentAngles, img rotated by it and the mirror image of that rotation
// (SamplesPerPhoto images, in AugmentSample order). Each keeps img's size;
// transparent pixels are composited over white first. Rotation is bilinear
// around the centre, and corners are filled by repeating the nearest edge
// pixel (the course's PIL rotate left them black).
func Augment(img image.Image) []image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pix := imageio.ToRGBSize(img, w, h) // the conversion of training data, without resampling
	samples := make([]uint8, SamplesPerPhoto*len(pix))
	augmentInto(samples, pix, w, h)
	out := make([]image.Image, SamplesPerPhoto)
	for i := range out {
		out[i] = imageio.RGBImage(samples[i*len(pix):(i+1)*len(pix)], w, h)
	}
	return out
}

// augmentInto writes the SamplesPerPhoto samples of pix (w×h HWC RGB) into
// dst, one after the other, in AugmentSample order.
func augmentInto(dst, pix []uint8, w, h int) {
	stride := len(pix)
	for k, angle := range augmentAngles {
		rot := dst[2*k*stride : (2*k+1)*stride]
		rotate(rot, pix, w, h, angle)
		mir := dst[(2*k+1)*stride : (2*k+2)*stride]
		copy(mir, rot)
		flipInto(mir, w, h)
	}
}

// rotate writes src (w×h HWC RGB) rotated by deg degrees counter-clockwise
// around its centre into dst, sampling bilinearly and clamping to the edge.
func rotate(dst, src []uint8, w, h int, deg float64) {
	if deg == 0 {
		copy(dst, src)
		return
	}
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w)/2, float64(h)/2
	for y := range h {
		dy := float64(y) + 0.5 - cy
		for x := range w {
			dx := float64(x) + 0.5 - cx
			// Inverse mapping: the source point that lands on (x, y). With y
			// pointing down, a counter-clockwise turn by θ maps (dx, dy) to
			// (dx·cos + dy·sin, −dx·sin + dy·cos); this is its inverse.
			sx := dx*cos - dy*sin + cx - 0.5
			sy := dx*sin + dy*cos + cy - 0.5
			bilinear(dst[(y*w+x)*3:(y*w+x)*3+3], src, w, h, sx, sy)
		}
	}
}

// bilinear samples src (w×h HWC RGB) at (x, y), clamping to the edges.
func bilinear(out, src []uint8, w, h int, x, y float64) {
	x = min(max(x, 0), float64(w-1))
	y = min(max(y, 0), float64(h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	i00, i01 := (y0*w+x0)*3, (y0*w+x1)*3
	i10, i11 := (y1*w+x0)*3, (y1*w+x1)*3
	for c := range 3 {
		top := float64(src[i00+c])*(1-fx) + float64(src[i01+c])*fx
		bot := float64(src[i10+c])*(1-fx) + float64(src[i11+c])*fx
		out[c] = uint8(top*(1-fy) + bot*fy + 0.5)
	}
}

// flipInto mirrors a w×h HWC RGB image left to right in place.
func flipInto(pix []uint8, w, h int) {
	for y := range h {
		row := pix[y*w*3 : (y+1)*w*3]
		for l, r := 0, w-1; l < r; l, r = l+1, r-1 {
			row[l*3], row[r*3] = row[r*3], row[l*3]
			row[l*3+1], row[r*3+1] = row[r*3+1], row[l*3+1]
			row[l*3+2], row[r*3+2] = row[r*3+2], row[l*3+2]
		}
	}
}

// RandomAugment applies a cheap random augmentation in place to a batch of n
// size×size HWC RGB images (images holds n*size*size*3 bytes): each image is
// mirrored left to right with probability 1/2 and shifted by up to size/10
// pixels (at least 1) in each direction, the uncovered border repeating the
// edge pixels. Trainers call it on each training batch; never on test data.
func RandomAugment(rng *rand.Rand, images []uint8, n, size int) {
	stride := size * size * 3
	maxShift := max(1, size/10)
	tmp := make([]uint8, stride)
	for i := range n {
		img := images[i*stride : (i+1)*stride]
		if rng.IntN(2) == 1 {
			flipInto(img, size, size)
		}
		dx := rng.IntN(2*maxShift+1) - maxShift
		dy := rng.IntN(2*maxShift+1) - maxShift
		if dx == 0 && dy == 0 {
			continue
		}
		shiftInto(tmp, img, size, dx, dy)
		copy(img, tmp)
	}
}

// shiftInto writes src moved by (dx, dy) pixels into dst, clamping to edges.
func shiftInto(dst, src []uint8, size, dx, dy int) {
	for y := range size {
		sy := min(max(y-dy, 0), size-1)
		for x := range size {
			sx := min(max(x-dx, 0), size-1)
			copy(dst[(y*size+x)*3:(y*size+x)*3+3], src[(sy*size+sx)*3:])
		}
	}
}
