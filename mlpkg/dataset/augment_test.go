package dataset

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// markerImage is a black size×size RGB image with a white 3×3 square
// centred r pixels right of the image centre.
func markerImage(size, r int) []uint8 {
	pix := make([]uint8, size*size*3)
	cx := size/2 + r
	for y := size/2 - 1; y <= size/2+1; y++ {
		for x := cx - 1; x <= cx+1; x++ {
			i := (y*size + x) * 3
			pix[i], pix[i+1], pix[i+2] = 255, 255, 255
		}
	}
	return pix
}

// centroid returns the brightness-weighted centre of a size×size RGB image,
// in pixel-centre coordinates.
func centroid(pix []uint8, size int) (float64, float64) {
	var sx, sy, sw float64
	for y := range size {
		for x := range size {
			w := float64(pix[(y*size+x)*3])
			sx += w * (float64(x) + 0.5)
			sy += w * (float64(y) + 0.5)
			sw += w
		}
	}
	return sx / sw, sy / sw
}

func TestAugmentRotatesByTheAnglesAndMirrors(t *testing.T) {
	const size, r = 50, 15
	src := markerImage(size, r)
	out := augmentRGB(src, size)
	stride := size * size * 3
	if len(out) != SamplesPerPhoto*stride || SamplesPerPhoto != 16 {
		t.Fatalf("len %d, SamplesPerPhoto %d", len(out), SamplesPerPhoto)
	}
	wantAngles := []float64{-20, -15, -10, -5, 0, 5, 10, 15}
	if AugmentAngles()[0] = 90; !slices.Equal(AugmentAngles(), wantAngles) {
		t.Fatalf("angles %v after changing a returned slice, want %v", AugmentAngles(), wantAngles)
	}
	c := float64(size) / 2
	mx, my := c+float64(r)+0.5, c+0.5 // the marker's centre before rotation
	for k := range SamplesPerPhoto {
		angle, mirrored := AugmentSample(k)
		if angle != wantAngles[k/2] || mirrored != (k%2 == 1) {
			t.Fatalf("AugmentSample(%d) = %g, %v", k, angle, mirrored)
		}
		// Counter-clockwise on screen (y down): up and to the left for angle > 0.
		th := angle * math.Pi / 180
		dx, dy := mx-c, my-c
		wx := c + dx*math.Cos(th) + dy*math.Sin(th)
		wy := c - dx*math.Sin(th) + dy*math.Cos(th)
		if mirrored {
			wx = float64(size) - wx
		}
		gx, gy := centroid(out[k*stride:(k+1)*stride], size)
		if math.Abs(gx-wx) > 0.3 || math.Abs(gy-wy) > 0.3 {
			t.Errorf("sample %d (angle %g, mirrored %v): marker at (%.2f, %.2f), want (%.2f, %.2f)", k, angle, mirrored, gx, gy, wx, wy)
		}
	}
	if !bytes.Equal(out[8*stride:9*stride], src) {
		t.Error("the rotation by 0 is not the original")
	}
}

func TestRotateFillsCornersFromEdges(t *testing.T) {
	// A uniform image stays uniform: no black or white corners.
	const size = 20
	src := bytes.Repeat([]uint8{30, 140, 70}, size*size)
	for _, img := range [][]uint8{augmentRGB(src, size)} {
		for i := 0; i < len(img); i += 3 {
			if img[i] != 30 || img[i+1] != 140 || img[i+2] != 70 {
				t.Fatalf("pixel %d = %v", i/3, img[i:i+3])
			}
		}
	}
}

