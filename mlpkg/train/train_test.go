package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	gotrain "github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/eval"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
)

const testSize = 18

// patternDataset makes a small learnable 3-class dataset: noisy horizontal
// stripes, vertical stripes and a bright centre square, of random colours.
func patternDataset(seed uint64, perClass int) *dataset.Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	classes := []string{"horizontal", "vertical", "square"}
	mk := func(n int) dataset.Split {
		s := dataset.Split{N: n * len(classes), Size: testSize}
		for i := range s.N {
			label := i % len(classes)
			phase := rng.IntN(4)
			col := [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
			for y := range testSize {
				for x := range testSize {
					var on bool
					switch label {
					case 0:
						on = (y+phase)%4 < 2
					case 1:
						on = (x+phase)%4 < 2
					case 2:
						c := testSize/2 + phase - 2
						on = abs(y-c) < 4 && abs(x-c) < 4
					}
					for ch := range 3 {
						v := 40 + rng.Float64()*60
						if on {
							v += 120 * col[ch]
						}
						s.Images = append(s.Images, uint8(v))
					}
				}
			}
			s.Labels = append(s.Labels, int32(label))
		}
		return s
	}
	ds := &dataset.Dataset{Train: mk(perClass), Test: mk(perClass / 3)}
	ds.Meta.Classes, ds.Meta.ImageSize = classes, testSize
	ds.Meta.Hash = dataset.HashArrays(classes, testSize, &ds.Train, &ds.Test)
	return ds
}

func abs(x int) int { return max(x, -x) }

func testConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.CheckpointDir = dir
	cfg.Epochs = 8
	cfg.LearningRate = 1e-3
	cfg.Model.DenseUnits = 32
	cfg.Model.Filters1, cfg.Model.Filters2 = 8, 16
	return cfg
}

