package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// The tests below were found by mutation testing: each fails when the
// behaviour it names is removed.

// With the validation labels rotated, the better the model learns the worse
// it validates: best/ must hold an early epoch, not the last, and keep it
// when a resumed run adds a worse one.
func TestBestEpochIsNotTheLast(t *testing.T) {
	ds := patternDataset(1, 60)
	cfg := testConfig(t.TempDir())
	cfg.Epochs, cfg.BatchSize = 3, 16
	_, valIdx := ds.Train.HoldOut(cfg.ValidationFraction, holdOutSeed(cfg.Seed))
	for _, i := range valIdx {
		ds.Train.Labels[i] = (ds.Train.Labels[i] + 1) % 3
	}
	ds.Meta.Hash = dataset.HashArrays(ds.Meta.Classes, testSize, &ds.Train, &ds.Test)
	var lines []string
	res, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t), OnEpoch: func(e Epoch) { lines = append(lines, e.Line(cfg.Epochs)) }})
	if err != nil {
		t.Fatal(err)
	}
	// NewBest marks each epoch that beat all before it, the last so marked
	// being the best; ReadHistory works out the same; the progress line
	// shows it.
	disk, err := ReadHistory(cfg.CheckpointDir)
	if err != nil || len(disk) != len(res.History) {
		t.Fatalf("ReadHistory: %d epochs (%v), want %d", len(disk), err, len(res.History))
	}
	var bestSoFar Epoch
	for i, e := range res.History {
		want := i == 0 || better(e, bestSoFar)
		if want {
			bestSoFar = e
		}
		if e.NewBest != want || disk[i].NewBest != want || strings.HasSuffix(lines[i], "← best") != want {
			t.Errorf("epoch %d: NewBest %v, read back %v, line %q; want %v", e.Epoch, e.NewBest, disk[i].NewBest, lines[i], want)
		}
	}
	if bestSoFar.Epoch != res.Best.Epoch {
		t.Errorf("the last epoch marked NewBest is %d, Best %d", bestSoFar.Epoch, res.Best.Epoch)
	}
	for _, e := range res.History {
		if lr := cfg.LearningRate / (1 + cfg.Decay*float64(e.Step)); e.LearningRate != lr || cfg.Decay == 0 {
			t.Errorf("epoch %d: learning rate %g, want %g (Keras' decay at step %d)", e.Epoch, e.LearningRate, lr, e.Step)
		}
	}
	want, _ := BestEpoch(res.History)
	if want.Epoch == cfg.Epochs {
		t.Fatalf("setup: the last epoch is the best (%+v); the test would prove nothing", res.History)
	}
	st, _, err := readState(cfg.CheckpointDir, model.BestDir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Best.Epoch != want.Epoch || st.Epoch != want.Epoch {
		t.Errorf("best epoch %d, best/ holds %d, want %d", res.Best.Epoch, st.Epoch, want.Epoch)
	}
	if m := res.Meta.Metrics; m["epochs"] != 3 || m["best_epoch"] != float64(want.Epoch) {
		t.Errorf("metrics %v, want 3 epochs, best %d", m, want.Epoch)
	}
	if dir, err := model.SnapshotDir(cfg.CheckpointDir); err != nil || filepath.Base(dir) != model.BestDir {
		t.Errorf("the model loaded is %s (%v), want best/", dir, err)
	}
	// One more epoch: best/ moves only if the new one is better.
	cfg.Epochs = 4
	res, err = Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)})
	if err != nil {
		t.Fatal(err)
	}
	want, _ = BestEpoch(res.History)
	if st, _, _ = readState(cfg.CheckpointDir, model.BestDir); res.Best.Epoch != want.Epoch || st.Epoch != want.Epoch {
		t.Errorf("after resuming: best epoch %d, best/ holds %d, want %d", res.Best.Epoch, st.Epoch, want.Epoch)
	}
	if meta, err := model.LoadMeta(cfg.CheckpointDir); err != nil || meta.Hyperparameters["epochs"] != float64(4) {
		t.Errorf("resumed model.json hyperparameters %v (%v), want epochs 4", meta.Hyperparameters, err)
	}
}

