package model

import (
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/internal/ckpt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// Layout of a checkpoint directory (written by package train):
//
//	<dir>/model.json    Meta
//	<dir>/history.csv   per-epoch metrics
//	<dir>/last/         GoMLX checkpoint of the latest step (with optimiser state)
//	<dir>/best/         GoMLX checkpoint of the epoch with the best validation
//	                    accuracy (the last epoch when nothing was held out):
//	                    the model's variables only (older versions also saved
//	                    the optimiser state there; Load ignores it)
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
// model's weights in SnapshotDir (only those: an optimiser state saved with
// them is dropped), into a new GoMLX context. It checks that the weights
// are those of the architecture model.json describes, and returns a ready
// Classifier on backend.
func Load(dir string, backend backends.Backend) (*Classifier, *Meta, error) {
	meta, err := LoadMeta(dir)
	if err != nil {
		return nil, nil, err
	}
	snap, err := SnapshotDir(dir)
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(filepath.Base(snap), LastDir) {
		slog.Warn("the checkpoint has no best/ (a training stopped in its first epoch, or best/ was removed): using the weights in last/, those of the moment it stopped",
			"dir", dir, "weights", filepath.Base(snap)+"/")
	}
	cfg, err := meta.ModelConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	cfg.Formulation = FormulationFor(backend)
	ctx, err := loadModelVariables(snap)
	if err != nil {
		return nil, nil, err
	}
	if err := checkVariables(backend, ctx, cfg); err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s does not match the architecture in %s: %w", snap, filepath.Join(dir, MetaFile), err)
	}
	c, err := NewClassifier(backend, ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, meta, nil
}

// loadModelVariables reads the GoMLX checkpoint in snap and returns a new
// context holding its variables under /Scope, the only ones inference
// needs. The others (optimiser state, global step) are released at once.
func loadModelVariables(snap string) (*context.Context, error) {
	// The handler loads every variable into its own map and is attached
	// to a throwaway context; only the model's variables move to ctx.
	h, err := ckpt.Load(snap, checkpoints.Load(context.New()).Dir(snap))
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", snap, err)
	}
	loaded := h.LoadedVariables()
	names := slices.Sorted(maps.Keys(loaded))
	ctx := context.New()
	for _, name := range names {
		value := loaded[name]
		scope, varName := context.VariableScopeAndNameFromParameterName(name)
		if !inModel(scope) {
			value.FinalizeAll() //nolint:errcheck // frees it now rather than at the next GC
			continue
		}
		ctx.InAbsPath(scope).VariableWithValue(varName, value)
	}
	return ctx, nil
}

// checkVariables reports the first difference between the model variables
// in ctx and those the architecture cfg has (found by building its graph,
// never run, for one image on backend): one missing, one too many, or one
// of another shape.
func checkVariables(backend backends.Backend, ctx *context.Context, cfg Config) error {
	want := context.New()
	g := graph.NewGraph(backend, "variable_shapes")
	defer g.Finalize()
	if err := func() (err error) {
		defer func() { // GoMLX reports graph-building errors by panicking
			if r := recover(); r != nil {
				err = fmt.Errorf("model: build the architecture: %v", r)
			}
		}()
		x := graph.Parameter(g, "images", shapes.Make(dtypes.Uint8, 1, cfg.ImageSize, cfg.ImageSize, 3))
		cfg.Logits(want.In(Scope), x)
		return nil
	}(); err != nil {
		return err
	}
	expected := map[string]shapes.Shape{}
	for v := range want.IterVariables() {
		if inModel(v.Scope()) {
			expected[v.ScopeAndName()] = v.Shape()
		}
	}
	have := map[string]bool{}
	for v := range ctx.IterVariables() {
		if !inModel(v.Scope()) {
			continue
		}
		name := v.ScopeAndName()
		have[name] = true
		s, ok := expected[name]
		switch {
		case !ok:
			return fmt.Errorf("it has a variable %s that the architecture lacks", name)
		case !s.Equal(v.Shape()):
			return fmt.Errorf("variable %s is %s, the architecture's is %s", name, v.Shape(), s)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(expected)) {
		if !have[name] {
			return fmt.Errorf("it lacks the variable %s", name)
		}
	}
	return nil
}

// inModel reports whether a variable scope is the model's (Scope) or below it.
func inModel(scope string) bool {
	prefix := context.RootScope + Scope
	return scope == prefix || strings.HasPrefix(scope, prefix+context.ScopeSeparator)
}
