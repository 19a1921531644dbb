package train

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	gotrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Step reports one finished training step to Options.OnStep.
type Step struct {
	// Epoch (1-based) and Batch (1-based within the epoch) of the step, out of Epochs and Batches.
	Epoch, Epochs, Batch, Batches int
	// Loss is the step's batch loss.
	Loss float64
	// ImagesPerSecond is the training throughput of the epoch so far.
	ImagesPerSecond float64
}

// Start reports to Options.OnStart where a run begins.
type Start struct {
	// Dir is the checkpoint directory.
	Dir string
	// Resumed is set when the run continues one found in Dir.
	Resumed bool
	// Done is the number of complete epochs in Dir (0 unless Resumed), and
	// Batch the number of batches of the next epoch already trained.
	Done, Batch int
	// Epochs is the number asked for (Config.Epochs). When Done ≥ Epochs,
	// there is nothing to train: Train returns the run's result as it is
	// (after testing best/ if the run that trained it stopped before).
	Epochs int
	// Images is the number of training images each epoch trains on, and
	// Validation the number held out to pick the best epoch.
	Images, Validation int
}

// NothingToTrain reports whether the checkpoint already holds the epochs asked for.
func (s Start) NothingToTrain() bool { return s.Done >= s.Epochs }

// Split says in words what the run trains and validates on, e.g. "2025
// training images, 225 held out to pick the best epoch".
func (s Start) Split() string {
	if s.Validation == 0 {
		return fmt.Sprintf("%d training images, none held out: the last epoch is kept", s.Images)
	}
	return fmt.Sprintf("%d training images, %d held out to pick the best epoch", s.Images, s.Validation)
}

// ErrDiverged is wrapped by the error Train returns when the training loss
// stops being a finite number (Keras' TerminateOnNaN), or, checked before
// every snapshot, the weights or optimiser state do, or the model's outputs
// do (ErrNaNOutputs: on the validation photos, or without validation on the
// last batch trained). Train then stops without saving the broken weights,
// so the checkpoint directory keeps what it had before (the previous
// epoch's snapshots, or nothing). It is also wrapped, with ErrNaNOutputs,
// when best/ gives NaN outputs on the test split (a checkpoint saved
// without these checks).
var ErrDiverged = errors.New("training diverged")

// Options are the non-hyperparameter inputs of Train.
type Options struct {
	// Backend runs the model; required (see package backend).
	Backend backends.Backend
	// OnStart, when set, is called once before the first step, when Train
	// knows whether it resumes a run and where (also when there is nothing
	// left to train).
	OnStart func(Start)
	// OnStep, when set, is called after every training step (progress bars).
	OnStep func(Step)
	// OnEpoch, when set, is called after every epoch with its metrics.
	OnEpoch func(Epoch)
	// Logger receives one line per epoch and checkpoint events; nil: slog.Default().
	Logger *slog.Logger
}

// Result is what Train returns.
type Result struct {
	// Dir is the checkpoint directory.
	Dir string
	// History holds every epoch trained so far, including earlier runs that this one resumed.
	History []Epoch
	// Best is the epoch saved in best/: the one with the highest validation
	// accuracy (of equals, the lowest validation loss), or the last one when
	// nothing is held out for validation.
	Best Epoch
	// Test is the evaluation of best/ on the test split, made once when
	// training ends (nil when interrupted, and when there was nothing to
	// train and model.json already had the test figures).
	Test *Evaluation
	// Interrupted is set when the context was cancelled: the last checkpoint
	// was saved and running Train again resumes.
	Interrupted bool
	// Meta is the model metadata written to the checkpoint directory.
	Meta *model.Meta
}

