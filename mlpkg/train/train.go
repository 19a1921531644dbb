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
	"slices"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/eval"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
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

// String describes the step in one line, as progress shows it: "epoch 2/10:
// batch 40/63, loss 0.4123, 250.6 img/s" (no speed before the epoch's
// second step, which is the first one timed).
func (s Step) String() string {
	line := fmt.Sprintf("epoch %d/%d: batch %d/%d, loss %.4f", s.Epoch, s.Epochs, s.Batch, s.Batches, s.Loss)
	if s.ImagesPerSecond > 0 {
		line += fmt.Sprintf(", %.1f img/s", s.ImagesPerSecond)
	}
	return line
}

// Start reports to Options.OnStart where a run begins.
type Start struct {
	// Dir is the checkpoint directory.
	Dir string
	// Resumed is set when the run continues one found in Dir.
	Resumed bool
	// Replaced is set when Config.Fresh deleted a run found in Dir (its
	// model.json, checkpoints and history) to start this one.
	Replaced bool
	// Changed lists the settings the resumed run goes on with changed
	// since it was last trained (e.g. "learning rate 0.0001 → 0.01"), from
	// then on: the epochs before were trained with the old values (History has each epoch's
	// learning rate), and model.json records the new ones.
	Changed []string
	// Done is the number of complete epochs in Dir (0 unless Resumed), and
	// Batch the number of batches of the next epoch already trained.
	Done, Batch int
	// Epochs is the number asked for (Config.Epochs). When Done ≥ Epochs,
	// there is nothing to train: Train returns the run's result as it is
	// (after testing best/ if the run that trained it stopped before).
	Epochs int
	// EarlyStopped is set when Done < Epochs but early stopping ends the
	// run before it starts: its last Config.Patience epochs did not improve
	// on the best one (whether or not the run that trained them had a
	// patience; Keras would count afresh). There is nothing to train then
	// either; a higher Patience, or 0, trains on.
	EarlyStopped bool
	// Images is the number of training images each epoch trains on, and
	// Validation the number held out to pick the best epoch.
	Images, Validation int
	// SamplesPerPhoto is the number of training images made of each photo
	// (dataset.SamplesPerPhoto for a dataset prepared with augmentation,
	// else 1). Validation counts photos: of each photo held out, only the
	// original is measured.
	SamplesPerPhoto int
}

// NothingToTrain reports whether the checkpoint already holds the epochs
// asked for, or a run that early stopping ended.
func (s Start) NothingToTrain() bool { return s.Done >= s.Epochs || s.EarlyStopped }

// Split says in words what the run trains and validates on, e.g. "2025
// training images, 225 pictures held out to pick the best epoch".
func (s Start) Split() string {
	train := fmt.Sprintf("%d training images", s.Images)
	if s.SamplesPerPhoto > 1 {
		train = fmt.Sprintf("%d training images (%d pictures × %d augmented variants)", s.Images, s.Images/s.SamplesPerPhoto, s.SamplesPerPhoto)
	}
	if s.Validation == 0 {
		return train + ", none held out: the last epoch is kept"
	}
	return fmt.Sprintf("%s, %d pictures held out to pick the best epoch", train, s.Validation)
}

// ErrTooFewImages is wrapped by the error Train returns when the training
// images (after the validation hold-out) do not fill one batch: lower
// Config.BatchSize, or add pictures.
var ErrTooFewImages = errors.New("lower the batch size, or add pictures")

// ErrDiverged is wrapped by the error Train returns when the training loss
// stops being a finite number (Keras' TerminateOnNaN), or, checked before
// every snapshot, the weights or optimiser state do, or the model's outputs
// do (eval.ErrNaNOutputs: on the validation photos, or without validation on the
// last batch trained). Train then stops without saving the broken weights,
// so the checkpoint directory keeps what it had before (the previous
// epoch's snapshots, or nothing). It is also wrapped, with eval.ErrNaNOutputs,
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
	// training ends (nil when interrupted, when the dataset has no test
	// split, and when there was nothing to train and model.json already had
	// the test figures).
	Test *eval.Result
	// Interrupted is set when the context was cancelled: the last checkpoint
	// was saved and running Train again resumes.
	Interrupted bool
	// EarlyStopped is set when early stopping (Config.Patience) ended the
	// run before the epochs asked for: after an epoch of this call, or
	// before the first, the checkpoint's last Patience epochs not having
	// improved on the best one (see Start.EarlyStopped).
	EarlyStopped bool
	// Meta is the model metadata written to the checkpoint directory.
	Meta *model.Meta
}

