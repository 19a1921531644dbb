package dataset

import (
	"bytes"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/animalcnn/animalcnn/mlpkg/internal/unionfind"
)

// HoldOut divides the samples of s into those to train on and those held out
// for validation, like Keras' validation_split, but stratified and by source
// photo: about fraction of each class's photos are held out (at least one
// when fraction > 0 and the class has two or more), and all samples of a
// photo (its augmented variants, see Files) fall on the same side, so that
// validation never sees a variant of a photo trained on. Without Files,
// every sample is its own photo. Samples with identical images are one
// photo too, whatever their Files say (as in a dataset in which one picture
// was used under two file names; Prepare now leaves such copies out), so
// that no image is both trained on and held out; such a photo counts in the
// class of its first sample. Which photos are held out depends only on s
// and seed. Both lists are sample indices in increasing order.
func (s *Split) HoldOut(fraction float64, seed uint64) (train, held []int) {
	type photo struct {
		samples []int
		label   int32
	}
	// Samples → photos by source file, then photos with a sample in common
	// merged (union-find on photo indices).
	var photos []*photo
	photoOf := make([]int, s.N)
	byKey := map[string]int{}
	for i := range s.N {
		key := strconv.Itoa(i)
		if len(s.Files) == s.N {
			key = s.Files[i]
		}
		j, ok := byKey[key]
		if !ok {
			j = len(photos)
			byKey[key] = j
			photos = append(photos, &photo{label: s.Labels[i]})
		}
		photos[j].samples = append(photos[j].samples, i)
		photoOf[i] = j
	}
	sets := unionfind.New(len(photos)) // each set named by its first photo
	for _, same := range s.identicalSamples() {
		sets.Union(photoOf[same[0]], photoOf[same[1]])
	}
	var groups []*photo // merged photos, in order of first sample
	for j, p := range photos {
		if r := sets.Find(j); r != j {
			photos[r].samples = append(photos[r].samples, p.samples...)
			continue
		}
		groups = append(groups, p)
	}
	byClass := map[int32][]*photo{}
	for _, p := range groups {
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

// identicalSamples returns pairs of sample indices {first, i}: for each
// sample i whose image equals that of an earlier sample, the first such
// sample. It returns nil when s holds no images of its Size.
func (s *Split) identicalSamples() [][2]int {
	stride := s.Size * s.Size * 3
	if stride == 0 || len(s.Images) != s.N*stride {
		return nil
	}
	seed := maphash.MakeSeed() // only to bucket: equality decides
	buckets := map[uint64][]int{}
	var pairs [][2]int
	for i := range s.N {
		img := s.Image(i)
		h := maphash.Bytes(seed, img)
		first := -1
		for _, j := range buckets[h] {
			if bytes.Equal(s.Image(j), img) {
				first = j
				break
			}
		}
		if first >= 0 {
			pairs = append(pairs, [2]int{first, i})
			continue
		}
		buckets[h] = append(buckets[h], i)
	}
	return pairs
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