// Each image of the training indices is in at most one batch of an epoch.
func TestBatchesCoverTheEpoch(t *testing.T) {
	ds := patternDataset(1, 30)
	for i := range ds.Train.N { // pixel 0 of image i is i
		ds.Train.Image(i)[0] = uint8(i)
	}
	cfg := testConfig("")
	cfg.BatchSize = 8
	trainIdx := make([]int, ds.Train.N)
	for i := range trainIdx {
		trainIdx[i] = i
	}
	r := &run{cfg: cfg, ds: ds, trainIdx: trainIdx, batchImages: make([]uint8, 8*testSize*testSize*3), batchLabels: make([]int32, 8)}
	seen := map[uint8]bool{}
	per := testSize * testSize * 3
	for b := range ds.Train.N / 8 {
		r.loadBatch(trainIdx, 0, b)
		for i := range 8 {
			seen[r.batchImages[i*per]] = true
		}
	}
	if len(seen) != ds.Train.N/8*8 {
		t.Errorf("an epoch saw %d distinct images, want %d", len(seen), ds.Train.N/8*8)
	}
}

// A run resumed at an epoch boundary after a worse last epoch keeps the
// better best/ (Ctrl-C during the saves, or more epochs asked for).
func TestRecoverBestKeepsTheBetter(t *testing.T) {
	dir := t.TempDir()
	gctx := mlctx.New()
	gctx.VariableWithValue("w", []float32{1, 2})
	hist := []Epoch{{Epoch: 1, Validated: true, ValAccuracy: 0.9, ValLoss: 0.2}, {Epoch: 2, Validated: true, ValAccuracy: 0.5, ValLoss: 0.9}}
	if err := writeHistory(dir, hist); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name  string
		epoch int
	}{{model.BestDir, 1}, {model.LastDir, 2}} {
		if err := saveSnapshot(gctx, dir, s.name, state{Epoch: s.epoch}); err != nil {
			t.Fatal(err)
		}
	}
	r := &run{dir: dir, gctx: gctx, st: state{Epoch: 2}, res: &Result{History: hist}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := r.recoverBest(); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := readState(dir, model.BestDir); r.res.Best.Epoch != 1 || st.Epoch != 1 {
		t.Errorf("best epoch %d, best/ holds %d, want 1", r.res.Best.Epoch, st.Epoch)
	}
}

// A checkpoint of another architecture, or whose history.csv is shorter
// than its snapshot, is refused with the way out, not a shape error or a
// panic: a ResumeError that says it in Config's terms.
func TestResumeRefusals(t *testing.T) {
	ds := patternDataset(1, 30)
	cfg := testConfig(t.TempDir())
	cfg.Epochs = 1
	if _, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{model.LastDir, model.BestDir} {
		if st, err := os.Stat(filepath.Join(cfg.CheckpointDir, d)); err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("%s/: %v (%v), want a 0755 folder: another user serves the model", d, st.Mode().Perm(), err)
		}
	}
	wider := cfg
	wider.Epochs = 2
	wider.Model.DenseUnits *= 2
	_, err := Train(context.Background(), wider, ds, Options{Backend: goBackend(t)})
	if !isResumeError(err, cfg.CheckpointDir) || !strings.Contains(err.Error(), fmt.Sprintf("of another architecture (18×18 input, 3 classes, filters %d and %d, dense %d,", cfg.Model.Filters1, cfg.Model.Filters2, cfg.Model.DenseUnits)) ||
		!strings.Contains(err.Error(), fmt.Sprintf("; this one: 18×18 input, 3 classes, filters %d and %d, dense %d,", cfg.Model.Filters1, cfg.Model.Filters2, wider.Model.DenseUnits)) {
		t.Errorf("another architecture: %v, want a ResumeError saying which, and Config.Fresh", err)
	}
	other := patternDataset(2, 30)
	_, err = Train(context.Background(), wider, other, Options{Backend: goBackend(t)})
	if !isResumeError(err, cfg.CheckpointDir) || !strings.Contains(err.Error(), fmt.Sprintf("trained on another dataset (of horizontal, vertical, square, hash %.12s; this one: horizontal, vertical, square, hash %.12s)", ds.Meta.Hash, other.Meta.Hash)) {
		t.Errorf("another dataset: %v, want a ResumeError saying which, and Config.Fresh", err)
	}
	if err := os.Remove(filepath.Join(cfg.CheckpointDir, HistoryFile)); err != nil {
		t.Fatal(err)
	}
	cfg.Epochs = 2
	if _, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)}); !isResumeError(err, cfg.CheckpointDir) || !strings.Contains(err.Error(), "so it cannot be resumed exactly") {
		t.Errorf("history shorter than last/: %v, want a ResumeError saying Config.Fresh", err)
	}
}

