package dataset

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// HoldOut divides the samples of s into those to train on and those held out
// for validation, like Keras' validation_split, but stratified and by source
// photo: about fraction of each class's photos are held out (at least one
// when fraction > 0 and the class has two or more), and all samples of a
// photo (its augmented variants, see Files) fall on the same side, so that
// validation never sees a variant of a photo trained on. Without Files,
// every sample is its own photo. Which photos are held out depends only on
// s and seed. Both lists are sample indices in increasing order.
func (s *Split) HoldOut(fraction float64, seed uint64) (train, held []int) {
	type photo struct {
		samples []int
		label   int32
	}
	var photos []*photo
	byKey := map[string]*photo{}
	for i := range s.N {
		key := strconv.Itoa(i)
		if len(s.Files) == s.N {
			key = s.Files[i]
		}
		p := byKey[key]
		if p == nil {
			p = &photo{label: s.Labels[i]}
			byKey[key] = p
			photos = append(photos, p)
		}
		p.samples = append(p.samples, i)
	}
	byClass := map[int32][]*photo{}
	for _, p := range photos {
		byClass[p.label] = append(byClass[p.label], p)
	}
	for label, ps := range byClass {
		n := 0
		if fraction > 0 && len(ps) >= 2 {
			n = min(len(ps)-1, max(1, int(math.Round(fraction*float64(len(ps))))))
		}
		rng := rand.New(rand.NewPCG(seed, uint64(label)))
		for _, j := range rng.Perm(len(ps))[:n] {
			held = append(held, ps[j].samples...)
		}
	}
	slices.Sort(held)
	train = make([]int, 0, s.N-len(held))
	for i := range s.N {
		if _, found := slices.BinarySearch(held, i); !found {
			train = append(train, i)
		}
	}
	return train, held
}

// Subset returns a new split holding copies of the samples idx of s, in that order.
func (s *Split) Subset(idx []int) Split {
	out := Split{N: len(idx), Size: s.Size, Labels: make([]int32, len(idx)),
		Images: make([]uint8, 0, len(idx)*s.Size*s.Size*3)}
	if len(s.Files) == s.N {
		out.Files = make([]string, len(idx))
	}
	for j, i := range idx {
		out.Images = append(out.Images, s.Image(i)...)
		out.Labels[j] = s.Labels[i]
		if out.Files != nil {
			out.Files[j] = s.Files[i]
		}
	}
	return out
}