// Train trains the CNN on ds according to cfg, evaluating after every epoch
// on the photos held out for validation (cfg.ValidationFraction of the
// training split) and saving checkpoints to cfg.CheckpointDir; at the end
// it evaluates the best epoch's model on the test split (Result.Test). If
// that directory holds a run on the same dataset, training resumes from its
// last checkpoint (unless cfg.Fresh); a run it cannot resume makes Train
// return a *ResumeError. A Train running on the same directory, in this
// process or another, makes it return an error at once (LockFile). Cancelling ctx (e.g. Ctrl-C) stops after the
// current step, saves a checkpoint and returns a Result with Interrupted
// set.
func Train(ctx context.Context, cfg Config, ds *dataset.Dataset, opts Options) (*Result, error) {
	r, err := newRun(cfg, ds, opts)
	if err != nil {
		return nil, err
	}
	// One training per checkpoint directory: a second one would delete the
	// first one's snapshots in progress and interleave their epochs.
	unlock, err := dirlock.Lock(r.dir, LockFile, "a training")
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer unlock()
	if err := r.open(); err != nil {
		return nil, err
	}
	if err := r.recoverBest(); err != nil {
		return nil, err
	}
	r.announce()
	if start := r.start(); start.NothingToTrain() {
		r.res.EarlyStopped = start.EarlyStopped
		if err := r.testUnlessTested(); err != nil {
			return nil, err
		}
		return r.res, nil
	}
	if err := r.buildModel(); err != nil {
		return nil, err
	}
	for epoch := r.st.Epoch; epoch < r.cfg.Epochs; epoch++ {
		e, interrupted, err := r.trainEpoch(ctx, epoch)
		if err != nil {
			return nil, err
		}
		if interrupted {
			return r.res, nil
		}
		if err := r.finishEpoch(e); err != nil {
			return nil, err
		}
		if stoppedEarly(r.cfg.Patience, len(r.res.History), r.res.Best.Epoch, r.res.Best.Validated) && epoch+1 < r.cfg.Epochs {
			r.res.EarlyStopped = true
			r.log.Info("early stopping: Patience epochs in a row without a better one", "dir", r.dir,
				"epoch", epoch+1, "best_epoch", r.res.Best.Epoch, "patience", r.cfg.Patience)
			break
		}
	}
	if ctx.Err() != nil {
		// Cancelled during the last epoch's last step or its saves: every
		// epoch is saved; the next run tests best/ (testUnlessTested).
		r.res.Interrupted = true
		return r.res, nil
	}
	if err := crashPoint("test", len(r.res.History)); err != nil {
		return nil, err
	}
	if err := r.testBest(); err != nil {
		return nil, err
	}
	return r.res, nil
}

// run is one call of Train: what its phases share.
type run struct {
	cfg  Config
	ds   *dataset.Dataset
	opts Options
	log  *slog.Logger
	// dir is the checkpoint directory (cfg.CheckpointDir).
	dir string
	// trainIdx are the rows of ds.Train trained on, and val the photos
	// held out of them for validation.
	trainIdx []int
	val      dataset.Split
	// mcfg is the model's configuration, completed from the dataset and the backend.
	mcfg model.Config

	// Set by open: the model metadata (new, or the resumed run's), whether
	// Config.Fresh deleted a run in dir, whether dir held a run to resume
	// and the settings it resumes with changed,
	// where in it training starts (the zero state for a new run), the graph
	// context holding the variables, and the result so far (the history of
	// the epochs done; recoverBest sets its Best).
	meta     *model.Meta
	replaced bool
	resumed  bool
	changed  []string
	st       state
	gctx     *mlctx.Context
	res      *Result

	// Set by buildModel: the trainer, a classifier sharing its variables
	// (to check and validate the model), and the batch being trained.
	trainer     *gotrain.Trainer
	classifier  *model.Classifier
	batchImages []uint8
	batchLabels []int32
	// unchecked is the number of images of batchImages trained on since
	// the model was last checked (see brokenModel): the batch trained last
	// in this run, or 0.
	unchecked int
}

