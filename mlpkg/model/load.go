package model

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// Layout of a checkpoint directory (written by package train):
//
//	<dir>/model.json    Meta
//	<dir>/history.csv   per-epoch metrics
//	<dir>/last/         GoMLX checkpoint of the latest step (with optimiser state)
//	<dir>/best/         GoMLX checkpoint of the epoch with the best validation
//	                    accuracy (the last epoch when nothing was held out)
const (
	LastDir = "last"
	BestDir = "best"
)

// SnapshotDir returns the GoMLX checkpoint folder to load for inference from a
// checkpoint directory: best/ when present, else last/. A crash between the
// two renames of an atomic save can leave only "<name>.old"; it is used then.
func SnapshotDir(dir string) (string, error) {
	for _, name := range []string{BestDir, BestDir + ".old", LastDir, LastDir + ".old"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("checkpoint %s has no saved weights (neither %s/ nor %s/)", dir, BestDir, LastDir)
}

// Load reads a checkpoint directory for inference: its metadata and the
// weights of SnapshotDir, into a new GoMLX context. It returns a ready
// Classifier on backend.
func Load(backend backends.Backend, dir string) (*Classifier, *Meta, error) {
	meta, err := LoadMeta(dir)
	if err != nil {
		return nil, nil, err
	}
	snap, err := SnapshotDir(dir)
	if err != nil {
		return nil, nil, err
	}
	cfg := DefaultConfig(len(meta.Classes))
	if err := meta.ModelConfig(&cfg); err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	cfg.Formulation = FormulationFor(backend)
	ctx := context.New()
	if _, err := checkpoints.Load(ctx).Dir(snap).Immediate().Done(); err != nil {
		return nil, nil, fmt.Errorf("load checkpoint %s: %w", snap, err)
	}
	c, err := NewClassifier(backend, ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, meta, nil
}