// A run missing part of what Train writes (last/ removed by hand, or a
// fresh start killed after it removed model.json) is refused, its files left
// as they are, rather than started again over what remains; Fresh replaces it
// and says so (Start.Replaced).
func TestIncompleteRunRefused(t *testing.T) {
	ds := patternDataset(1, 30)
	for _, c := range []struct {
		remove, want string
	}{
		{model.LastDir, "whose last/, the training state, is missing"},
		{model.MetaFile, "whose model.json is missing"},
	} {
		cfg := testConfig(t.TempDir())
		cfg.Epochs = 1
		if _, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)}); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Join(cfg.CheckpointDir, c.remove)); err != nil {
			t.Fatal(err)
		}
		cfg.Epochs = 2
		_, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)})
		if !isResumeError(err, cfg.CheckpointDir) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("without %s: %v, want a ResumeError saying %q", c.remove, err, c.want)
		}
		if _, err := model.SnapshotDir(cfg.CheckpointDir); err != nil {
			t.Errorf("without %s: the weights left were removed: %v", c.remove, err)
		}
		cfg.Fresh = true
		var start Start
		res, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t), OnStart: func(s Start) { start = s }})
		if err != nil || len(res.History) != 2 {
			t.Errorf("without %s, fresh: %v, %d epochs", c.remove, err, len(res.History))
		}
		if !start.Replaced || start.Resumed {
			t.Errorf("without %s, fresh: Start %+v, want Replaced (the run it deleted) and not Resumed", c.remove, start)
		}
	}
	// Fresh in a folder without a run replaces nothing.
	cfg := testConfig(t.TempDir())
	cfg.Epochs, cfg.Fresh = 1, true
	var start Start
	if _, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t), OnStart: func(s Start) { start = s }}); err != nil {
		t.Fatal(err)
	}
	if start.Replaced {
		t.Error("fresh in an empty folder: Start.Replaced set")
	}
}