// Train trains the CNN on ds according to cfg, evaluating after every epoch
// on the photos held out for validation (cfg.ValidationFraction of the
// training split) and saving checkpoints to cfg.CheckpointDir; at the end
// it evaluates the best epoch's model on the test split (Result.Test). If
// that directory holds a run on the same dataset, training resumes from its
// last checkpoint (unless cfg.Fresh). Cancelling ctx (e.g. Ctrl-C) stops
// after the current step, saves a checkpoint and returns a Result with
// Interrupted set.
func Train(ctx context.Context, cfg Config, ds *dataset.Dataset, opts Options) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Backend == nil {
		return nil, errors.New("train: no backend given")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if ds.Meta.SamplesPerPhoto > 1 && len(ds.Train.Files) != ds.Train.N {
		// Without them, augmented variants of one photo could land on both
		// sides of the validation hold-out.
		return nil, fmt.Errorf("train: %s does not say which photo each augmented sample comes from: prepare it again", ds.Dir)
	}
	trainIdx, valIdx := ds.Train.HoldOut(cfg.ValidationFraction, holdOutSeed(cfg.Seed))
	if len(trainIdx) < cfg.BatchSize {
		return nil, fmt.Errorf("train: %d training images (after holding %d out for validation), fewer than one batch of %d",
			len(trainIdx), len(valIdx), cfg.BatchSize)
	}
	val := ds.Train.Subset(valIdx)
	mcfg := cfg.Model
	mcfg.ImageSize, mcfg.NumClasses = ds.Meta.ImageSize, len(ds.Meta.Classes)
	if mcfg.Formulation == "" {
		mcfg.Formulation = model.FormulationFor(opts.Backend)
	}
	if err := mcfg.Validate(); err != nil {
		return nil, err
	}
	dir := cfg.CheckpointDir
	if cfg.Fresh {
		if err := removeRun(dir); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := removeTemporaries(dir); err != nil {
		return nil, err
	}

	// Model metadata: new, or the one of the run being resumed.
	meta, resumed, err := startMeta(dir, &cfg, mcfg, ds, backend.Name(opts.Backend))
	if err != nil {
		return nil, err
	}
	history, err := readHistory(dir)
	if err != nil {
		return nil, err
	}

	gctx := mlctx.New()
	if err := gctx.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, fmt.Errorf("train: seed: %w", err)
	}
	st := state{}
	if resumed {
		if st, err = loadSnapshot(gctx, dir, model.LastDir); err != nil {
			return nil, err
		}
	}
	if st.Epoch > len(history) {
		// This version writes history.csv before last/, so only an older
		// version's crash (or an edited history.csv) gets here: the weights
		// are past epochs the history lacks, and cannot be wound back.
		return nil, fmt.Errorf("train: %s: %s/ holds %d epochs but %s only %d, so the run cannot be resumed exactly: pass -fresh to start over",
			dir, model.LastDir, st.Epoch, HistoryFile, len(history))
	}
	// history.csv is written before the snapshots at the end of an epoch:
	// rows past last/ are epochs a crash stopped before last/ was saved.
	// They are dropped, and trained again from last/.
	history = history[:st.Epoch]
	start := Start{Dir: dir, Resumed: resumed, Done: st.Epoch, Batch: st.Batch, Epochs: cfg.Epochs,
		Images: len(trainIdx), Validation: len(valIdx)}
	switch {
	case start.NothingToTrain():
		log.Info("nothing to train: the checkpoint already has the epochs asked for", "dir", dir, "epochs_done", st.Epoch, "epochs", cfg.Epochs)
	case resumed:
		log.Info("resuming training", "dir", dir, "epoch", st.Epoch+1, "batch", st.Batch+1, "epochs", cfg.Epochs)
	}
	if opts.OnStart != nil {
		opts.OnStart(start)
	}
	res := &Result{Dir: dir, History: history, Meta: meta}
	if res.Best, err = bestEpoch(dir, history); err != nil {
		return nil, err
	}
	if st.Batch == 0 && st.Epoch > 0 && res.Best.Epoch < st.Epoch && better(history[st.Epoch-1], res.Best) {
		// A crash between saving last/ and best/ at the end of epoch
		// st.Epoch: last/ holds that epoch's final weights, which best/
		// should have. Save them there now.
		if err := saveSnapshot(gctx, dir, model.BestDir, state{Epoch: st.Epoch}); err != nil {
			return nil, err
		}
		res.Best = history[st.Epoch-1]
		log.Info("best epoch saved (the previous run stopped before it could)", "dir", dir, "epoch", st.Epoch)
	}
	if start.NothingToTrain() {
		if metricsCurrent(meta.Metrics, history, res.Best) {
			return res, nil // model.json and the checkpoints stay as they are
		}
		// The run that trained the last epoch was stopped before it had
		// tested best/ (e.g. killed during the test evaluation): finish it.
		log.Info("nothing to train, but the best model was not tested yet: testing it", "dir", dir)
		if err := testBest(opts.Backend, ds, meta, res, log); err != nil {
			return nil, err
		}
		return res, nil
	}

	if resumed {
		// Variables come from the checkpoint: let the model find them instead
		// of insisting on creating them (GoMLX's examples use Reuse here).
		gctx = gctx.Checked(false)
	}
	trainer := newTrainer(opts.Backend, gctx, cfg, mcfg)
	classifier, err := model.NewClassifier(opts.Backend, gctx, mcfg)
	if err != nil {
		return nil, err
	}

	batches := len(trainIdx) / cfg.BatchSize
	per := ds.Meta.ImageSize * ds.Meta.ImageSize * 3
	batchImages := make([]uint8, cfg.BatchSize*per)
	batchLabels := make([]int32, cfg.BatchSize)

	for epoch := st.Epoch; epoch < cfg.Epochs; epoch++ {
		// Each epoch's order and augmentation depend only on the seed and the
		// epoch, so a resumed epoch sees the same batches.
		rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(epoch)))
		order := rng.Perm(len(trainIdx))
		if err := trainer.ResetTrainMetrics(); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		firstBatch := 0
		if epoch == st.Epoch {
			firstBatch = st.Batch
		}
		var clock throughputClock
		lastBatch := 0 // images of the batch trained last in this run, not yet checked (see brokenModel)
		var lossSum, trainAcc float64
		epochStart := time.Now()
		for b := firstBatch; b < batches; b++ {
			if ctx.Err() != nil {
				res.Interrupted = true
				if why, err := brokenModel(gctx, classifier, batchImages, lastBatch); err != nil {
					return nil, err
				} else if why != "" {
					return nil, divergedError(dir, fmt.Sprintf("interrupted at epoch %d, batch %d: %s", epoch+1, b+1, why))
				}
				if err := saveSnapshot(gctx, dir, model.LastDir, state{Epoch: epoch, Batch: b}); err != nil {
					return nil, err
				}
				log.Info("training interrupted; checkpoint saved, run again to resume", "dir", dir, "epoch", epoch+1, "batch", b+1)
				return res, nil
			}
			for i := range cfg.BatchSize {
				idx := trainIdx[order[b*cfg.BatchSize+i]]
				copy(batchImages[i*per:(i+1)*per], ds.Train.Image(idx))
				batchLabels[i] = ds.Train.Labels[idx]
			}
			if cfg.Augment {
				// Its own stream per batch, so that a run resumed at batch b
				// augments it as the uninterrupted run did.
				batchRNG := rand.New(rand.NewPCG(uint64(cfg.Seed)^augmentSalt, uint64(epoch)<<32|uint64(b)))
				dataset.RandomAugment(batchRNG, batchImages, cfg.BatchSize, ds.Meta.ImageSize)
			}
			clock.startStep()
			loss, acc, err := trainStep(trainer, batchImages, batchLabels, ds.Meta.ImageSize)
			if err != nil {
				return nil, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return nil, divergedError(dir, fmt.Sprintf("epoch %d, batch %d: the loss is %v", epoch+1, b+1, loss))
			}
			clock.endStep(cfg.BatchSize)
			lastBatch = cfg.BatchSize
			lossSum += loss
			trainAcc = acc
			if opts.OnStep != nil {
				opts.OnStep(Step{Epoch: epoch + 1, Epochs: cfg.Epochs, Batch: b + 1, Batches: batches,
					Loss: loss, ImagesPerSecond: clock.imagesPerSecond()})
			}
		}
		trainSeconds, imagesPerSecond := time.Since(epochStart).Seconds(), clock.imagesPerSecond()

		e := Epoch{
			Epoch: epoch + 1, Step: trainer.GlobalStep(),
			TrainLoss: lossSum / float64(max(1, batches-firstBatch)), TrainAccuracy: trainAcc,
			LearningRate:    cfg.LearningRate / (1 + cfg.Decay*float64(trainer.GlobalStep())),
			ImagesPerSecond: imagesPerSecond, FirstStepSeconds: clock.first.Seconds(),
			Seconds: trainSeconds, Time: time.Now().UTC(),
		}
		// The loss checked above was computed before each update: make sure
		// the weights after the last one are sound before saving them (the
		// validation below runs the model; without it, the last batch does).
		probe := lastBatch
		if val.N > 0 {
			probe = 0
		}
		if why, err := brokenModel(gctx, classifier, batchImages, probe); err != nil {
			return nil, err
		} else if why != "" {
			return nil, divergedError(dir, fmt.Sprintf("epoch %d: %s", epoch+1, why))
		}
		lastBatch = 0
		if val.N > 0 {
			eval, err := Evaluate(classifier, ds.Meta.Classes, val.Images, val.Labels)
			if errors.Is(err, ErrNaNOutputs) {
				return nil, divergedError(dir, fmt.Sprintf("epoch %d: the model's outputs on the validation photos are not numbers", epoch+1))
			} else if err != nil {
				return nil, err
			}
			e.Validated, e.ValLoss, e.ValAccuracy = true, eval.Loss, eval.Accuracy
		}
		// The order of these writes makes every crash point resumable
		// exactly: history.csv first (a row past last/ is dropped on
		// resuming and its epoch trained again), then last/ (from here on
		// the epoch counts as done), then best/ (a resumed run saves it
		// from last/ when it is missing, see above), then model.json
		// (brought up to date at the latest when training ends).
		history = append(history, e)
		res.History = history
		if err := writeHistory(dir, history); err != nil {
			return nil, err
		}
		if err := crashPoint("history", e.Epoch); err != nil {
			return nil, err
		}
		if err := saveSnapshot(gctx, dir, model.LastDir, state{Epoch: epoch + 1}); err != nil {
			return nil, err
		}
		if err := crashPoint("last", e.Epoch); err != nil {
			return nil, err
		}
		improved := better(e, res.Best)
		if improved {
			res.Best = e
			if err := saveSnapshot(gctx, dir, model.BestDir, state{Epoch: epoch + 1}); err != nil {
				return nil, err
			}
			if err := crashPoint("best", e.Epoch); err != nil {
				return nil, err
			}
		}
		meta.Metrics = epochMetrics(e, res.Best)
		if err := meta.Save(dir); err != nil {
			return nil, err
		}
		if err := crashPoint("meta", e.Epoch); err != nil {
			return nil, err
		}
		log.Info("epoch done", "epoch", e.Epoch, "of", cfg.Epochs, "train_loss", round(e.TrainLoss),
			"val_loss", round(e.ValLoss), "val_accuracy", round(e.ValAccuracy), "img_per_s", round(e.ImagesPerSecond), "best", improved)
		if opts.OnEpoch != nil {
			opts.OnEpoch(e)
		}
	}
	if err := crashPoint("test", len(history)); err != nil {
		return nil, err
	}
	if err := testBest(opts.Backend, ds, meta, res, log); err != nil {
		return nil, err
	}
	return res, nil
}

