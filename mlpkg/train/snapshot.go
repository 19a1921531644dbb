package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
	"github.com/animalcnn/animalcnn/mlpkg/internal/ckpt"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"
)

// stateFile, inside a snapshot folder, records where in training the snapshot was taken.
const stateFile = "state.json"

// state is the position of a snapshot in training: Epoch epochs are complete
// and Batch batches of the next one are done.
type state struct {
	Epoch int `json:"epoch"`
	Batch int `json:"batch"`
	// Done holds the training figures of those Batch batches, so that the
	// epoch, once resumed and finished, reports all its batches.
	Done batchFigures `json:"done"`
}

// batchFigures adds up the training loss and accuracy of an epoch's first
// Batches batches.
type batchFigures struct {
	Batches     int     `json:"batches,omitempty"`
	LossSum     float64 `json:"loss_sum,omitempty"`
	AccuracySum float64 `json:"accuracy_sum,omitempty"`
}

// saveSnapshot writes the variables of gctx as a GoMLX checkpoint in
// dir/name: all of them (weights, optimiser state, global step: what
// resuming needs) for last/, only the model's (what inference needs) for
// best/, which is never resumed from. It writes atomically: the checkpoint
// is written to a temporary folder that then replaces dir/name with two
// renames. A crash at any point leaves either the previous or the new
// snapshot (model.SnapshotDir also accepts "<name>.old", and prepareDir
// renames it back before a run resumes).
func saveSnapshot(gctx *mlctx.Context, dir, name string, st state) error {
	tmp, err := os.MkdirTemp(dir, "."+name+"-tmp-")
	if err == nil {
		err = os.Chmod(tmp, 0o755) // MkdirTemp makes 0700 folders; the files are 0644
	}
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp)
	// Uncompressed: gzip saves only 10 % of the size of trained float32
	// weights and took about 0.7 s per save, a sixth of an epoch on xla:cpu.
	// The handler only saves, but Done also makes it gctx's variable
	// loader, chained to the one before: put that one back, or every save
	// would add a handler to the chain.
	defer gctx.SetLoader(gctx.Loader())
	excluded := excludedVariables(gctx, name == model.BestDir)
	h, err := checkpoints.Build(gctx).Dir(tmp).Keep(1).WithCompression(checkpoints.BinUncompressed).
		ExcludeVars(excluded...).Done()
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", tmp, err)
	}
	if err := h.Save(); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", tmp, err)
	}
	if err := checkSaved(gctx, tmp, excluded); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", tmp, err)
	}
	b, err := json.Marshal(st)
	if err != nil { // NaN sums: the previous snapshot stays
		return fmt.Errorf("save checkpoint: %s: %w", stateFile, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, stateFile), b, 0o644); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	// GoMLX writes its files without flushing them: flush every file, then
	// the folder, before the renames publish it.
	if err := syncFiles(tmp); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	final, old := filepath.Join(dir, name), filepath.Join(dir, name+".old")
	// A crash between the renames of an earlier save left only
	// "<name>.old": put it back, so that it is not deleted below before the
	// new snapshot is in place.
	if err := restoreOld(dir, name); err != nil {
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := os.Rename(final, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := crashPoint("renamed "+name, st.Epoch); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return syncDir(dir)
}

// checkSaved checks that the GoMLX checkpoint just saved in dir lists every
// variable of gctx but those excluded. GoMLX's Handler.Save drops the error
// of a variable whose data it fails to write (a full disk) and leaves it out
// of the checkpoint's metadata: when that small file still fits, Save
// succeeds, and a run resumed from the checkpoint would start the missing
// variables afresh, without a word.
func checkSaved(gctx *mlctx.Context, dir string, excluded []*mlctx.Variable) error {
	base, err := ckpt.Latest(dir)
	if err != nil {
		return err
	}
	if base == "" {
		return errors.New("no checkpoint metadata file written")
	}
	saved, err := ckpt.ReadVariables(base)
	if err != nil {
		return err
	}
	written := map[string]bool{}
	for _, v := range saved {
		written[v.ParameterName] = true
	}
	skip := map[*mlctx.Variable]bool{}
	for _, v := range excluded {
		skip[v] = true
	}
	var missing []string
	for v := range gctx.IterVariables() {
		if !skip[v] && !written[v.ParameterName()] {
			missing = append(missing, v.ParameterName())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d variables were not written (%s first): a write to %s failed; is the disk full?",
			len(missing), missing[0], base+".bin")
	}
	return nil
}

// excludedVariables returns the variables of gctx a snapshot leaves out:
// the running metrics, and when modelOnly every variable outside the model's
// scope.
func excludedVariables(gctx *mlctx.Context, modelOnly bool) []*mlctx.Variable {
	vars := metricVariables(gctx)
	if modelOnly {
		prefix := mlctx.RootScope + model.Scope
		for v := range gctx.IterVariables() {
			if v.Scope() != prefix && !strings.HasPrefix(v.Scope(), prefix+mlctx.ScopeSeparator) {
				vars = append(vars, v)
			}
		}
	}
	return vars
}

// metricVariables returns the variables of gctx that hold running training
// metrics. They are left out of snapshots: each run creates its own (under a
// new unique name) and restarts them, so saved ones would only pile up.
func metricVariables(gctx *mlctx.Context) []*mlctx.Variable {
	var vars []*mlctx.Variable
	prefix := mlctx.RootScope + metrics.Scope
	for v := range gctx.IterVariables() {
		if v.Scope() == prefix || strings.HasPrefix(v.Scope(), prefix+mlctx.ScopeSeparator) {
			vars = append(vars, v)
		}
	}
	return vars
}

// syncFiles flushes the contents of every regular file directly in dir to disk.
func syncFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if err := atomicfile.Sync(files...); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// syncDir flushes a directory's entries to disk (best effort where unsupported).
func syncDir(dir string) error {
	if err := atomicfile.Sync(dir); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// loadSnapshot loads the checkpoint dir/name into gctx and returns the
// recorded training position (the start when there is no such checkpoint).
// Call it after prepareDir, which puts back a snapshot that a crash left
// under "<name>.old". The variables are loaded at once, not when a graph
// first asks for them, so a snapshot saved before any graph is built
// (Ctrl-C right after resuming) still holds all of them.
func loadSnapshot(gctx *mlctx.Context, dir, name string) (state, error) {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return state{}, nil
	}
	if _, err := ckpt.Load(p, checkpoints.Build(gctx).Dir(p).Keep(1).Immediate()); err != nil {
		return state{}, fmt.Errorf("resume from %s: %w", p, err)
	}
	st, ok, err := readState(dir, name)
	if err == nil && !ok {
		err = fmt.Errorf("%s has no %s", p, stateFile)
	}
	if err != nil {
		return state{}, fmt.Errorf("resume: %w", err)
	}
	return st, nil
}

// restoreOld renames dir/<name>.old back to dir/name when name is missing:
// the state a crash between saveSnapshot's two renames leaves.
func restoreOld(dir, name string) error {
	final := filepath.Join(dir, name)
	if _, err := os.Stat(final); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.Rename(final+".old", final); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore checkpoint: %w", err) // "rename <final>.old <final>: …"
	}
	return nil
}