// newRun checks Train's inputs and plans the run: the validation hold-out
// and the model's configuration. It touches nothing on disk.
func newRun(cfg Config, ds *dataset.Dataset, opts Options) (*run, error) {
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
		return nil, fmt.Errorf("train: %d training images (after holding %d out for validation), fewer than one batch of %d: %w",
			len(trainIdx), len(valIdx), cfg.BatchSize, ErrTooFewImages)
	}
	if ds.Meta.SamplesPerPhoto == dataset.SamplesPerPhoto {
		// Validation measures photos as the test split holds them: of an
		// augmented photo held out, its original sample only. Its rotated
		// and mirrored variants are neither trained on nor measured.
		valIdx = slices.DeleteFunc(valIdx, func(i int) bool {
			return i%dataset.SamplesPerPhoto != dataset.OriginalSample
		})
	}
	mcfg := cfg.Model
	mcfg.ImageSize, mcfg.NumClasses = ds.Meta.ImageSize, len(ds.Meta.Classes)
	if mcfg.Formulation == "" {
		mcfg.Formulation = model.FormulationFor(opts.Backend)
	}
	if err := mcfg.Validate(); err != nil {
		return nil, err
	}
	return &run{cfg: cfg, ds: ds, opts: opts, log: log, dir: cfg.CheckpointDir,
		trainIdx: trainIdx, val: ds.Train.Subset(valIdx), mcfg: mcfg}, nil
}

// open prepares the checkpoint directory (see prepareDir) and starts the
// run in it: a new one, or the one it holds, loaded from last/ with its
// history.
func (r *run) open() error {
	var err error
	if r.replaced, err = prepareDir(r.dir, r.cfg.Fresh); err != nil {
		return err
	}

	// Model metadata: new, or the one of the run being resumed.
	r.meta, r.resumed, r.changed, err = startMeta(r.dir, &r.cfg, r.mcfg, r.ds, backend.Name(r.opts.Backend))
	if err != nil {
		return err
	}
	history, err := ReadHistory(r.dir)
	if err != nil {
		return err
	}

	r.gctx = mlctx.New()
	if err := r.gctx.SetRNGStateFromSeed(r.cfg.Seed); err != nil {
		return fmt.Errorf("train: seed: %w", err)
	}
	if r.resumed {
		if r.st, err = loadSnapshot(r.gctx, r.dir, model.LastDir); err != nil {
			return err
		}
	}
	if r.st.Epoch > len(history) {
		// This version writes history.csv before last/, so only an older
		// version's crash (or an edited history.csv) gets here: the weights
		// are past epochs the history lacks, and cannot be wound back.
		return newResumeError(r.dir, fmt.Sprintf("whose %s/ holds %d epochs but %s only %d, so it cannot be resumed exactly",
			model.LastDir, r.st.Epoch, HistoryFile, len(history)))
	}
	// ReadHistory left out the rows past last/ (epochs a crash stopped
	// before last/ was saved): they are trained again from last/, and
	// overwritten. A new run keeps none.
	r.res = &Result{Dir: r.dir, History: history[:r.st.Epoch], Meta: r.meta}
	return nil
}

// start says where the run begins (see Start).
func (r *run) start() Start {
	return Start{Dir: r.dir, Resumed: r.resumed, Replaced: r.replaced, Changed: r.changed, Done: r.st.Epoch, Batch: r.st.Batch, Epochs: r.cfg.Epochs,
		EarlyStopped: r.st.Epoch < r.cfg.Epochs && r.st.Batch == 0 && stoppedEarly(r.cfg.Patience, len(r.res.History), r.res.Best.Epoch, r.res.Best.Validated),
		Images:       len(r.trainIdx), Validation: r.val.N, SamplesPerPhoto: r.samplesPerPhoto()}
}