// testBest evaluates the model in res.Dir's best/ on the test split, once
// training ends, and records the result in res.Test and in model.json with
// the figures of the last epoch and of the best one.
func testBest(b backends.Backend, ds *dataset.Dataset, meta *model.Meta, res *Result, log *slog.Logger) error {
	best, _, err := model.Load(b, res.Dir)
	if err != nil {
		return fmt.Errorf("train: evaluate the best model: %w", err)
	}
	if res.Test, err = Evaluate(best, ds.Meta.Classes, ds.Test.Images, ds.Test.Labels); errors.Is(err, ErrNaNOutputs) {
		return fmt.Errorf("train: test the best model: %w: %w", ErrDiverged, err)
	} else if err != nil {
		return err
	}
	meta.Metrics = epochMetrics(res.History[len(res.History)-1], res.Best)
	meta.Metrics["test_accuracy"], meta.Metrics["test_loss"] = res.Test.Accuracy, res.Test.Loss
	if err := meta.Save(res.Dir); err != nil {
		return err
	}
	log.Info("test split", "best_epoch", res.Best.Epoch, "test_loss", round(res.Test.Loss), "test_accuracy", round(res.Test.Accuracy))
	return nil
}

// metricsCurrent reports whether m (model.json's metrics) describes the run
// whose history and best epoch are given, test figures included.
func metricsCurrent(m map[string]float64, history []Epoch, best Epoch) bool {
	_, tested := m["test_accuracy"]
	return tested && len(history) > 0 && m["epochs"] == float64(len(history)) && m["best_epoch"] == float64(best.Epoch)
}