func goBackend(t *testing.T) backends.Backend {
	t.Helper()
	b, err := backend.New(backend.Go)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrainLearnsResumesAndReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	backend := goBackend(t)
	ds := patternDataset(1, 90)
	dir := t.TempDir()
	cfg := testConfig(dir)

	// Interrupt the first run after a few steps: a checkpoint must be saved.
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	res, err := Train(ctx, cfg, ds, Options{Backend: backend, OnStep: func(s Step) {
		if steps++; steps == 3 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || len(res.History) != 0 {
		t.Fatalf("want an interrupted run with no finished epoch, got interrupted=%v history=%d", res.Interrupted, len(res.History))
	}
	if _, err := os.Stat(filepath.Join(dir, model.LastDir, stateFile)); err != nil {
		t.Fatalf("no checkpoint after interruption: %v", err)
	}
	saved := snapshotVariables(t, filepath.Join(dir, model.LastDir))

	// Interrupted again before its first step (Ctrl-C while resuming): the
	// snapshot it saves must still hold every variable.
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if res, err = Train(cancelled, cfg, ds, Options{Backend: backend}); err != nil || !res.Interrupted {
		t.Fatalf("cancelled run: interrupted=%v, err %v", res != nil && res.Interrupted, err)
	}
	if again := snapshotVariables(t, filepath.Join(dir, model.LastDir)); !slices.Equal(again, saved) {
		t.Fatalf("snapshot after an interruption before the first step has variables\n%v\nwant\n%v", again, saved)
	}

	// Resume: it must continue at batch 4 of epoch 1 and finish all epochs,
	// and say so before its first step.
	firstStep := 0
	var start *Start
	res, err = Train(context.Background(), cfg, ds, Options{Backend: backend,
		OnStart: func(s Start) { start = &s },
		OnStep: func(s Step) {
			if start == nil {
				t.Error("OnStep called before OnStart")
			}
			if firstStep == 0 {
				firstStep = s.Batch
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if firstStep != 4 {
		t.Errorf("resumed at batch %d, want 4", firstStep)
	}
	trainIdx, valIdx := ds.Train.HoldOut(cfg.ValidationFraction, holdOutSeed(cfg.Seed))
	if want := (Start{Dir: dir, Resumed: true, Done: 0, Batch: 3, Epochs: cfg.Epochs, Images: len(trainIdx), Validation: len(valIdx), SamplesPerPhoto: 1}); start == nil || !reflect.DeepEqual(*start, want) {
		t.Errorf("OnStart got %+v, want %+v", start, want)
	}
	if len(res.History) != cfg.Epochs || res.History[len(res.History)-1].Epoch != cfg.Epochs {
		t.Fatalf("history has %d epochs, want %d", len(res.History), cfg.Epochs)
	}
	if wantSteps := int64(cfg.Epochs * (len(trainIdx) / cfg.BatchSize)); res.History[cfg.Epochs-1].Step != wantSteps {
		t.Errorf("global step %d after resuming, want %d", res.History[cfg.Epochs-1].Step, wantSteps)
	}
	if res.Test == nil || res.Test.Accuracy < 0.8 || res.Test.N != ds.Test.N {
		t.Fatalf("test evaluation of the best model: %+v, want accuracy ≥ 0.8 (chance is 0.33) on %d images", res.Test, ds.Test.N)
	}
	hist, err := ReadHistory(dir)
	if err != nil || len(hist) != cfg.Epochs {
		t.Fatalf("history.csv: %d rows, err %v", len(hist), err)
	}
	// best/ holds the epoch with the highest validation accuracy, of equals
	// the one with the lowest validation loss; the metadata has its test
	// accuracy.
	best := hist[0]
	for _, e := range hist {
		if !e.Validated {
			t.Fatalf("epoch %d not validated", e.Epoch)
		}
		if e.ValAccuracy > best.ValAccuracy || (e.ValAccuracy == best.ValAccuracy && e.ValLoss < best.ValLoss) {
			best = e
		}
	}
	if res.Best.Epoch != best.Epoch {
		t.Errorf("best epoch %d, want %d (highest validation accuracy in %+v)", res.Best.Epoch, best.Epoch, hist)
	}
	if res.Meta.Metrics["test_accuracy"] != res.Test.Accuracy || res.Meta.Metrics["best_epoch"] != float64(best.Epoch) {
		t.Errorf("model.json metrics %v, want test accuracy %v of epoch %d", res.Meta.Metrics, res.Test.Accuracy, best.Epoch)
	}

	// Training further on the same checkpoint only adds the missing epochs.
	cfg.Epochs++
	res, err = Train(context.Background(), cfg, ds, Options{Backend: backend})
	if err != nil || len(res.History) != cfg.Epochs {
		t.Fatalf("extra epoch: history %d, err %v", len(res.History), err)
	}

	// Fewer epochs than the checkpoint holds: nothing is trained, and
	// OnStart says so.
	// model.json, best/ and the test figures stay those of the run.
	done, trained := cfg.Epochs, res
	metaBefore, _ := os.ReadFile(filepath.Join(dir, model.MetaFile))
	cfg.Epochs = 2
	start = nil
	res, err = Train(context.Background(), cfg, ds, Options{Backend: backend,
		OnStart: func(s Start) { start = &s },
		OnEpoch: func(e Epoch) { t.Errorf("epoch %d trained on a checkpoint that already has %d", e.Epoch, done) }})
	if err != nil || len(res.History) != done {
		t.Fatalf("asking for fewer epochs: history %d (want %d), err %v", len(res.History), done, err)
	}
	if start == nil || !start.Resumed || start.Done != done || start.Epochs != 2 || !start.NothingToTrain() {
		t.Errorf("asking for fewer epochs: OnStart got %+v, want Done %d, Epochs 2, nothing to train", start, done)
	}
	if metaAfter, _ := os.ReadFile(filepath.Join(dir, model.MetaFile)); !bytes.Equal(metaAfter, metaBefore) {
		t.Errorf("nothing to train, but model.json changed:\n%s\nwas\n%s", metaAfter, metaBefore)
	}
	if res.Best.Epoch != trained.Best.Epoch || res.Test != nil {
		t.Errorf("nothing to train: best epoch %d (want %d, the one in best/), test %v (want none)", res.Best.Epoch, trained.Best.Epoch, res.Test)
	}
	res, cfg.Epochs = trained, done

	// Other settings that decide the batches are refused for a resume.
	for _, change := range []func(*Config){
		func(c *Config) { c.ValidationFraction = 0.2 },
		func(c *Config) { c.Seed++ },
		func(c *Config) { c.BatchSize *= 2 },
	} {
		other := cfg
		other.Epochs++
		change(&other)
		if _, err := Train(context.Background(), other, ds, Options{Backend: backend}); !isResumeError(err, dir) || !strings.Contains(err.Error(), "resumes only with") {
			t.Errorf("resuming with other settings: %v, want a ResumeError naming the setting and Config.Fresh", err)
		}
	}
	// So is a run of the version that picked its best epoch on the test split.
	meta, err := model.LoadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkResume(meta.Hyperparameters, cfg); err != nil {
		t.Errorf("checkResume of this version's run: %v", err)
	}
	for _, old := range []struct{ key, value string }{{"validation_fraction", ""}, {"optimizer", "rmsprop"}} {
		hp := maps.Clone(meta.Hyperparameters)
		if old.value == "" {
			delete(hp, old.key)
		} else {
			hp[old.key] = old.value
		}
		if err := checkResume(hp, cfg); err == nil || !strings.Contains(err.Error(), "older version") {
			t.Errorf("checkResume of an old run (%s %q): %v", old.key, old.value, err)
		}
	}

	// A checkpoint for another dataset is refused, not overwritten.
	if _, err := Train(context.Background(), cfg, patternDataset(2, 30), Options{Backend: backend}); !isResumeError(err, dir) {
		t.Fatalf("training another dataset into the same checkpoint directory: %v, want a ResumeError", err)
	}

	// Reload in this process and in a new one: identical probabilities.
	c, meta, err := model.Load(dir, backend)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := c.Probabilities(ds.Test.Images, ds.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := eval.New(meta.Classes, ds.Test.Labels, probs)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(eval.Accuracy-res.Test.Accuracy) > 1e-9 {
		t.Errorf("reloaded best model accuracy %.4f, training reported %.4f", eval.Accuracy, res.Test.Accuracy)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPredict$")
	cmd.Env = append(os.Environ(), "ANIMALCNN_HELPER_CHECKPOINT="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper process: %v", err)
	}
	var other [][]float32
	if err := json.Unmarshal(lastLine(out), &other); err != nil {
		t.Fatalf("helper output: %v\n%s", err, out)
	}
	if len(other) != len(probs) {
		t.Fatalf("helper returned %d predictions, want %d", len(other), len(probs))
	}
	for i := range probs {
		for j := range probs[i] {
			if probs[i][j] != other[i][j] {
				t.Fatalf("image %d class %d: %v here, %v in a new process", i, j, probs[i][j], other[i][j])
			}
		}
	}
}

// snapshotVariables returns the names of the variables that resuming needs
// (weights, their optimiser moments, step counts) saved in the GoMLX
// checkpoint of the snapshot folder dir. The learning rate is left out: the
// trainer recreates it from the step count.
func snapshotVariables(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	for _, name := range checkpointVariables(t, dir) {
		if strings.HasPrefix(name, "var:/metrics/") {
			t.Errorf("%s saves the running metric %s", dir, name)
		}
		if strings.Contains(name, "/model/") || strings.HasSuffix(name, "global_step") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// checkpointVariables returns the names of the variables saved in the GoMLX
// checkpoint of the snapshot folder dir.
func checkpointVariables(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "checkpoint-*.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("checkpoint files in %s: %v (err %v)", dir, files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var ckpt struct {
		Variables []struct{ ParameterName string }
	}
	if err := json.Unmarshal(b, &ckpt); err != nil {
		t.Fatalf("%s: %v", files[0], err)
	}
	var names []string
	for _, v := range ckpt.Variables {
		names = append(names, v.ParameterName)
	}
	return names
}

// A dataset prepared without a test split trains, and reports no test
// figures: not "test accuracy 0.0000 on 0 images", in the summary or in
// model.json (which the web page and the notebooks read).
func TestTrainWithoutTestSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ds := patternDataset(1, 30)
	ds.Test = dataset.Split{Size: testSize}
	ds.Meta.Hash = dataset.HashArrays(ds.Meta.Classes, testSize, &ds.Train, &ds.Test)
	cfg := testConfig(t.TempDir())
	cfg.Epochs = 1
	for run := range 2 { // the second has nothing to train and must not test either
		res, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t)})
		if err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
		if res.Test != nil || strings.Contains(res.Summary(), "test") {
			t.Errorf("run %d: test %+v, summary %q: want no test figures", run+1, res.Test, res.Summary())
		}
		meta, err := model.LoadMeta(cfg.CheckpointDir)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := meta.Metrics["test_accuracy"]; ok || meta.Metrics["best_epoch"] != 1 {
			t.Errorf("run %d: model.json metrics %v: want the best epoch's, without test_accuracy", run+1, meta.Metrics)
		}
	}
	if _, err := eval.New(ds.Meta.Classes, nil, nil); err == nil {
		t.Error("eval.New of no images: no error")
	}
}

// Without a validation hold-out, every training image is trained on, the
// last epoch is the one kept, and the history has no validation figures.
func TestTrainWithoutValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ds := patternDataset(1, 30)
	cfg := testConfig(t.TempDir())
	cfg.Epochs, cfg.ValidationFraction = 2, 0
	images := 0
	res, err := Train(context.Background(), cfg, ds, Options{Backend: goBackend(t), OnStep: func(s Step) {
		if s.Epoch == 1 {
			images += cfg.BatchSize
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := ds.Train.N / cfg.BatchSize * cfg.BatchSize; images != want {
		t.Errorf("first epoch trained on %d images, want %d", images, want)
	}
	if res.Best.Epoch != 2 || res.Best.Validated || res.Test == nil {
		t.Errorf("best %+v, test %v: want the last epoch, unvalidated, tested", res.Best, res.Test)
	}
	hist, err := ReadHistory(cfg.CheckpointDir)
	if err != nil || len(hist) != 2 || hist[0].Validated || hist[1].Validated {
		t.Errorf("history %+v (err %v): want 2 epochs without validation", hist, err)
	}
	if !strings.Contains(res.Summary(), "last epoch 2") {
		t.Errorf("summary %q", res.Summary())
	}
	if res.Meta.Backend != "go" {
		t.Errorf("no BackendName given: model.json records backend %q, want the backend's name, go", res.Meta.Backend)
	}

	// best/ holds only what inference needs, last/ also what resuming needs.
	for _, c := range []struct {
		name          string
		withOptimizer bool
	}{{model.BestDir, false}, {model.LastDir, true}} {
		var inModel, others int
		for _, name := range checkpointVariables(t, filepath.Join(cfg.CheckpointDir, c.name)) {
			if strings.HasPrefix(name, "var:/model/") {
				inModel++
			} else {
				others++
			}
		}
		if inModel != 12 || (others > 0) != c.withOptimizer {
			t.Errorf("%s/ saves %d model variables (want 12) and %d others (want some: %v)", c.name, inModel, others, c.withOptimizer)
		}
	}
}

// TestTrainStopsWhenDiverged checks Keras' TerminateOnNaN behaviour: a
// learning rate far too high makes the loss NaN, and Train stops with
// ErrDiverged without saving the broken weights, so the run resumes from
// the snapshots it had, with a better learning rate.
func TestTrainStopsWhenDiverged(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ds := patternDataset(1, 30)
	b := goBackend(t)

	// A new run that diverges saves no snapshot. No decay: the learning
	// rate given must be the one used, also on resuming (GoMLX's trainer
	// drops the rate saved in the checkpoint).
	cfg := testConfig(t.TempDir())
	cfg.Epochs, cfg.LearningRate, cfg.Decay = 3, 1e6, 0
	_, err := Train(context.Background(), cfg, ds, Options{Backend: b})
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "no weights were saved") {
		t.Fatalf("lr 1e6 from scratch: err %v, want ErrDiverged and \"no weights were saved\"", err)
	}
	if _, err := model.SnapshotDir(cfg.CheckpointDir); err == nil {
		t.Errorf("a diverged run left a snapshot in %s", cfg.CheckpointDir)
	}

	// Two good epochs, then two more with the learning rate far too high.
	cfg.Epochs, cfg.LearningRate = 2, 1e-3
	if _, err := Train(context.Background(), cfg, ds, Options{Backend: b}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(cfg.CheckpointDir, model.LastDir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Epochs, cfg.LearningRate = 4, 1e6
	_, err = Train(context.Background(), cfg, ds, Options{Backend: b})
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "keeps the snapshots from before") {
		t.Fatalf("lr 1e6 after 2 epochs: err %v, want ErrDiverged, snapshots kept", err)
	}
	after, err := os.ReadFile(filepath.Join(cfg.CheckpointDir, model.LastDir, stateFile))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("last/%s was %s, is %s (err %v): a diverged run must not replace it", stateFile, before, after, err)
	}
	if _, err := model.LoadMeta(cfg.CheckpointDir); err != nil {
		t.Errorf("model.json after divergence: %v", err)
	}

	// Resuming with a sane learning rate trains on from the good snapshot.
	cfg.Epochs, cfg.LearningRate = 3, 1e-3
	res, err := Train(context.Background(), cfg, ds, Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.History) != 3 || res.Test == nil {
		t.Fatalf("resumed run: %d epochs, test %v: want 3 epochs, tested", len(res.History), res.Test)
	}
	for _, e := range res.History {
		if math.IsNaN(e.TrainLoss) || math.IsNaN(e.ValLoss) {
			t.Errorf("epoch %d has a NaN loss: %+v", e.Epoch, e)
		}
	}
}

// TestResumeIsExact checks that a run interrupted mid-epoch and resumed
// ends with the same model as the same run uninterrupted, with batch
// augmentation and dropout on: the shuffling, the augmentation of each
// batch and the dropout's random state all resume where they stopped.
func TestResumeIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ds := patternDataset(3, 40)
	b := goBackend(t)
	train := func(dir string, stopAt int) *Result {
		cfg := testConfig(dir)
		cfg.Epochs, cfg.BatchAugment = 2, true
		if stopAt > 0 {
			ctx, cancel := context.WithCancel(context.Background())
			steps := 0
			res, err := Train(ctx, cfg, ds, Options{Backend: b, OnStep: func(Step) {
				if steps++; steps == stopAt {
					cancel()
				}
			}})
			if err != nil || !res.Interrupted {
				t.Fatalf("interrupted run: %v, interrupted %v", err, res != nil && res.Interrupted)
			}
		}
		res, err := Train(context.Background(), cfg, ds, Options{Backend: b})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	whole, resumed := train(t.TempDir(), 0), train(t.TempDir(), 2)
	if len(whole.History) != 2 || len(resumed.History) != 2 {
		t.Fatalf("histories of %d and %d epochs, want 2", len(whole.History), len(resumed.History))
	}
	for i := range whole.History {
		w, r := whole.History[i], resumed.History[i]
		if w.ValLoss != r.ValLoss || w.ValAccuracy != r.ValAccuracy {
			t.Errorf("epoch %d: validation loss %v, accuracy %v uninterrupted; %v, %v resumed", i+1, w.ValLoss, w.ValAccuracy, r.ValLoss, r.ValAccuracy)
		}
		// The interrupted epoch's training figures cover all its batches,
		// not only those after the resume (the accuracy is a float32 mean
		// on one side, a sum of two on the other).
		if w.TrainLoss != r.TrainLoss || math.Abs(w.TrainAccuracy-r.TrainAccuracy) > 1e-6 {
			t.Errorf("epoch %d: training loss %v, accuracy %v uninterrupted; %v, %v resumed", i+1, w.TrainLoss, w.TrainAccuracy, r.TrainLoss, r.TrainAccuracy)
		}
	}
	for i, p := range whole.Test.Probabilities {
		if !slices.Equal(p, resumed.Test.Probabilities[i]) {
			t.Fatalf("test image %d: probabilities %v uninterrupted, %v resumed", i, p, resumed.Test.Probabilities[i])
		}
	}
}

// TestBetterEpoch checks how best/ is chosen: higher validation accuracy,
// then lower validation loss; without validation, the later epoch.
func TestBetterEpoch(t *testing.T) {
	best := Epoch{Epoch: 2, Validated: true, ValAccuracy: 0.9, ValLoss: 0.30}
	for _, c := range []struct {
		e    Epoch
		want bool
	}{
		{Epoch{Epoch: 3, Validated: true, ValAccuracy: 0.95, ValLoss: 0.50}, true},
		{Epoch{Epoch: 3, Validated: true, ValAccuracy: 0.90, ValLoss: 0.25}, true},
		{Epoch{Epoch: 3, Validated: true, ValAccuracy: 0.90, ValLoss: 0.30}, false},
		{Epoch{Epoch: 3, Validated: true, ValAccuracy: 0.85, ValLoss: 0.10}, false},
	} {
		if got := better(c.e, best); got != c.want {
			t.Errorf("better(%+v, %+v) = %v, want %v", c.e, best, got, c.want)
		}
	}
	if !better(Epoch{Epoch: 1}, Epoch{}) || !better(Epoch{Epoch: 3}, Epoch{Epoch: 2}) {
		t.Error("without validation, the first or a later epoch must be better")
	}

	// BestEpoch applies the same rule to a whole history.
	if e, ok := BestEpoch(nil); ok || e.Epoch != 0 {
		t.Errorf("BestEpoch(nil) = %+v, %v", e, ok)
	}
	history := []Epoch{
		{Epoch: 1, Validated: true, ValAccuracy: 0.8, ValLoss: 0.5},
		{Epoch: 2, Validated: true, ValAccuracy: 0.9, ValLoss: 0.4},
		{Epoch: 3, Validated: true, ValAccuracy: 0.9, ValLoss: 0.3},
		{Epoch: 4, Validated: true, ValAccuracy: 0.9, ValLoss: 0.3},
		{Epoch: 5, Validated: true, ValAccuracy: 0.7, ValLoss: 0.1},
	}
	if e, ok := BestEpoch(history); !ok || e.Epoch != 3 {
		t.Errorf("BestEpoch = epoch %d, %v; want 3 (highest accuracy, then lowest loss, then the first)", e.Epoch, ok)
	}
	if e, ok := BestEpoch([]Epoch{{Epoch: 1}, {Epoch: 2}}); !ok || e.Epoch != 2 {
		t.Errorf("BestEpoch without validation = epoch %d, %v; want the last, 2", e.Epoch, ok)
	}
}

// TestRMSPropIsKeras checks the optimiser's updates against Keras' RMSprop
// (a ← ρ·a + (1−ρ)·g², w ← w − lr·g/(√a + ε)) on a loss whose gradient is
// known: the sum of the weights, whose gradient is 1 everywhere.
func TestRMSPropIsKeras(t *testing.T) {
	const lr, rho, eps = 0.01, 0.9, 1e-7
	gctx := mlctx.New()
	modelFn := func(ctx *mlctx.Context, _ any, inputs []*graph.Node) []*graph.Node {
		w := ctx.VariableWithValue("w", []float32{1, -2})
		return []*graph.Node{graph.Add(w.ValueGraph(inputs[0].Graph()), graph.ReduceAllSum(inputs[0]))}
	}
	loss := func(_, predictions []*graph.Node) *graph.Node { return graph.ReduceAllSum(predictions[0]) }
	trainer := gotrain.NewTrainer(goBackend(t), gctx, modelFn, loss, rmsProp{lr: lr, rho: rho, epsilon: eps}, nil, nil)
	x, y := tensors.FromValue([]float32{0}), tensors.FromValue([]float32{0})
	want, a := []float64{1, -2}, 0.0
	for step := 1; step <= 5; step++ {
		if _, err := trainer.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{y}); err != nil {
			t.Fatal(err)
		}
		a = rho*a + (1 - rho)
		for i := range want {
			want[i] -= lr / (math.Sqrt(a) + eps)
		}
		got := gctx.GetVariableByScopeAndName(mlctx.RootScope, "w").MustValue().Value().([]float32)
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-6 {
				t.Fatalf("step %d: w = %v, want %v (Keras' RMSprop)", step, got, want)
			}
		}
	}
}

// TestHelperPredict runs in a child process started by the test above: it
// loads the checkpoint and prints the test images' probabilities as JSON.
func TestHelperPredict(t *testing.T) {
	dir := os.Getenv("ANIMALCNN_HELPER_CHECKPOINT")
	if dir == "" {
		t.Skip("helper for TestTrainLearnsResumesAndReloads")
	}
	c, _, err := model.Load(dir, goBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	ds := patternDataset(1, 90)
	probs, err := c.Probabilities(ds.Test.Images, ds.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(probs)
	os.Stdout.Write(append([]byte("\n"), append(b, '\n')...))
}

func lastLine(b []byte) []byte {
	lines := [][]byte{}
	start := 0
	for i, c := range b {
		if c == '\n' {
			if i > start {
				lines = append(lines, b[start:i])
			}
			start = i + 1
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if len(lines[i]) > 0 && lines[i][0] == '[' {
			return lines[i]
		}
	}
	return nil
}

// TestTrainOnEveryBackend trains the short test model on each installed
// backend (CI installs xla:cpu), and checks that its checkpoint gives the
// same predictions on the pure-Go backend.
func TestTrainOnEveryBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ds := patternDataset(1, 90)
	goB := goBackend(t)
	for _, in := range backend.Available() {
		if !in.Installed {
			continue
		}
		t.Run(in.Name, func(t *testing.T) {
			b, err := backend.New(in.Name)
			if err != nil {
				t.Fatalf("%s listed as installed: %v", in.Name, err)
			}
			cfg := testConfig(t.TempDir())
			res, err := Train(context.Background(), cfg, ds, Options{Backend: b})
			if err != nil {
				t.Fatal(err)
			}
			if res.Test == nil || res.Test.Accuracy < 0.8 {
				t.Fatalf("test evaluation of the best model on %s: %+v, want accuracy ≥ 0.8", in.Name, res.Test)
			}
			if res.Meta.Backend != in.Name {
				t.Errorf("metadata records backend %q, want %q", res.Meta.Backend, in.Name)
			}
			here, _, err := model.Load(cfg.CheckpointDir, b)
			if err != nil {
				t.Fatal(err)
			}
			onGo, _, err := model.Load(cfg.CheckpointDir, goB)
			if err != nil {
				t.Fatal(err)
			}
			p1, err := here.Probabilities(ds.Test.Images, ds.Test.N)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := onGo.Probabilities(ds.Test.Images, ds.Test.N)
			if err != nil {
				t.Fatal(err)
			}
			for i := range p1 {
				for j := range p1[i] {
					if d := math.Abs(float64(p1[i][j] - p2[i][j])); d > 1e-4 {
						t.Fatalf("image %d class %d: %v on %s, %v on go", i, j, p1[i][j], in.Name, p2[i][j])
					}
				}
			}
		})
	}
}

// A snapshot without its state.json cannot say where training stopped:
// resuming from it is an error, not a silent restart at epoch 1.
func TestLoadSnapshotNeedsState(t *testing.T) {
	dir := t.TempDir()
	gctx := mlctx.New()
	gctx.VariableWithValue("w", []float32{1, 2})
	saved := state{Epoch: 3, Batch: 2, Done: batchFigures{Batches: 2, LossSum: 1.25, AccuracySum: 0.75}}
	if err := saveSnapshot(gctx, dir, model.LastDir, saved); err != nil {
		t.Fatal(err)
	}
	if st, err := loadSnapshot(mlctx.New(), dir, model.LastDir); err != nil || st != saved {
		t.Fatalf("loadSnapshot: %+v, %v", st, err)
	}
	// Saving leaves gctx's variable loader as it was (no chain of
	// checkpoint handlers, one per save).
	if gctx.Loader() != nil {
		t.Errorf("after saveSnapshot, the context's loader is %T, want none as before", gctx.Loader())
	}
	// Figures JSON cannot hold fail the save, and the snapshot before stays.
	if err := saveSnapshot(gctx, dir, model.LastDir, state{Epoch: 4, Done: batchFigures{Batches: 1, LossSum: math.NaN()}}); err == nil || !strings.Contains(err.Error(), stateFile) {
		t.Errorf("saveSnapshot of a NaN loss sum: %v, want an error naming %s", err, stateFile)
	}
	if st, err := loadSnapshot(mlctx.New(), dir, model.LastDir); err != nil || st != saved {
		t.Errorf("after a failed save, loadSnapshot: %+v, %v; want the snapshot before, %+v", st, err, saved)
	}
	if err := os.Remove(filepath.Join(dir, model.LastDir, stateFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSnapshot(mlctx.New(), dir, model.LastDir); err == nil || !strings.Contains(err.Error(), stateFile) {
		t.Errorf("loadSnapshot without %s: %v, want an error naming it", stateFile, err)
	}
}

// A snapshot whose GoMLX JSON file was damaged (a negative dimension, a
// shape of 2^40 elements) is an error to resume from, not a panic nor an
// allocation of terabytes that ends the program.
func TestLoadSnapshotDamagedCheckpoint(t *testing.T) {
	gctx := mlctx.New()
	gctx.VariableWithValue("w", []float32{1, 2})
	for _, dim := range []string{"-1", "1099511627776"} {
		dir := t.TempDir()
		if err := saveSnapshot(gctx, dir, model.LastDir, state{Epoch: 1}); err != nil {
			t.Fatal(err)
		}
		files, err := filepath.Glob(filepath.Join(dir, model.LastDir, "checkpoint-*.json"))
		if err != nil || len(files) != 1 {
			t.Fatalf("checkpoint files %v, %v", files, err)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		damaged := strings.Replace(string(b), "\t\t\t\t2\n", "\t\t\t\t"+dim+"\n", 1)
		if damaged == string(b) {
			t.Fatalf("no dimension 2 in %s", b)
		}
		if err := os.WriteFile(files[0], []byte(damaged), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadSnapshot(mlctx.New(), dir, model.LastDir); err == nil || !strings.Contains(err.Error(), filepath.Base(files[0])) {
			t.Errorf("dimension %s: %v, want an error naming %s", dim, err, filepath.Base(files[0]))
		}
	}
}

// Ctrl-C during the last epoch's end (its last step, validation or saves)
// stops before the test evaluation, with Interrupted set, as during any
// other epoch; the next run has nothing to train and tests best/.
func TestCancelAtTheLastEpochSkipsTheTest(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ds := patternDataset(1, 30)
	cfg := testConfig(t.TempDir())
	cfg.Epochs = 1
	b := goBackend(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Train(ctx, cfg, ds, Options{Backend: b, OnEpoch: func(Epoch) { cancel() }})
	if err != nil || !res.Interrupted || res.Test != nil || len(res.History) != 1 {
		t.Fatalf("cancelled at the last epoch: err %v, result %+v; want interrupted, 1 epoch, not tested", err, res)
	}
	res, err = Train(context.Background(), cfg, ds, Options{Backend: b})
	if err != nil || res.Interrupted || res.Test == nil {
		t.Fatalf("the next run: err %v, result %+v; want best/ tested", err, res)
	}
}