// samplesPerPhoto is Start.SamplesPerPhoto.
func (r *run) samplesPerPhoto() int {
	if r.ds.Meta.SamplesPerPhoto == dataset.SamplesPerPhoto {
		return dataset.SamplesPerPhoto
	}
	return 1
}

// stoppedEarly reports whether early stopping with patience (Config.Patience)
// ends a run after its first epochs, the best of them being bestEpoch: the
// last patience epochs did not improve on it. Without validation there is
// no best to improve on, and no early stopping.
func stoppedEarly(patience, epochs, bestEpoch int, validated bool) bool {
	return patience > 0 && validated && epochs-bestEpoch >= patience
}

// announce logs where the run begins, when it is not a new one, and tells Options.OnStart.
func (r *run) announce() {
	start := r.start()
	switch {
	case start.EarlyStopped:
		r.log.Info("nothing to train: the checkpoint's last Patience epochs did not improve on the best one", "dir", r.dir, "epochs_done", r.st.Epoch,
			"best_epoch", r.res.Best.Epoch, "patience", r.cfg.Patience)
	case start.NothingToTrain():
		r.log.Info("nothing to train: the checkpoint already has the epochs asked for", "dir", r.dir, "epochs_done", r.st.Epoch, "epochs", r.cfg.Epochs)
	case r.resumed:
		r.log.Info("resuming training", "dir", r.dir, "epoch", r.st.Epoch+1, "batch", r.st.Batch+1, "epochs", r.cfg.Epochs, "changed", r.changed)
	}
	if r.opts.OnStart != nil {
		r.opts.OnStart(start)
	}
}

// recoverBest sets res.Best to the epoch best/ holds, first saving last/'s
// weights in best/ when a crash stopped the previous run before it could.
func (r *run) recoverBest() error {
	history := r.res.History
	var err error
	if r.res.Best, err = savedBestEpoch(r.dir, history); err != nil {
		return err
	}
	if r.st.Batch == 0 && r.st.Epoch > 0 && r.res.Best.Epoch < r.st.Epoch && better(history[r.st.Epoch-1], r.res.Best) {
		// A crash between saving last/ and best/ at the end of epoch
		// st.Epoch: last/ holds that epoch's final weights, which best/
		// should have. Save them there now.
		if err := saveSnapshot(r.gctx, r.dir, model.BestDir, state{Epoch: r.st.Epoch}); err != nil {
			return err
		}
		r.res.Best = history[r.st.Epoch-1]
		r.log.Info("best epoch saved (the previous run stopped before it could)", "dir", r.dir, "epoch", r.st.Epoch)
	}
	return nil
}

// testUnlessTested, when there is nothing to train, tests best/ unless
// model.json already has its test figures.
func (r *run) testUnlessTested() error {
	if r.ds.Test.N == 0 || metricsCurrent(r.meta.Metrics, r.res.History, r.res.Best) {
		return nil // model.json and the checkpoints stay as they are
	}
	// The run that trained the last epoch was stopped before it had
	// tested best/ (e.g. killed during the test evaluation): finish it.
	r.log.Info("nothing to train, but the best model was not tested yet: testing it", "dir", r.dir)
	return r.testBest()
}

// buildModel builds the trainer and the classifier on the run's variables,
// and the batch buffers.
func (r *run) buildModel() error {
	if r.resumed {
		// Variables come from the checkpoint: let the model find them instead
		// of insisting on creating them (GoMLX's examples use Reuse here).
		r.gctx = r.gctx.Checked(false)
	}
	r.trainer = newTrainer(r.opts.Backend, r.gctx, r.cfg, r.mcfg)
	var err error
	if r.classifier, err = model.NewClassifier(r.opts.Backend, r.gctx, r.mcfg); err != nil {
		return err
	}
	r.batchImages = make([]uint8, r.cfg.BatchSize*r.imageBytes())
	r.batchLabels = make([]int32, r.cfg.BatchSize)
	return nil
}

