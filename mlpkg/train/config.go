// Package train trains the course's CNN (package model) on a prepared dataset
// (package dataset): the Keras recipe (RMSprop with legacy decay, batch 32,
// categorical cross-entropy), an evaluation after every epoch on photos held
// out of the training split (Keras' validation_split), which picks the best
// epoch and can stop training early (Config.Patience), one evaluation of that best model on the test split at the end, a
// metrics history for plots, and checkpoints (last and best) written
// atomically with the model's metadata, so that an interrupted run resumes
// where it stopped and prediction needs only the checkpoint directory.
package train

import (
	"flag"
	"fmt"
	"math"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// Config holds every training hyperparameter and path. Start from
// DefaultConfig; RegisterFlags exposes the same names to the command line,
// and Hyperparameters names them in a checkpoint's model.json.
type Config struct {
	// DataDir is the prepared dataset's directory (output of
	// dataset.Prepare), for the programs that load it (the CLI, package
	// pipeline, bench/train/gotrain) and pass it to Train, which only
	// takes the loaded *dataset.Dataset and does not read this field.
	DataDir string
	// CheckpointDir receives model.json, history.csv and the last/ and best/ checkpoints.
	CheckpointDir string
	// Epochs is the total number of passes over the training split (a resumed
	// run continues up to this number).
	Epochs int
	// BatchSize is the number of images per training step. Each epoch
	// trains on whole batches only: the last len%BatchSize images of the
	// epoch's shuffled order (a different few each epoch) are left out of
	// it, which keeps one compiled graph per run.
	BatchSize int
	// LearningRate, Rho, Epsilon and Decay configure RMSprop as the course's
	// Keras RMSprop(lr, rho, epsilon, decay) does: a ← ρ·a +
	// (1−ρ)·g², w ← w − lr_t·g/(√a + ε), with lr_t = lr / (1 + decay·step).
	LearningRate float64
	Rho          float64
	Epsilon      float64
	Decay        float64
	// ValidationFraction is the share of each class's training photos held
	// out of training (all augmented variants of a photo together; see
	// dataset.Split.HoldOut) to measure the model after every epoch and pick
	// the best epoch. Of an augmented photo, validation measures only the
	// original (dataset.OriginalSample), as the test split holds it. The test split is used once, at the end, on that best
	// model, so the test accuracy is not inflated by the choice. 0 holds
	// nothing out: the last epoch is the best, as in Keras without
	// validation.
	ValidationFraction float64
	// Patience stops training early, as Keras' EarlyStopping(patience)
	// does, once that many epochs in a row have not improved on the best
	// one (see Result.Best); best/ keeps the best epoch's weights, which is
	// restore_best_weights. 0 trains every epoch. It needs a validation
	// hold-out (ValidationFraction > 0). A run that stopped early is not
	// resumed by the same settings: a higher Patience, or 0, trains on.
	Patience int
	// BatchAugment turns on random horizontal flips and small shifts of each
	// training batch (on top of any offline augmentation in the dataset).
	BatchAugment bool
	// Seed makes runs repeatable: weight initialisation, dropout, shuffling and augmentation.
	Seed int64
	// Fresh discards an existing checkpoint in CheckpointDir instead of resuming from it.
	Fresh bool
	// Model holds the architecture; ImageSize and NumClasses are taken from the dataset.
	Model model.Config
}

// DefaultConfig returns the course's recipe: RMSprop(lr=1e-4, rho=0.9,
// eps=1e-7, decay=1e-6), batch 32, 10 % of the training photos held out for
// validation, and the data/ layout of the repository. It trains 20 epochs,
// keeping the best (photos need more than the default dataset, on which the
// notebooks and scripts/demo.sh train 10).
func DefaultConfig() Config {
	return Config{
		DataDir:       dataset.DefaultDataDir,
		CheckpointDir: "data/checkpoints/cnn",
		Epochs:        20,
		BatchSize:     32,
		LearningRate:  1e-4,
		Rho:           0.9,
		Epsilon:       1e-7,
		Decay:         1e-6,
		Seed:          1,
		Model:         model.DefaultConfig(3),

		ValidationFraction: 0.1,
	}
}

// RegisterFlags defines one flag per setting of c on fs, with c's values as
// defaults: every field but the model's filter counts (the course's 32 and
// 64), its image size and class count (Train takes them from the dataset)
// and formulation. The Options passed to Train are not settings of c.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "prepared dataset directory (output of prepare)")
	fs.StringVar(&c.CheckpointDir, "checkpoint", c.CheckpointDir, "checkpoint directory (resumed when it holds a run for the same dataset)")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "total number of epochs; a run resumed from -checkpoint trains only those it lacks")
	fs.IntVar(&c.BatchSize, "batch", c.BatchSize, "batch size (each epoch trains whole batches only: the few photos of a last partial one wait for another epoch's shuffle)")
	fs.Float64Var(&c.LearningRate, "lr", c.LearningRate, "RMSprop learning rate")
	fs.Float64Var(&c.Rho, "rho", c.Rho, "RMSprop rho (moving average of squared gradients)")
	fs.Float64Var(&c.Epsilon, "epsilon", c.Epsilon, "RMSprop epsilon")
	fs.Float64Var(&c.Decay, "decay", c.Decay, "Keras legacy learning-rate decay: lr / (1 + decay*step)")
	fs.Float64Var(&c.ValidationFraction, "validation", c.ValidationFraction, "share of the training photos held out to pick the best epoch: the highest validation accuracy, the lower loss on a tie (0: none, the last epoch is kept)")
	fs.IntVar(&c.Patience, "patience", c.Patience, "stop early when this many epochs in a row have not improved on the best one (validation accuracy, as Keras' EarlyStopping with monitor=\"val_accuracy\"; 0: train every epoch)")
	fs.BoolVar(&c.BatchAugment, "batch-augment", c.BatchAugment, "random flips and shifts of each training batch (prepare -augment adds rotated copies to the dataset instead)")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "random seed (initialisation, dropout, shuffling, augmentation)")
	fs.BoolVar(&c.Fresh, "fresh", c.Fresh, "start from scratch, deleting any checkpoint in the checkpoint directory")
	fs.IntVar(&c.Model.DenseUnits, "dense-units", c.Model.DenseUnits, "units of the hidden dense layer")
	fs.Float64Var(&c.Model.ConvDropout, "conv-dropout", c.Model.ConvDropout, "dropout rate after each pooling")
	fs.Float64Var(&c.Model.DenseDropout, "dense-dropout", c.Model.DenseDropout, "dropout rate after the hidden dense layer")
}