// A folder holding only the model.json of a run killed before it saved any
// weights is no run to keep: a new run replaces it, whatever it was to
// train (here, another dataset).
func TestRunWithoutWeightsReplaced(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Epochs = 1
	if _, err := Train(context.Background(), cfg, patternDataset(1, 30), Options{Backend: goBackend(t)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{model.LastDir, model.BestDir, HistoryFile} {
		if err := os.RemoveAll(filepath.Join(cfg.CheckpointDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	other := patternDataset(2, 30)
	other.Meta.Hash = "another dataset"
	var start Start
	res, err := Train(context.Background(), cfg, other, Options{Backend: goBackend(t), OnStart: func(s Start) { start = s }})
	if err != nil || start.Resumed || len(res.History) != 1 || res.Meta.DatasetHash != "another dataset" {
		t.Errorf("a model.json without weights, another dataset: %v, Start %+v, want a new run", err, start)
	}
}

// isResumeError reports whether err is Train's refusal to resume the run in
// dir, advising in Config's terms, with no command-line flag in its text.
func isResumeError(err error, dir string) bool {
	var re *ResumeError
	return errors.As(err, &re) && re.Dir == dir && strings.Contains(err.Error(), "set Config.Fresh") &&
		!strings.Contains(err.Error(), " -")
}

// Each epoch visits every sample once, in an order set by the seed and the
// epoch alone.
func TestEpochOrder(t *testing.T) {
	a, again, next := epochOrder(1, 0, 50), epochOrder(1, 0, 50), epochOrder(1, 1, 50)
	sorted := slices.Sorted(slices.Values(a))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("epoch order %v is not a permutation of 0..49", a)
		}
	}
	if !slices.Equal(a, again) {
		t.Error("the same seed and epoch give another order: a resumed epoch would see other batches")
	}
	if slices.Equal(a, next) {
		t.Error("epochs 0 and 1 visit the samples in the same order")
	}
	if slices.Equal(a, epochOrder(2, 0, 50)) {
		t.Error("seeds 1 and 2 give the same order")
	}
}

// model.json's figures are those of the run only when they count its
// epochs, name its best epoch and hold the test figures.
func TestMetricsCurrent(t *testing.T) {
	history := []Epoch{{Epoch: 1}, {Epoch: 2}, {Epoch: 3}}
	best := Epoch{Epoch: 2}
	current := map[string]float64{"epochs": 3, "best_epoch": 2, "test_accuracy": 0.9}
	if !metricsCurrent(current, history, best) {
		t.Error("current figures taken for stale ones")
	}
	for name, m := range map[string]map[string]float64{
		"fewer epochs":     {"epochs": 2, "best_epoch": 2, "test_accuracy": 0.9},
		"other best epoch": {"epochs": 3, "best_epoch": 1, "test_accuracy": 0.9},
		"not tested":       {"epochs": 3, "best_epoch": 2},
	} {
		if metricsCurrent(m, history, best) {
			t.Errorf("%s: stale figures taken for current ones", name)
		}
	}
}

// A dataset of augmented samples that does not say which photo each comes
// from is refused: its variants could fall on both sides of the validation
// hold-out.
func TestAugmentedSamplesNeedTheirPhotos(t *testing.T) {
	ds := patternDataset(1, 30)
	ds.Meta.SamplesPerPhoto = 2
	ds.Train.Files = nil
	if _, err := Train(context.Background(), testConfig(t.TempDir()), ds, Options{Backend: goBackend(t)}); err == nil || !strings.Contains(err.Error(), "prepare it again") {
		t.Errorf("augmented samples without their photos: %v, want a refusal", err)
	}
}

// Of an augmented dataset, validation measures each held-out photo's
// original sample, as the test split holds it; none of the photo's samples
// is trained on.
func TestValidationOnOriginalSamples(t *testing.T) {
	ds := augmentedDataset(30)
	cfg := testConfig(t.TempDir())
	r, err := newRun(cfg, ds, Options{Backend: goBackend(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, held := ds.Train.HoldOut(cfg.ValidationFraction, holdOutSeed(cfg.Seed))
	heldPhotos := len(held) / dataset.SamplesPerPhoto
	if heldPhotos == 0 || r.val.N != heldPhotos {
		t.Fatalf("%d validation samples of %d photos held out, want one per photo", r.val.N, heldPhotos)
	}
	if len(r.trainIdx) != ds.Train.N-len(held) {
		t.Errorf("%d training samples, want %d: the %d samples of the held-out photos left out", len(r.trainIdx), ds.Train.N-len(held), len(held))
	}
	r.res = &Result{} // start reads the history's best epoch
	if s := r.start(); s.SamplesPerPhoto != dataset.SamplesPerPhoto || s.Validation != heldPhotos {
		t.Errorf("Start %+v, want %d samples per photo and %d photos held out", s, dataset.SamplesPerPhoto, heldPhotos)
	}
	for j, f := range r.val.Files {
		img := r.val.Image(j)
		if k := img[len(img)-1]; k != dataset.OriginalSample {
			t.Errorf("validation sample %d (%s) is the photo's sample %d, want its original, %d", j, f, k, dataset.OriginalSample)
		}
		i := slices.Index(ds.Train.Files, f) + dataset.OriginalSample
		if slices.Contains(r.trainIdx, i) {
			t.Errorf("held-out photo %s is trained on", f)
		}
	}
}

// A run resumed with another learning rate or batch augmentation goes on
// with them, and says so in Start.Changed; model.json records the new
// values, history.csv the rate of each epoch, and the optimiser's variable
// in last/ holds the new rate (without decay too, which sets it each step).
func TestResumeWithChangedSettings(t *testing.T) {
	ds := patternDataset(1, 30)
	cfg := testConfig(t.TempDir())
	cfg.Epochs, cfg.Decay = 1, 0
	if _, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)}); err != nil {
		t.Fatal(err)
	}
	more := cfg
	more.Epochs, more.LearningRate, more.BatchAugment = 2, cfg.LearningRate*10, !cfg.BatchAugment
	var start Start
	res, err := Train(context.Background(), more, ds, Options{Backend: goBackend(t), OnStart: func(s Start) { start = s }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("learning rate %v → %v", cfg.LearningRate, more.LearningRate),
		fmt.Sprintf("batch augmentation %v → %v", cfg.BatchAugment, more.BatchAugment)}
	if !start.Resumed || !slices.Equal(start.Changed, want) {
		t.Errorf("Start %+v, want resumed with changes %q", start, want)
	}
	if lr := res.Meta.Hyperparameters["learning_rate"]; lr != more.LearningRate {
		t.Errorf("model.json learning rate %v, want the new %v", lr, more.LearningRate)
	}
	if h := res.History; len(h) != 2 || h[0].LearningRate != cfg.LearningRate || h[1].LearningRate != more.LearningRate {
		t.Errorf("history learning rates %v, want the old one then the new one", h)
	}
	gctx := mlctx.New()
	if _, err := loadSnapshot(gctx, cfg.CheckpointDir, model.LastDir); err != nil {
		t.Fatal(err)
	}
	v := gctx.GetVariableByScopeAndName(mlctx.RootScope+optimizers.Scope, optimizers.ParamLearningRate)
	if v == nil {
		t.Fatal("no learning-rate variable in last/")
	}
	if got := float64(v.MustValue().Value().(float32)); math.Abs(got-more.LearningRate) > 1e-6*more.LearningRate {
		t.Errorf("the optimiser's learning rate after the resumed epoch is %g, want the new %g", got, more.LearningRate)
	}
	var again Start
	if _, err := Train(context.Background(), more, ds, Options{Backend: goBackend(t), OnStart: func(s Start) { again = s }}); err != nil || again.Changed != nil {
		t.Errorf("the same settings again: changes %q (%v), want none", again.Changed, err)
	}
}

// augmentedDataset returns patternDataset's photos (photos/3 per class),
// each as dataset.SamplesPerPhoto training samples as an augmented Prepare
// lays them out; the last byte of each sample is its index among its
// photo's samples.
func augmentedDataset(photos int) *dataset.Dataset {
	base := patternDataset(1, photos/3)
	ds := &dataset.Dataset{Test: base.Test, Meta: base.Meta}
	ds.Meta.SamplesPerPhoto = dataset.SamplesPerPhoto
	ds.Train = dataset.Split{N: photos * dataset.SamplesPerPhoto, Size: testSize}
	for p := range photos {
		for k := range dataset.SamplesPerPhoto {
			ds.Train.Images = append(ds.Train.Images, base.Train.Image(p)...)
			ds.Train.Images[len(ds.Train.Images)-1] = uint8(k) // which sample
			ds.Train.Labels = append(ds.Train.Labels, base.Train.Labels[p])
			ds.Train.Files = append(ds.Train.Files, fmt.Sprintf("photo%02d.jpg", p))
		}
	}
	ds.Meta.Hash = dataset.HashArrays(ds.Meta.Classes, testSize, &ds.Train, &ds.Test)
	return ds
}

// A run of an augmented dataset by an older version, whose validation
// measured every variant of a photo, is not resumed: its epochs and new
// ones would be compared on different measures.
func TestOldAugmentedRunNotResumed(t *testing.T) {
	ds := augmentedDataset(9)
	cfg := testConfig(t.TempDir())
	cfg.Epochs, cfg.BatchSize = 1, 16
	if _, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)}); err != nil {
		t.Fatal(err)
	}
	meta, err := model.LoadMeta(cfg.CheckpointDir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Hyperparameters["validation_samples"] != "original" {
		t.Fatalf("model.json hyperparameters %v, want validation_samples original", meta.Hyperparameters)
	}
	delete(meta.Hyperparameters, "validation_samples") // as an older version wrote it
	if err := meta.Save(cfg.CheckpointDir); err != nil {
		t.Fatal(err)
	}
	cfg.Epochs = 2
	if _, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)}); !isResumeError(err, cfg.CheckpointDir) || !strings.Contains(err.Error(), "measured every augmented variant") {
		t.Errorf("resuming an older version's augmented run: %v, want a ResumeError saying why", err)
	}
}

