package train

import (
	"bytes"
	"testing"
)

// With BatchAugment, each batch is augmented (its pixels differ from the
// dataset's), by a random stream of its own: the same batch loaded again
// (a resumed run) comes out the same, the same images as another batch, or
// in another epoch, come out otherwise. Without it, batches are the
// dataset's pixels.
func TestLoadBatchAugments(t *testing.T) {
	ds := patternDataset(1, 30)
	load := func(augment bool, order []int, epoch, b int) []uint8 {
		t.Helper()
		cfg := testConfig(t.TempDir())
		cfg.BatchAugment = augment
		r, err := newRun(cfg, ds, Options{Backend: goBackend(t)})
		if err != nil {
			t.Fatal(err)
		}
		r.batchImages = make([]uint8, cfg.BatchSize*r.imageBytes())
		r.batchLabels = make([]int32, cfg.BatchSize)
		r.loadBatch(order, epoch, b)
		return r.batchImages
	}
	cfg := testConfig(t.TempDir())
	r, err := newRun(cfg, ds, Options{Backend: goBackend(t)})
	if err != nil {
		t.Fatal(err)
	}
	n, bs := len(r.trainIdx), cfg.BatchSize
	order := make([]int, n)
	shifted := make([]int, n) // batch 1 of shifted holds batch 0 of order
	for i := range order {
		order[i] = i
		shifted[(i+bs)%n] = i
	}

	plain := load(false, order, 0, 0)
	var want []uint8
	for i := range bs {
		want = append(want, ds.Train.Image(r.trainIdx[i])...)
	}
	if !bytes.Equal(plain, want) {
		t.Fatal("without augmentation, the batch is not the dataset's pixels")
	}
	augmented := load(true, order, 0, 0)
	if bytes.Equal(augmented, plain) {
		t.Error("BatchAugment left the batch as it was")
	}
	if !bytes.Equal(load(true, order, 0, 0), augmented) {
		t.Error("the same batch loaded again is augmented otherwise: a resumed run would differ")
	}
	if bytes.Equal(load(true, shifted, 0, 1), augmented) {
		t.Error("the same images as batch 1 are augmented as they were as batch 0")
	}
	if bytes.Equal(load(true, order, 1, 0), augmented) {
		t.Error("batch 0 is augmented the same way in epochs 1 and 2")
	}
}