// imageBytes is the size of one image in the dataset's arrays (HWC RGB).
func (r *run) imageBytes() int { return r.ds.Meta.ImageSize * r.ds.Meta.ImageSize * 3 }

// trainEpoch trains epoch (0-based) from its first batch not yet trained,
// and returns its figures, not yet validated. When ctx is cancelled it
// stops before the next batch, saves last/ (see interrupt) and returns
// interrupted.
func (r *run) trainEpoch(ctx context.Context, epoch int) (e Epoch, interrupted bool, err error) {
	cfg := r.cfg
	batches := len(r.trainIdx) / cfg.BatchSize
	order := epochOrder(cfg.Seed, epoch, len(r.trainIdx))
	if err := r.trainer.ResetTrainMetrics(); err != nil {
		return Epoch{}, false, fmt.Errorf("train: %w", err)
	}
	// before: the figures of the batches trained before a resume (a
	// snapshot of an older version has none: the epoch's figures then cover
	// the batches after it).
	firstBatch, before := 0, batchFigures{}
	if epoch == r.st.Epoch {
		firstBatch = r.st.Batch
		if r.st.Done.Batches == r.st.Batch {
			before = r.st.Done
		}
	}
	// The figures of batches firstBatch..b-1 added to those before: the
	// trainer's accuracy is the mean over the batches since it was reset.
	figures := func(b int, lossSum, meanAcc float64) batchFigures {
		n := b - firstBatch
		return batchFigures{Batches: before.Batches + n, LossSum: lossSum, AccuracySum: before.AccuracySum + meanAcc*float64(n)}
	}
	var clock throughputClock
	lossSum, trainAcc := before.LossSum, 0.0
	epochStart := time.Now()
	for b := firstBatch; b < batches; b++ {
		if ctx.Err() != nil {
			return Epoch{}, true, r.interrupt(epoch, b, figures(b, lossSum, trainAcc))
		}
		r.loadBatch(order, epoch, b)
		clock.startStep()
		loss, acc, err := trainStep(r.trainer, r.batchImages, r.batchLabels, r.ds.Meta.ImageSize)
		if err != nil {
			return Epoch{}, false, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return Epoch{}, false, divergedError(r.dir, fmt.Sprintf("epoch %d, batch %d: the loss is %v", epoch+1, b+1, loss))
		}
		clock.endStep(cfg.BatchSize)
		r.unchecked = cfg.BatchSize
		lossSum += loss
		trainAcc = acc
		if r.opts.OnStep != nil {
			r.opts.OnStep(Step{Epoch: epoch + 1, Epochs: cfg.Epochs, Batch: b + 1, Batches: batches,
				Loss: loss, ImagesPerSecond: clock.imagesPerSecond()})
		}
	}
	trainSeconds, imagesPerSecond := time.Since(epochStart).Seconds(), clock.imagesPerSecond()
	all := figures(batches, lossSum, trainAcc)
	if before.Batches > 0 {
		trainAcc = all.AccuracySum / float64(all.Batches)
	}

	return Epoch{
		Epoch: epoch + 1, Step: r.trainer.GlobalStep(),
		TrainLoss: all.LossSum / float64(max(1, all.Batches)), TrainAccuracy: trainAcc,
		LearningRate:    cfg.LearningRate / (1 + cfg.Decay*float64(r.trainer.GlobalStep())),
		ImagesPerSecond: imagesPerSecond, FirstStepSeconds: clock.first.Seconds(),
		Seconds: trainSeconds, Time: time.Now().UTC(),
	}, false, nil
}

