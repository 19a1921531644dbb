package train

import (
	"math"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// TestLegacyDecayIsKeras checks Keras' legacy decay: the update of
// iteration i (counted from 0) uses the learning rate lr / (1 + decay·i),
// as the optimiser's learning-rate variable shows after each step, and the
// optimiser does use it: with a huge decay, the weights stop moving after
// the first step.
func TestLegacyDecayIsKeras(t *testing.T) {
	ds := patternDataset(1, 11)
	per := testSize * testSize * 3
	images, labels := ds.Train.Images[:32*per], ds.Train.Labels[:32]
	run := func(decay float64, steps int, each func(step int, gctx *mlctx.Context)) {
		cfg := testConfig("")
		cfg.Decay = decay
		mcfg := cfg.Model
		mcfg.ImageSize, mcfg.NumClasses = testSize, len(ds.Meta.Classes)
		gctx := mlctx.New()
		if err := gctx.SetRNGStateFromSeed(1); err != nil {
			t.Fatal(err)
		}
		trainer := newTrainer(goBackend(t), gctx, cfg, mcfg)
		for step := 1; step <= steps; step++ {
			if _, _, err := trainStep(trainer, images, labels, testSize); err != nil {
				t.Fatal(err)
			}
			each(step, gctx)
		}
	}

	const lr, decay = 1e-3, 0.5
	run(decay, 4, func(step int, gctx *mlctx.Context) {
		v := gctx.GetVariableByScopeAndName(mlctx.RootScope+optimizers.Scope, optimizers.ParamLearningRate)
		if v == nil {
			t.Fatal("no learning-rate variable")
		}
		got := float64(v.MustValue().Value().(float32))
		want := lr / (1 + decay*float64(step-1))
		if math.Abs(got-want) > 1e-6*want {
			t.Errorf("step %d: learning rate %g, want Keras' %g / (1 + %g·%d) = %g", step, got, lr, decay, step-1, want)
		}
	})

	weights := func(gctx *mlctx.Context) []float32 {
		v := gctx.GetVariableByScopeAndName(mlctx.RootScope+model.Scope+"/dense2", "weights")
		w, err := tensors.CopyFlatData[float32](v.MustValue())
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	var first, last []float32
	run(1e9, 3, func(step int, gctx *mlctx.Context) {
		if step == 1 {
			first = weights(gctx)
		}
		last = weights(gctx)
	})
	moved := 0.0
	for i := range first {
		moved = max(moved, math.Abs(float64(last[i]-first[i])))
	}
	if len(first) == 0 || moved > 1e-7 {
		t.Errorf("decay 1e9: the weights moved by up to %g after the first step, want ≈ 0 (a learning rate of about 1e-12)", moved)
	}
}
