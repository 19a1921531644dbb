package dataset

import (
	"fmt"
	"slices"
	"testing"
)

// holdOutSplit has perClass photos of each of 3 classes, with copies
// samples per photo, image bytes equal to the sample index.
func holdOutSplit(perClass, copies int) *Split {
	s := &Split{Size: 1}
	for c := range 3 {
		for p := range perClass {
			for range copies {
				s.Labels = append(s.Labels, int32(c))
				s.Files = append(s.Files, fmt.Sprintf("c%d/p%d.jpg", c, p))
				s.Images = append(s.Images, byte(s.N), byte(s.N), byte(s.N))
				s.N++
			}
		}
	}
	return s
}

func TestHoldOut(t *testing.T) {
	s := holdOutSplit(20, 4)
	train, held := s.HoldOut(0.1, 7)
	if len(train)+len(held) != s.N {
		t.Fatalf("%d + %d samples, want %d", len(train), len(held), s.N)
	}
	heldPhotos := map[string]bool{}
	perClass := map[int32]int{}
	for _, i := range held {
		if !heldPhotos[s.Files[i]] {
			perClass[s.Labels[i]]++
		}
		heldPhotos[s.Files[i]] = true
	}
	for _, i := range train {
		if heldPhotos[s.Files[i]] {
			t.Fatalf("photo %s is both trained on and held out", s.Files[i])
		}
	}
	for c := range int32(3) {
		if perClass[c] != 2 {
			t.Errorf("class %d: %d photos held out, want 2 (10 %% of 20)", c, perClass[c])
		}
	}
	if !slices.IsSorted(train) || !slices.IsSorted(held) {
		t.Error("indices not in increasing order")
	}
	// Same seed, same hold-out; another seed, another.
	if t2, h2 := s.HoldOut(0.1, 7); !slices.Equal(t2, train) || !slices.Equal(h2, held) {
		t.Error("HoldOut is not repeatable")
	}
	if _, h3 := s.HoldOut(0.1, 8); slices.Equal(h3, held) {
		t.Error("another seed held out the same photos")
	}

	// Nothing held out at 0; one photo of a two-photo class at any fraction;
	// never a whole class.
	if train, held := s.HoldOut(0, 7); len(held) != 0 || len(train) != s.N {
		t.Errorf("fraction 0 held out %d samples", len(held))
	}
	small := holdOutSplit(2, 1)
	if _, held := small.HoldOut(0.01, 1); len(held) != 3 {
		t.Errorf("2 photos per class, fraction 0.01: %d held out, want 1 per class", len(held))
	}
	if _, held := small.HoldOut(0.9, 1); len(held) != 3 {
		t.Errorf("2 photos per class, fraction 0.9: %d held out, want 1 per class", len(held))
	}

	// The nearest whole number of photos: 1.4 is 1, 1.6 is 2.
	ten := holdOutSplit(10, 1)
	for _, c := range []struct {
		fraction float64
		want     int
	}{{0.14, 1}, {0.16, 2}} {
		if _, held := ten.HoldOut(c.fraction, 1); len(held) != 3*c.want {
			t.Errorf("10 photos per class, fraction %g: %d held out, want %d per class", c.fraction, len(held), c.want)
		}
	}

	// Without file names every sample is its own photo.
	s.Files = nil
	if _, held := s.HoldOut(0.1, 7); len(held) != 3*8 {
		t.Errorf("without files: %d held out, want 8 per class (10 %% of 80)", len(held))
	}
}

func TestSubset(t *testing.T) {
	s := holdOutSplit(2, 2)
	sub := s.Subset([]int{5, 1})
	if sub.N != 2 || sub.Size != 1 || !slices.Equal(sub.Images, []byte{5, 5, 5, 1, 1, 1}) ||
		!slices.Equal(sub.Labels, []int32{1, 0}) || !slices.Equal(sub.Files, []string{"c1/p0.jpg", "c0/p0.jpg"}) {
		t.Errorf("Subset: %+v", sub)
	}
	sub.Images[0] = 99
	if s.Images[15] == 99 {
		t.Error("Subset shares its images with the split")
	}
}