// loadBatch fills the batch buffers with batch b of epoch in the epoch's
// order (indices into trainIdx), augmented when cfg.BatchAugment.
func (r *run) loadBatch(order []int, epoch, b int) {
	cfg, per := r.cfg, r.imageBytes()
	for i := range cfg.BatchSize {
		idx := r.trainIdx[order[b*cfg.BatchSize+i]]
		copy(r.batchImages[i*per:(i+1)*per], r.ds.Train.Image(idx))
		r.batchLabels[i] = r.ds.Train.Labels[idx]
	}
	if cfg.BatchAugment {
		// Its own stream per batch, so that a run resumed at batch b
		// augments it as the uninterrupted run did.
		batchRNG := rand.New(rand.NewPCG(uint64(cfg.Seed)^augmentSalt, uint64(epoch)<<32|uint64(b)))
		dataset.RandomAugment(batchRNG, r.batchImages, cfg.BatchSize, r.ds.Meta.ImageSize)
	}
}

// interrupt ends a cancelled run before batch b of epoch (both 0-based):
// it saves last/ there, with the figures of the epoch's batches done,
// unless the model is broken (ErrDiverged).
func (r *run) interrupt(epoch, b int, done batchFigures) error {
	r.res.Interrupted = true
	if why, err := brokenModel(r.gctx, r.classifier, r.batchImages, r.unchecked); err != nil {
		return err
	} else if why != "" {
		return divergedError(r.dir, fmt.Sprintf("interrupted at epoch %d, batch %d: %s", epoch+1, b+1, why))
	}
	if err := saveSnapshot(r.gctx, r.dir, model.LastDir, state{Epoch: epoch, Batch: b, Done: done}); err != nil {
		return err
	}
	r.log.Info("training interrupted; checkpoint saved, run again to resume", "dir", r.dir, "epoch", epoch+1, "batch", b+1)
	return nil
}

// finishEpoch ends epoch e once its batches are trained: it checks the
// model, validates it, saves the epoch (see saveEpoch) and reports it.
func (r *run) finishEpoch(e Epoch) error {
	// The loss checked during the epoch was computed before each update:
	// make sure the weights after the last one are sound before saving them
	// (the validation below runs the model; without it, the last batch does).
	probe := r.unchecked
	if r.val.N > 0 {
		probe = 0
	}
	if why, err := brokenModel(r.gctx, r.classifier, r.batchImages, probe); err != nil {
		return err
	} else if why != "" {
		return divergedError(r.dir, fmt.Sprintf("epoch %d: %s", e.Epoch, why))
	}
	r.unchecked = 0
	if r.val.N > 0 {
		ev, err := evaluate(r.classifier, r.ds.Meta.Classes, r.val.Images, r.val.Labels)
		if errors.Is(err, eval.ErrNaNOutputs) {
			return divergedError(r.dir, fmt.Sprintf("epoch %d: the model's outputs on the validation photos are not numbers", e.Epoch))
		} else if err != nil {
			return err
		}
		e.Validated, e.ValLoss, e.ValAccuracy = true, ev.Loss, ev.Accuracy
	}
	e.NewBest = better(e, r.res.Best)
	if err := r.saveEpoch(e); err != nil {
		return err
	}
	r.log.Info("epoch done", "epoch", e.Epoch, "of", r.cfg.Epochs, "train_loss", round(e.TrainLoss),
		"val_loss", round(e.ValLoss), "val_accuracy", round(e.ValAccuracy), "img_per_s", round(e.ImagesPerSecond), "best", e.NewBest)
	if r.opts.OnEpoch != nil {
		r.opts.OnEpoch(e)
	}
	return nil
}

// saveEpoch records the finished epoch e in res and on disk: history.csv,
// last/, best/ when e is the new best one (e.NewBest), and model.json.
func (r *run) saveEpoch(e Epoch) error {
	// The order of these writes makes every crash point resumable
	// exactly: history.csv first (a row past last/ is dropped on
	// resuming and its epoch trained again), then last/ (from here on
	// the epoch counts as done), then best/ (a resumed run saves it
	// from last/ when it is missing, see recoverBest), then model.json
	// (brought up to date at the latest when training ends).
	r.res.History = append(r.res.History, e)
	if err := writeHistory(r.dir, r.res.History); err != nil {
		return err
	}
	if err := crashPoint("history", e.Epoch); err != nil {
		return err
	}
	if err := saveSnapshot(r.gctx, r.dir, model.LastDir, state{Epoch: e.Epoch}); err != nil {
		return err
	}
	if err := crashPoint("last", e.Epoch); err != nil {
		return err
	}
	if e.NewBest {
		r.res.Best = e
		if err := saveSnapshot(r.gctx, r.dir, model.BestDir, state{Epoch: e.Epoch}); err != nil {
			return err
		}
		if err := crashPoint("best", e.Epoch); err != nil {
			return err
		}
	}
	r.meta.Metrics = epochMetrics(e, r.res.Best)
	if err := r.meta.Save(r.dir); err != nil {
		return err
	}
	if err := crashPoint("meta", e.Epoch); err != nil {
		return err
	}
	return nil
}