func TestAugmentImage(t *testing.T) {
	// A non-square image with a transparent part: sizes are kept,
	// transparency becomes white, the mirror of angle 0 is a plain mirror.
	img := image.NewNRGBA(image.Rect(0, 0, 30, 20))
	for y := range 20 {
		for x := range 30 {
			img.SetNRGBA(x, y, color.NRGBA{uint8(8 * x), uint8(12 * y), 50, 255})
		}
	}
	img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})
	half := color.NRGBA{200, 100, 0, 128} // over white, as ToRGB makes it: (227, 177, 127)
	img.SetNRGBA(5, 5, half)
	out := Augment(img)
	if len(out) != SamplesPerPhoto {
		t.Fatalf("%d images", len(out))
	}
	for i, o := range out {
		if o.Bounds().Dx() != 30 || o.Bounds().Dy() != 20 {
			t.Fatalf("image %d is %v", i, o.Bounds())
		}
	}
	if angle, mirrored := AugmentSample(OriginalSample); angle != 0 || mirrored {
		t.Fatalf("OriginalSample %d is rotated by %g, mirrored %v", OriginalSample, angle, mirrored)
	}
	orig, mirror := out[OriginalSample], out[OriginalSample+1]
	if c := orig.At(5, 5); c != (color.NRGBA{227, 177, 127, 255}) {
		t.Errorf("half-transparent pixel = %v, want (227, 177, 127) as imageio.ToRGB makes it", c)
	}
	if c := color.NRGBAModel.Convert(orig.At(0, 0)).(color.NRGBA); c != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("transparent pixel = %v, want white", c)
	}
	for y := range 20 {
		for x := range 30 {
			if orig.At(x, y) != mirror.At(29-x, y) {
				t.Fatalf("(%d,%d): %v, mirror %v", x, y, orig.At(x, y), mirror.At(29-x, y))
			}
			if x > 0 && (x != 5 || y != 5) && orig.At(x, y) != img.At(x, y) {
				t.Fatalf("angle 0 changed pixel (%d,%d)", x, y)
			}
		}
	}
	// Square images go through the same conversion as training data.
	sq := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	for i := range sq.Pix {
		sq.Pix[i] = uint8(i * 3)
	}
	sqOut := Augment(sq)
	if got, want := imageio.ToRGB(sqOut[4], 10), augmentRGB(imageio.ToRGB(sq, 10), 10)[4*300:5*300]; !bytes.Equal(got, want) {
		t.Error("Augment and augmentInto disagree")
	}
}

func TestRandomAugment(t *testing.T) {
	const size, n = 20, 400
	stride := size * size * 3
	// Every pixel distinct per image, so each output is identifiable.
	src := make([]uint8, n*stride)
	for i := range n {
		for p := range size * size {
			src[i*stride+p*3] = uint8(p % size * 12)
			src[i*stride+p*3+1] = uint8(p / size * 12)
			src[i*stride+p*3+2] = uint8(i)
		}
	}
	batch := slices.Clone(src)
	RandomAugment(rand.New(rand.NewPCG(1, 2)), batch, n, size)
	again := slices.Clone(src)
	RandomAugment(rand.New(rand.NewPCG(1, 2)), again, n, size)
	if !bytes.Equal(batch, again) {
		t.Error("same seed gave different results")
	}
	other := slices.Clone(src)
	RandomAugment(rand.New(rand.NewPCG(3, 4)), other, n, size)
	if bytes.Equal(batch, other) {
		t.Error("different seeds gave the same results")
	}
	// Each output is a shift by at most size/10 of the input, mirrored or not.
	flips, shifts := 0, 0
	dxs, dys, diagonal := map[int]bool{}, map[int]bool{}, true
	tmp := make([]uint8, stride)
	for i := range n {
		in, got := src[i*stride:(i+1)*stride], batch[i*stride:(i+1)*stride]
		found := false
		for _, flip := range []bool{false, true} {
			for dy := -2; dy <= 2 && !found; dy++ {
				for dx := -2; dx <= 2 && !found; dx++ {
					base := slices.Clone(in)
					if flip {
						flipInto(base, size, size)
					}
					shiftInto(tmp, base, size, dx, dy)
					if bytes.Equal(tmp, got) {
						found = true
						dxs[dx], dys[dy] = true, true
						diagonal = diagonal && dx == dy
						if flip {
							flips++
						}
						if dx != 0 || dy != 0 {
							shifts++
						}
					}
				}
			}
		}
		if !found {
			t.Errorf("image %d is not a mirrored/shifted copy of its input", i)
		}
	}
	if flips < 2*n/5 || flips > 3*n/5 || shifts < n/2 {
		t.Errorf("%d of %d mirrored (want about half), %d shifted", flips, n, shifts)
	}
	// Every shift from -size/10 to +size/10 occurs, each way, and the two
	// ways independently.
	if len(dxs) != 5 || len(dys) != 5 || diagonal {
		t.Errorf("horizontal shifts %v, vertical shifts %v (diagonal only: %v), want each of -2..2", dxs, dys, diagonal)
	}
	// Images under 10 pixels are shifted too, by up to one pixel.
	const small = 8
	tiny := make([]uint8, n*small*small*3)
	for i := range tiny {
		tiny[i] = uint8(i * 7 % 251)
	}
	moved := slices.Clone(tiny)
	RandomAugment(rand.New(rand.NewPCG(1, 2)), moved, n, small)
	shifted := 0
	for i := range n {
		in, got := tiny[i*small*small*3:(i+1)*small*small*3], moved[i*small*small*3:(i+1)*small*small*3]
		mirror := slices.Clone(in)
		flipInto(mirror, small, small)
		if !bytes.Equal(got, in) && !bytes.Equal(got, mirror) {
			shifted++
		}
	}
	if shifted < n/2 {
		t.Errorf("%dx%d images: %d of %d shifted", small, small, shifted, n)
	}
	// Shifting moves content: pixel (5,5) of a shift by (2,1) came from (3,4).
	shiftInto(tmp, src[:stride], size, 2, 1)
	if got, want := tmp[(5*size+5)*3:(5*size+5)*3+3], src[(4*size+3)*3:(4*size+3)*3+3]; !bytes.Equal(got, want) {
		t.Errorf("shift: %v, want %v", got, want)
	}
}