// divergedError is Train's error when training diverges, as what says,
// adding what the checkpoint directory dir still holds.
func divergedError(dir, what string) error {
	kept := "nothing was saved"
	if _, err := model.SnapshotDir(dir); err == nil {
		kept = dir + " keeps the snapshots from before, and running again resumes from them"
	}
	return fmt.Errorf("train: %s: %w (a lower learning rate, -lr, usually helps); %s", what, ErrDiverged, kept)
}

// Summary says in one line which epoch best/ holds and how it does on the
// test split, e.g. "best epoch 7 (validation accuracy 0.912), in
// data/checkpoints/cnn/best: test accuracy 0.8960 on 750 images".
func (r *Result) Summary() string {
	if r.Best.Epoch == 0 {
		return "no epoch trained yet"
	}
	line := fmt.Sprintf("last epoch %d (nothing held out for validation)", r.Best.Epoch)
	if r.Best.Validated {
		line = fmt.Sprintf("best epoch %d (validation accuracy %.3f)", r.Best.Epoch, r.Best.ValAccuracy)
	}
	line += ", in " + filepath.Join(r.Dir, model.BestDir)
	if r.Test != nil {
		line += fmt.Sprintf(": test accuracy %.4f on %d images", r.Test.Accuracy, r.Test.N)
	}
	return line
}