// Early stopping (Config.Patience) ends the run once Patience epochs in a
// row have not improved on the best one, keeps that one in best/, tests it,
// and a rerun with the same settings has nothing to train; without
// patience the run trains on.
func TestEarlyStopping(t *testing.T) {
	ds := patternDataset(1, 60)
	cfg := testConfig(t.TempDir())
	cfg.Epochs, cfg.BatchSize, cfg.Patience = 12, 16, 2
	// Validation photos with wrong labels: the better the model learns the
	// training photos, the worse it does on them, so it soon stops improving.
	_, valIdx := ds.Train.HoldOut(cfg.ValidationFraction, holdOutSeed(cfg.Seed))
	for _, i := range valIdx {
		ds.Train.Labels[i] = (ds.Train.Labels[i] + 1) % 3
	}
	ds.Meta.Hash = dataset.HashArrays(ds.Meta.Classes, testSize, &ds.Train, &ds.Test)
	epochs := 0
	res, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t), OnEpoch: func(Epoch) { epochs++ }})
	if err != nil {
		t.Fatal(err)
	}
	n := len(res.History)
	if !res.EarlyStopped || n >= cfg.Epochs {
		t.Fatalf("setup: trained %d of %d epochs, early stopped %v; the test would prove nothing", n, cfg.Epochs, res.EarlyStopped)
	}
	if n-res.Best.Epoch != cfg.Patience || epochs != n {
		t.Errorf("stopped after epoch %d (%d trained in this call), best %d: want %d epochs past the best", n, epochs, res.Best.Epoch, cfg.Patience)
	}
	for _, e := range res.History[:n-1] {
		if since := e.Epoch - mustBest(res.History[:e.Epoch]).Epoch; since >= cfg.Patience {
			t.Errorf("epoch %d was %d epochs past the best: the run should have stopped there", e.Epoch, since)
		}
	}
	if st, _, err := readState(cfg.CheckpointDir, model.BestDir); err != nil || st.Epoch != res.Best.Epoch {
		t.Errorf("best/ holds epoch %d (%v), want %d", st.Epoch, err, res.Best.Epoch)
	}
	if res.Test == nil || !Finished(res.Meta) || !strings.Contains(res.Summary(), fmt.Sprintf("stopped early after epoch %d (%d epochs without a better one)", n, cfg.Patience)) {
		t.Errorf("tested %v, finished %v, summary %q", res.Test != nil, Finished(res.Meta), res.Summary())
	}

	// The same settings again: nothing to train.
	var start Start
	epochs = 0
	res, err = Train(context.Background(), cfg, ds, Options{Backend: goBackend(t), OnStart: func(s Start) { start = s }, OnEpoch: func(Epoch) { epochs++ }})
	if err != nil || !start.EarlyStopped || !start.NothingToTrain() || !res.EarlyStopped || epochs != 0 || len(res.History) != n {
		t.Errorf("again: start %+v, %d epochs trained, result early stopped %v with %d epochs (%v); want nothing trained", start, epochs, res.EarlyStopped, len(res.History), err)
	}
	if want := fmt.Sprintf(": test accuracy %.4f (measured when it was trained)", res.Meta.Metrics["test_accuracy"]); res.Test != nil || !strings.HasSuffix(res.Summary(), want) {
		t.Errorf("again: summary %q, want the recorded test accuracy (%q)", res.Summary(), want)
	}

	// Without patience, the run goes on, and says the setting changed.
	cfg.Patience, cfg.Epochs = 0, n+1
	res, err = Train(context.Background(), cfg, ds, Options{Backend: goBackend(t), OnStart: func(s Start) { start = s }})
	if err != nil || res.EarlyStopped || len(res.History) != n+1 || !slices.Equal(start.Changed, []string{"patience 2 → 0"}) {
		t.Errorf("patience 0: early stopped %v, %d epochs, changes %q (%v); want epoch %d trained", res.EarlyStopped, len(res.History), start.Changed, err, n+1)
	}
}