// testBest evaluates the model in best/ on the test split, once training
// ends, and records the result in res.Test and in model.json with the
// figures of the last epoch and of the best one.
func (r *run) testBest() error {
	res := r.res
	if r.ds.Test.N == 0 {
		// Prepared with no test split: the metrics stay the epochs' own.
		r.log.Warn("the dataset has no test split: the best model is not tested", "dir", res.Dir)
		return nil
	}
	best, _, err := model.Load(res.Dir, r.opts.Backend)
	if err != nil {
		return fmt.Errorf("train: evaluate the best model: %w", err)
	}
	if res.Test, err = evaluate(best, r.ds.Meta.Classes, r.ds.Test.Images, r.ds.Test.Labels); errors.Is(err, eval.ErrNaNOutputs) {
		return fmt.Errorf("train: test the best model: %w: %w", ErrDiverged, err)
	} else if err != nil {
		return err
	}
	r.meta.Metrics = epochMetrics(res.History[len(res.History)-1], res.Best)
	r.meta.Metrics["test_accuracy"], r.meta.Metrics["test_loss"] = res.Test.Accuracy, res.Test.Loss
	if err := r.meta.Save(res.Dir); err != nil {
		return err
	}
	r.log.Info("test split", "best_epoch", res.Best.Epoch, "test_loss", round(res.Test.Loss), "test_accuracy", round(res.Test.Accuracy))
	return nil
}

// epochOrder is the order in which an epoch visits the n training samples.
// Like the augmentation (loadBatch), it depends only on the seed and the
// epoch: a resumed epoch sees the same batches, and each epoch other ones.
func epochOrder(seed int64, epoch, n int) []int {
	return rand.New(rand.NewPCG(uint64(seed), uint64(epoch))).Perm(n)
}

// metricsCurrent reports whether m (model.json's metrics) describes the run
// whose history and best epoch are given, test figures included.
func metricsCurrent(m map[string]float64, history []Epoch, best Epoch) bool {
	_, tested := m["test_accuracy"]
	return tested && len(history) > 0 && m["epochs"] == float64(len(history)) && m["best_epoch"] == float64(best.Epoch)
}

// Finished reports whether the run that meta (a checkpoint's model.json,
// as Train writes it) describes has ended: it trained the epochs asked for,
// or early stopping ended it (Config.Patience), and its best model was
// tested on the test split. A run that has not can be resumed by Train.
func Finished(meta *model.Meta) bool {
	m, hp := meta.Metrics, meta.Hyperparameters
	if _, tested := m["test_accuracy"]; !tested {
		return false
	}
	_, validated := m["val_accuracy"]
	return m["epochs"] >= number(hp["epochs"]) ||
		stoppedEarly(int(number(hp["patience"])), int(m["epochs"]), int(m["best_epoch"]), validated)
}

// number is a hyperparameter's value as a float64: an int as
// Config.Hyperparameters makes it, or a float64 as model.json is read
// back; 0 when v is neither (not recorded).
func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	}
	return 0
}

// divergedError is Train's error when training diverges, as what says,
// adding what the checkpoint directory dir still holds.
func divergedError(dir, what string) error {
	kept := "no weights were saved"
	if _, err := model.SnapshotDir(dir); err == nil {
		kept = dir + " keeps the snapshots from before, and running again resumes from them"
	}
	return fmt.Errorf("train: %s: %w (a lower learning rate usually helps); %s", what, ErrDiverged, kept)
}