// crashHook, when set (by tests), is called after each write at the end of
// an epoch, naming what was just written (point: "history", "last", "best"
// or "meta"); an error it returns stops Train there, as a crash would.
var crashHook func(point string, epoch int) error

func crashPoint(point string, epoch int) error {
	if crashHook == nil {
		return nil
	}
	return crashHook(point, epoch)
}

// holdOutSeed is the seed of the validation hold-out: drawn from its own
// random stream, not from those that shuffle the epochs.
func holdOutSeed(seed int64) uint64 { return uint64(seed) ^ 0x9E3779B97F4A7C15 }

// augmentSalt separates the batch augmentation streams from the shuffling
// ones, which use the seed as it is.
const augmentSalt = 0xD1B54A32D192ED03

// bestEpoch returns the epoch of history that dir's best/ snapshot holds
// (the zero Epoch when there is none).
func bestEpoch(dir string, history []Epoch) (Epoch, error) {
	st, ok, err := readState(dir, model.BestDir)
	if err != nil || !ok || st.Epoch < 1 || st.Epoch > len(history) {
		return Epoch{}, err
	}
	return history[st.Epoch-1], nil
}

// BestEpoch returns the epoch of history that Train keeps in best/ (by the
// rule of better: the highest validation accuracy, of equals the lowest
// validation loss, the first of exact ties; the last epoch when the epochs
// were not validated), and false when history is empty. Given a checkpoint
// directory's history (ReadHistory), it names the epoch whose weights its
// best/ holds.
func BestEpoch(history []Epoch) (Epoch, bool) {
	var best Epoch
	for _, e := range history {
		if better(e, best) {
			best = e
		}
	}
	return best, best.Epoch != 0
}

// better reports whether epoch e should replace best in best/: a higher
// validation accuracy, or the same with a lower validation loss (ties are
// common on a few hundred photos); without validation, any later epoch.
func better(e, best Epoch) bool {
	if best.Epoch == 0 || !e.Validated || !best.Validated {
		return best.Epoch == 0 || e.Epoch > best.Epoch
	}
	if e.ValAccuracy != best.ValAccuracy {
		return e.ValAccuracy > best.ValAccuracy
	}
	return e.ValLoss < best.ValLoss
}

// epochMetrics is the model metadata's Metrics after epoch last, with best
// in best/.
func epochMetrics(last, best Epoch) map[string]float64 {
	m := map[string]float64{
		"epochs": float64(last.Epoch), "train_loss": last.TrainLoss,
		"best_epoch": float64(best.Epoch), "images_per_second": last.ImagesPerSecond,
	}
	if best.Validated {
		m["val_accuracy"], m["val_loss"] = best.ValAccuracy, best.ValLoss
	}
	return m
}