// augmentRGB returns the SamplesPerPhoto samples augmentInto makes of one
// size×size HWC RGB image, concatenated.
func augmentRGB(pix []uint8, size int) []uint8 {
	out := make([]uint8, SamplesPerPhoto*size*size*3)
	augmentInto(out, pix, size, size)
	return out
}

// TestRotateRepeatsTheNearestEdge: the corners that a rotation uncovers take
// the colour of the nearest edge pixel, here a frame of one colour around a
// gradient, in every sample (the course's PIL left them black).
func TestRotateRepeatsTheNearestEdge(t *testing.T) {
	const size = 50
	frame := []uint8{200, 50, 10}
	src := make([]uint8, size*size*3)
	for y := range size {
		for x := range size {
			px := src[(y*size+x)*3 : (y*size+x)*3+3]
			if x == 0 || y == 0 || x == size-1 || y == size-1 {
				copy(px, frame)
			} else {
				px[0], px[1], px[2] = uint8(4*x), uint8(4*y), 100
			}
		}
	}
	out := augmentRGB(src, size)
	stride := size * size * 3
	for k := range SamplesPerPhoto {
		img := out[k*stride : (k+1)*stride]
		for _, c := range [][2]int{{0, 0}, {size - 1, 0}, {0, size - 1}, {size - 1, size - 1}} {
			i := (c[1]*size + c[0]) * 3
			if !bytes.Equal(img[i:i+3], frame) {
				angle, mirrored := AugmentSample(k)
				t.Errorf("sample %d (angle %g, mirrored %v): corner %v is %v, want the frame's %v", k, angle, mirrored, c, img[i:i+3], frame)
			}
		}
	}
}

// TestRotateAroundTheCentre: a spot at the centre of the image stays there
// in every rotation, for odd sizes as for even ones.
func TestRotateAroundTheCentre(t *testing.T) {
	for _, size := range []int{20, 21} {
		src := make([]uint8, size*size*3)
		lo, hi := size/2-1, (size-1)/2+1 // 2×2 or 3×3 pixels around the centre
		for y := lo; y <= hi; y++ {
			for x := lo; x <= hi; x++ {
				copy(src[(y*size+x)*3:], []uint8{255, 255, 255})
			}
		}
		out := augmentRGB(src, size)
		stride := size * size * 3
		c := float64(size) / 2
		for k := range SamplesPerPhoto {
			if gx, gy := centroid(out[k*stride:(k+1)*stride], size); math.Abs(gx-c) > 0.05 || math.Abs(gy-c) > 0.05 {
				angle, _ := AugmentSample(k)
				t.Errorf("size %d, sample %d (angle %g): spot at (%.3f, %.3f), want (%g, %g)", size, k, angle, gx, gy, c, c)
			}
		}
	}
}