// Validate checks the configuration before any work starts.
func (c *Config) Validate() error {
	switch {
	case c.CheckpointDir == "":
		return fmt.Errorf("train: no checkpoint directory given")
	case c.Epochs < 1:
		return fmt.Errorf("train: epochs must be at least 1, got %d", c.Epochs)
	case c.BatchSize < 1:
		return fmt.Errorf("train: batch size must be at least 1, got %d", c.BatchSize)
	// Written as what must hold, so that NaN (which -lr NaN parses to) fails.
	case !(c.ValidationFraction >= 0 && c.ValidationFraction <= 0.5):
		return fmt.Errorf("train: validation fraction must be in [0, 0.5], got %g", c.ValidationFraction)
	case c.Patience < 0:
		return fmt.Errorf("train: patience must be 0 (train every epoch) or more, got %d", c.Patience)
	case c.Patience > 0 && c.ValidationFraction == 0:
		return fmt.Errorf("train: patience %d needs photos held out for validation (a validation fraction above 0) to tell when the model stops improving", c.Patience)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("train: learning rate must be a positive number, got %g", c.LearningRate)
	case !(c.Rho > 0 && c.Rho < 1):
		return fmt.Errorf("train: rho must be in (0, 1), got %g", c.Rho)
	case !(c.Epsilon > 0) || math.IsInf(c.Epsilon, 0):
		return fmt.Errorf("train: epsilon must be a positive number, got %g", c.Epsilon)
	case !(c.Decay >= 0) || math.IsInf(c.Decay, 0):
		return fmt.Errorf("train: decay must be 0 or a positive number, got %g", c.Decay)
	}
	if err := c.Model.CheckLayers(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// validationSamples records in model.json that validation measures the
// original sample of each augmented photo only (see Train): a run of an
// augmented dataset without it, by an older version, measured every
// variant, and its epochs cannot be compared with new ones.
const validationSamples = "original"

// Hyperparameters returns the configuration as a name → value map for the model metadata.
func (c *Config) Hyperparameters() map[string]any {
	return map[string]any{
		"epochs": c.Epochs, "batch_size": c.BatchSize, "optimizer": optimizerName,
		"learning_rate": c.LearningRate, "rho": c.Rho, "epsilon": c.Epsilon, "decay": c.Decay,
		"augment": c.BatchAugment, "patience": c.Patience, "seed": c.Seed, "validation_fraction": c.ValidationFraction, "loss": "categorical_crossentropy",
		"filters1": c.Model.Filters1, "filters2": c.Model.Filters2, "dense_units": c.Model.DenseUnits,
		"conv_dropout": c.Model.ConvDropout, "dense_dropout": c.Model.DenseDropout, "validation_samples": validationSamples,
	}
}