// Summary says in one line which epoch best/ holds and how it does on the
// test split, e.g. "best epoch 7 (validation accuracy 0.912), in
// data/checkpoints/cnn/best: test accuracy 0.8960 on 750 images" (when
// there was nothing to train, the test accuracy model.json recorded).
func (r *Result) Summary() string {
	if r.Best.Epoch == 0 {
		return "no epoch trained yet"
	}
	line := fmt.Sprintf("last epoch %d (nothing held out for validation)", r.Best.Epoch)
	if r.Best.Validated {
		line = fmt.Sprintf("best epoch %d (validation accuracy %.3f)", r.Best.Epoch, r.Best.ValAccuracy)
	}
	if r.EarlyStopped {
		line = fmt.Sprintf("stopped early after epoch %d (%d epochs without a better one): ", len(r.History), len(r.History)-r.Best.Epoch) + line
	}
	line += ", in " + filepath.Join(r.Dir, model.BestDir)
	if r.Test != nil {
		line += fmt.Sprintf(": test accuracy %.4f on %d images", r.Test.Accuracy, r.Test.N)
	} else if r.Meta != nil && metricsCurrent(r.Meta.Metrics, r.History, r.Best) {
		line += fmt.Sprintf(": test accuracy %.4f (measured when it was trained)", r.Meta.Metrics["test_accuracy"])
	}
	return line
}

// crashHook, when set (by tests), is called after each write at the end of
// an epoch, naming what was just written (point: "history", "last", "best"
// or "meta"), between the two renames of a snapshot's save ("renamed
// last", "renamed best": the previous snapshot is <name>.old, the new one
// not yet in place), and before the test evaluation when training ends
// (point "test"); an error it returns stops Train there, as a crash would.
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

// savedBestEpoch returns the epoch of history that dir's best/ snapshot
// holds (the zero Epoch when there is none). BestEpoch, by contrast, picks
// the epoch best/ should hold.
func savedBestEpoch(dir string, history []Epoch) (Epoch, error) {
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

// scalar returns the value of a float scalar tensor (0 for other dtypes).
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

// round rounds x to 4 decimals, for the log.
func round(x float64) float64 { return math.Round(x*10000) / 10000 }

// prepareDir makes dir ready for a run: emptied of what Train writes when
// fresh (replaced reports whether there was a run to delete), created when
// missing, and cleared of the temporaries a killed run left.
func prepareDir(dir string, fresh bool) (replaced bool, err error) {
	if fresh {
		if replaced, err = removeRun(dir); err != nil {
			return false, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("train: %w", err)
	}
	for _, name := range []string{model.LastDir, model.BestDir} {
		if err := restoreOld(dir, name); err != nil {
			return false, fmt.Errorf("train: %w", err)
		}
	}
	return replaced, removeTemporaries(dir)
}

// removeRun deletes what Train writes in dir (and nothing else),
// model.json first: what a kill part way leaves is not a run to resume.
// removed reports whether any of it was there.
func removeRun(dir string) (removed bool, err error) {
	for _, name := range []string{model.MetaFile, HistoryFile, model.LastDir, model.LastDir + ".old", model.BestDir, model.BestDir + ".old"} {
		path := filepath.Join(dir, name)
		if _, err := os.Lstat(path); err == nil {
			removed = true
		}
		if err := os.RemoveAll(path); err != nil {
			return removed, fmt.Errorf("train: start fresh: %w", err)
		}
	}
	return removed, removeTemporaries(dir)
}

// LockFile is the lock Train holds in its checkpoint directory while it
// runs (an flock, released when the process ends, however it ends): a
// second Train on the same directory stops at once, saying so.
const LockFile = ".train.lock"

// removeTemporaries deletes the temporary files and folders that a killed
// Train can leave in dir (SIGKILL, or a second Ctrl-C, skips their
// clean-up): snapshots being written (".last-tmp-*", ".best-tmp-*", see
// saveSnapshot) and model.json or history.csv being replaced (see
// atomicfile.WriteFile). Only one Train uses dir at a time (LockFile).
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
