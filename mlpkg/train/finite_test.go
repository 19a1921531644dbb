package train

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// With nothing held out for validation and one batch per epoch, the only
// loss Train sees is the one computed before the update: weights that blow
// up on that update must still not be saved, and the error is ErrDiverged.
func TestTrainDivergesOnLastStepWithoutValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ds := patternDataset(1, 11) // 33 images: one batch of 32 per epoch
	for _, lr := range []float64{1e38, 1e30} {
		cfg := testConfig(t.TempDir())
		cfg.Epochs, cfg.ValidationFraction, cfg.LearningRate, cfg.Decay = 1, 0, lr, 0
		_, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)})
		if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "no weights were saved") {
			t.Errorf("lr %g: err %v, want ErrDiverged and nothing saved", lr, err)
		}
		if snap, err := model.SnapshotDir(cfg.CheckpointDir); err == nil {
			t.Errorf("lr %g: broken weights saved in %s", lr, snap)
		}
	}

	// Nor when the run is interrupted right after the step that broke them.
	ds = patternDataset(1, 22) // 66 images: two batches per epoch
	cfg := testConfig(t.TempDir())
	cfg.Epochs, cfg.ValidationFraction, cfg.LearningRate, cfg.Decay = 1, 0, 1e30, 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Train(ctx, cfg, ds, Options{Backend: goBackend(t), OnStep: func(Step) { cancel() }})
	if !errors.Is(err, ErrDiverged) {
		t.Errorf("interrupted after the step that broke the weights: err %v, want ErrDiverged", err)
	}
	if snap, err := model.SnapshotDir(cfg.CheckpointDir); err == nil {
		t.Errorf("interrupted: broken weights saved in %s", snap)
	}
}