// readState reads the training position recorded in the snapshot dir/name,
// or in dir/<name>.old when a crash between saveSnapshot's renames left only
// that; ok is false when there is no such snapshot. A negative epoch or
// batch (a damaged or edited file) is an error.
func readState(dir, name string) (st state, ok bool, err error) {
	path := filepath.Join(dir, name, stateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		path = filepath.Join(dir, name+".old", stateFile)
		b, err = os.ReadFile(path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err // it names the file
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, false, fmt.Errorf("read %s: %w", path, err)
	}
	if st.Epoch < 0 || st.Batch < 0 {
		return state{}, false, fmt.Errorf("read %s: epoch %d, batch %d: a position before the start (damaged or edited)", path, st.Epoch, st.Batch)
	}
	return st, true, nil
}

// ResumeError is the error Train returns when Config.CheckpointDir holds a
// run that it cannot resume with the Config given: a run on another dataset
// or architecture, one that resumes only with its own batch size, seed and
// validation fraction (they decide which images each step trains on), one
// made by an older version, one whose snapshot is ahead of its history, or
// one missing part of what Train writes (last/, or model.json). Train
// leaves that run as it is. Setting Config.Fresh starts a new run that replaces
// it; another CheckpointDir keeps it.
type ResumeError struct {
	// Dir is the checkpoint directory.
	Dir string
	// Reason says why, completing "<Dir> holds a run ", e.g. "that resumes
	// only with seed 1, not 2".
	Reason string
	// Advice says what to do about it. Train gives it in Config's terms
	// (Fresh, CheckpointDir); a program whose users set these otherwise
	// (the command line's flags, a notebook's settings) replaces it with
	// its own words before passing the error on.
	Advice string
}

// Error says which run cannot be resumed, why, and what to do about it.
func (e *ResumeError) Error() string {
	return fmt.Sprintf("train: %s holds a run %s: %s", e.Dir, e.Reason, e.Advice)
}

// newResumeError returns the ResumeError of the run in dir, advising in
// Config's terms.
func newResumeError(dir, reason string) *ResumeError {
	return &ResumeError{Dir: dir, Reason: reason,
		Advice: "set Config.Fresh to start a new run that replaces it, or choose another Config.CheckpointDir"}
}

// checkResume reports why the run recorded with hyperparameters hp (a
// checkpoint's model.json) cannot be resumed with cfg, or nil when it can:
// the settings that decide which images are trained on and in which batches
// (validation hold-out, seed, batch size) must not change, and a run of an
// older version (one that picked its best epoch on the test split, or
// trained with GoMLX's bias-corrected RMSProp) is not resumed. The error's
// text completes "… holds a run ", e.g. "that resumes only with seed 1, not
// 2" (Train returns it as a ResumeError's Reason).
func checkResume(hp map[string]any, cfg Config) error {
	if _, ok := hp["validation_fraction"]; !ok || hp["optimizer"] != optimizerName {
		return errOldRun
	}
	for _, c := range []struct {
		key, name string // in model.json, in words
		now       float64
	}{
		{"validation_fraction", "validation fraction", cfg.ValidationFraction},
		{"seed", "seed", float64(cfg.Seed)},
		{"batch_size", "batch size", float64(cfg.BatchSize)},
	} {
		if was, ok := hp[c.key].(float64); ok && was != c.now {
			return fmt.Errorf("that resumes only with %s %g, not %g", c.name, was, c.now)
		}
	}
	return nil
}

// errOldRun is checkResume's answer for a run of an older version.
var errOldRun = errors.New("made by an older version of this code (which picked the best epoch on the test split, or trained with another RMSprop)")

// resumableSettings are the settings a run may resume with changed (those
// that decide the images and batches may not: see checkResume), by their
// key in model.json and in words.
var resumableSettings = []struct{ key, name string }{
	{"learning_rate", "learning rate"}, {"rho", "rho"}, {"epsilon", "epsilon"}, {"decay", "decay"}, {"augment", "batch augmentation"},
	{"patience", "patience"},
}

// changedSettings lists, as "learning rate 0.0001 → 0.01", the resumable
// settings whose value in now differs from the one in was (a run's
// model.json, whose numbers are float64).
func changedSettings(was, now map[string]any) []string {
	var changed []string
	for _, s := range resumableSettings {
		a, b := fmt.Sprint(was[s.key]), fmt.Sprint(now[s.key])
		if _, recorded := was[s.key]; recorded && a != b {
			changed = append(changed, fmt.Sprintf("%s %s → %s", s.name, a, b))
		}
	}
	return changed
}

// startMeta returns the metadata for a run in dir: the existing one when dir
// holds a run on the same dataset and architecture with its last/ (resumed
// is then true), a new one when dir holds no saved weights. A run it cannot
// resume is a ResumeError, never overwritten.
func startMeta(dir string, cfg *Config, mcfg model.Config, ds *dataset.Dataset, backendName string) (meta *model.Meta, resumed bool, changed []string, err error) {
	mcfg.Formulation = "" // how the graph is computed is not part of the architecture
	old, err := model.LoadMeta(dir)
	hasLast, hasBest := isDir(filepath.Join(dir, model.LastDir)), isDir(filepath.Join(dir, model.BestDir))
	if err == nil && (hasLast || hasBest) {
		switch {
		case old.DatasetHash != ds.Meta.Hash:
			return nil, false, nil, newResumeError(dir, fmt.Sprintf("trained on another dataset (of %s, hash %.12s; this one: %s, hash %.12s)",
				strings.Join(old.Classes, ", "), old.DatasetHash, strings.Join(ds.Meta.Classes, ", "), ds.Meta.Hash))
		case old.Architecture == nil || *old.Architecture != mcfg:
			return nil, false, nil, newResumeError(dir, fmt.Sprintf("of another architecture (%s; this one: %s)", describeArchitecture(old.Architecture), describeArchitecture(&mcfg)))
		case ds.Meta.SamplesPerPhoto == dataset.SamplesPerPhoto && old.Hyperparameters["validation_samples"] != validationSamples:
			return nil, false, nil, newResumeError(dir, "made by an older version, whose validation measured every augmented variant of a photo, not only the photo itself")
		}
		if err := checkResume(old.Hyperparameters, *cfg); err != nil {
			return nil, false, nil, newResumeError(dir, err.Error())
		}
		if !hasLast {
			// Train saves last/ before best/: someone removed it.
			return nil, false, nil, newResumeError(dir, "whose "+model.LastDir+"/, the training state, is missing: its "+model.BestDir+
				"/ model still serves predictions, but training cannot go on from it")
		}
		changed := changedSettings(old.Hyperparameters, cfg.Hyperparameters())
		old.Hyperparameters = cfg.Hyperparameters()
		old.Backend = backendName
		return old, true, changed, nil
	}
	switch {
	case err == nil:
		// No weights saved yet (a crash in the first epoch): a new run
		// replaces it, whatever it was to train.
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, nil, err
	default:
		if _, err := model.SnapshotDir(dir); err == nil {
			return nil, false, nil, newResumeError(dir, "whose "+model.MetaFile+" is missing (a fresh start cut short, or a partial copy)")
		}
	}
	arch := mcfg
	meta = &model.Meta{
		ModelID:         model.NewID(dir, time.Now()),
		Classes:         ds.Meta.Classes,
		ImageSize:       ds.Meta.ImageSize,
		Normalization:   model.Normalization,
		Architecture:    &arch,
		Hyperparameters: cfg.Hyperparameters(),
		DatasetHash:     ds.Meta.Hash,
		Backend:         backendName,
		Created:         time.Now().UTC(),
	}
	if err := meta.Save(dir); err != nil {
		return nil, false, nil, err
	}
	return meta, false, nil, nil
}

// isDir reports whether path is a folder.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// describeArchitecture says what decides a model's variables, e.g. "50×50
// input, 3 classes, filters 32 and 64, dense 512, dropout 0.25 and 0.5".
func describeArchitecture(c *model.Config) string {
	if c == nil {
		return "not recorded"
	}
	return fmt.Sprintf("%d×%d input, %d classes, filters %d and %d, dense %d, dropout %g and %g",
		c.ImageSize, c.ImageSize, c.NumClasses, c.Filters1, c.Filters2, c.DenseUnits, c.ConvDropout, c.DenseDropout)
}