// mustBest is BestEpoch's epoch.
func mustBest(history []Epoch) Epoch {
	best, _ := BestEpoch(history)
	return best
}

// Finished tells a run that ended (all epochs, or stopped early, and
// tested) from one Train would go on with, from its model.json alone.
func TestFinished(t *testing.T) {
	for _, c := range []struct {
		name     string
		metrics  map[string]float64
		hp       map[string]any
		finished bool
	}{
		{"all epochs, tested", map[string]float64{"epochs": 5, "best_epoch": 5, "val_accuracy": 0.9, "test_accuracy": 0.9}, map[string]any{"epochs": 5.0}, true},
		{"all epochs, not tested", map[string]float64{"epochs": 5, "best_epoch": 5, "val_accuracy": 0.9}, map[string]any{"epochs": 5.0}, false},
		{"interrupted", map[string]float64{"epochs": 3, "best_epoch": 3, "val_accuracy": 0.9, "test_accuracy": 0.9}, map[string]any{"epochs": 5.0}, false},
		{"stopped early", map[string]float64{"epochs": 3, "best_epoch": 1, "val_accuracy": 0.9, "test_accuracy": 0.9}, map[string]any{"epochs": 5.0, "patience": 2.0}, true},
		{"patience not reached", map[string]float64{"epochs": 3, "best_epoch": 2, "val_accuracy": 0.9, "test_accuracy": 0.9}, map[string]any{"epochs": 5.0, "patience": 2.0}, false},
		{"patience without validation", map[string]float64{"epochs": 3, "best_epoch": 1, "test_accuracy": 0.9}, map[string]any{"epochs": 5.0, "patience": 2.0}, false},
		{"older model.json without patience", map[string]float64{"epochs": 3, "best_epoch": 1, "val_accuracy": 0.9, "test_accuracy": 0.9}, map[string]any{"epochs": 5.0}, false},
		// As Train's Result.Meta holds them before a JSON round trip.
		{"interrupted, in memory", map[string]float64{"epochs": 3, "best_epoch": 3, "val_accuracy": 0.9, "test_accuracy": 0.9}, map[string]any{"epochs": 5}, false},
		{"stopped early, in memory", map[string]float64{"epochs": 3, "best_epoch": 1, "val_accuracy": 0.9, "test_accuracy": 0.9}, map[string]any{"epochs": 5, "patience": 2}, true},
		{"patience not reached, in memory", map[string]float64{"epochs": 3, "best_epoch": 2, "val_accuracy": 0.9, "test_accuracy": 0.9}, map[string]any{"epochs": 5, "patience": 2}, false},
	} {
		if got := Finished(&model.Meta{Metrics: c.metrics, Hyperparameters: c.hp}); got != c.finished {
			t.Errorf("%s: Finished %v, want %v", c.name, got, c.finished)
		}
	}
	cfg := DefaultConfig()
	cfg.Epochs, cfg.Patience = 5, 2
	meta := &model.Meta{Metrics: map[string]float64{"epochs": 3, "best_epoch": 2, "val_accuracy": 0.9, "test_accuracy": 0.9}, Hyperparameters: cfg.Hyperparameters()}
	if Finished(meta) {
		t.Errorf("3 of %d epochs, best 2, patience %d (Config.Hyperparameters): Finished, want not", cfg.Epochs, cfg.Patience)
	}
}