// newTrainer builds GoMLX's Trainer for the CNN with Keras' RMSprop.
func newTrainer(backend backends.Backend, gctx *mlctx.Context, cfg Config, mcfg model.Config) *gotrain.Trainer {
	modelFn := func(ctx *mlctx.Context, _ any, inputs []*graph.Node) []*graph.Node {
		g := inputs[0].Graph()
		if ctx.IsTraining(g) && cfg.Decay > 0 {
			// Keras' legacy decay: lr / (1 + decay * iterations).
			step := graph.ConvertDType(optimizers.GetGlobalStepVar(ctx).ValueGraph(g), dtypes.Float32)
			lr := graph.Div(graph.Scalar(g, dtypes.Float32, cfg.LearningRate),
				graph.OnePlus(graph.MulScalar(step, cfg.Decay)))
			optimizers.LearningRateVarWithValue(ctx, dtypes.Float32, cfg.LearningRate).SetValueGraph(lr)
		}
		return []*graph.Node{mcfg.Logits(ctx.In(model.Scope), inputs[0])}
	}
	opt := rmsProp{lr: cfg.LearningRate, rho: cfg.Rho, epsilon: cfg.Epsilon}
	accuracy := metrics.NewSparseCategoricalAccuracy("Train accuracy", "acc")
	return gotrain.NewTrainer(backend, gctx, modelFn, losses.SparseCategoricalCrossEntropyLogits, opt,
		[]metrics.Interface{accuracy}, nil)
}

// trainStep runs one step on a batch and returns its loss and the epoch's
// running training accuracy.
func trainStep(trainer *gotrain.Trainer, images []uint8, labels []int32, size int) (loss, accuracy float64, err error) {
	n := len(labels)
	x := tensors.FromFlatDataAndDimensions(images, n, size, size, 3)
	y := tensors.FromFlatDataAndDimensions(labels, n, 1)
	defer x.FinalizeAll() //nolint:errcheck
	defer y.FinalizeAll() //nolint:errcheck
	out, err := trainer.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{y})
	if err != nil {
		return 0, 0, fmt.Errorf("train step: %w", err)
	}
	// Outputs: batch loss, two moving-average losses, then our metrics.
	loss = scalar(out[0])
	accuracy = scalar(out[len(out)-1])
	for _, t := range out {
		t.FinalizeAll() //nolint:errcheck
	}
	return loss, accuracy, nil
}

func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// throughputClock measures training images per second, leaving out the first
// step it times (graph building and compilation on the first epoch of a run).
// Train starts a new clock every epoch, so each epoch's first step is left
// out, and Epoch.FirstStepSeconds is that step's duration.
type throughputClock struct {
	t0, since time.Time
	first     time.Duration
	steps     int
	images    int
}

func (c *throughputClock) startStep() { c.t0 = time.Now() }

func (c *throughputClock) endStep(batch int) {
	if c.steps == 0 {
		c.first = time.Since(c.t0)
		c.since = time.Now()
	} else {
		c.images += batch
	}
	c.steps++
}

func (c *throughputClock) imagesPerSecond() float64 {
	if c.images == 0 {
		return 0
	}
	return float64(c.images) / time.Since(c.since).Seconds()
}

func round(x float64) float64 { return float64(int64(x*10000+0.5)) / 10000 }

// removeRun deletes what Train writes in dir (and nothing else).
func removeRun(dir string) error {
	for _, name := range []string{model.LastDir, model.LastDir + ".old", model.BestDir, model.BestDir + ".old", model.MetaFile, HistoryFile} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("train: start fresh: %w", err)
		}
	}
	return removeTemporaries(dir)
}

// removeTemporaries deletes the temporary files and folders that a killed
// Train can leave in dir (SIGKILL, or a second Ctrl-C, skips their
// clean-up): snapshots being written (".last-tmp-*", ".best-tmp-*", see
// saveSnapshot) and model.json or history.csv being replaced (see
// atomicfile.WriteFile). Only one Train may use dir at a time.
func removeTemporaries(dir string) error {
	for _, pattern := range []string{"." + model.LastDir + "-tmp-*", "." + model.BestDir + "-tmp-*",
		"." + model.MetaFile + ".tmp*", "." + HistoryFile + ".tmp*"} {
		found, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		for _, p := range found {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("train: remove a temporary left by an earlier run: %w", err)
			}
		}
	}
	return nil
}
