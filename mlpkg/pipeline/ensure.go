package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/display"
	"github.com/animalcnn/animalcnn/mlpkg/fashion"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/train"
	"github.com/gomlx/gomlx/backends"
)

// EnsureImages makes sure p.Images holds the pictures of s.Classes: at least
// s.PerClass of each Fashion-MNIST class, importing the missing ones from
// Debian's dataset-fashion-mnist (fashion.Import, idempotent), and at least
// dataset.DefaultMinPerClass photos of any other class (those it cannot
// create: crawl or copy them). It returns the counts per class.
func EnsureImages(ctx context.Context, p Paths, s Settings) ([]ClassImages, error) {
	counts, err := CountImages(p.Images, s.Classes)
	if err != nil {
		return nil, err
	}
	var importing, lacking []string
	for _, c := range counts {
		switch {
		case c.Pictures >= s.PerClass:
		case fashion.IsClass(c.Class):
			importing = append(importing, c.Class)
		case c.Pictures < dataset.DefaultMinPerClass:
			lacking = append(lacking, c.Class)
		}
	}
	if len(lacking) > 0 {
		return nil, fmt.Errorf("ensure images: no photos (or fewer than %d) of %s in %s: crawl them (01_crawl) or copy photos into %s/<class>/",
			dataset.DefaultMinPerClass, strings.Join(lacking, ", "), p.Images, p.Images)
	}
	if len(importing) == 0 {
		fmt.Fprintf(Output, "images: %s already holds %s\n", p.Images, countsLine(counts))
		return counts, nil
	}
	cfg := s.FashionConfig(p)
	cfg.Classes = importing
	if !fashion.Installed(cfg.SourceDir) {
		return nil, fmt.Errorf("ensure images: Fashion-MNIST is not installed in %s: install Debian's dataset-fashion-mnist (kernel_setup/setup.sh does)", cfg.SourceDir)
	}
	sum, err := fashion.Import(ctx, cfg)
	if err != nil {
		return nil, err
	}
	written := 0
	for _, c := range sum.Counts {
		written += c.Written
	}
	fmt.Fprintf(Output, "images: imported %d Fashion-MNIST pictures of %s into %s\n", written, strings.Join(importing, ", "), p.Images)
	if counts, err = CountImages(p.Images, s.Classes); err != nil {
		return nil, err
	}
	fmt.Fprintf(Output, "images: %s now holds %s\n", p.Images, countsLine(counts))
	return counts, nil
}

// countsLine lists picture counts as "sandal 1000, sneaker 1000".
func countsLine(counts []ClassImages) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%s %d", c.Class, c.Pictures)
	}
	return strings.Join(parts, ", ")
}

// EnsurePrepared returns the prepared dataset in p.Processed when it was made
// with s's classes, image size, cap and augmentation; otherwise it makes sure
// the images exist (EnsureImages), runs dataset.Prepare with
// s.PrepareConfig(p) and returns the result.
func EnsurePrepared(ctx context.Context, p Paths, s Settings) (*dataset.Dataset, error) {
	if err := model.CheckImageSize(s.ImageSize); err != nil {
		return nil, fmt.Errorf("ensure prepared: %w", err) // before hours of preparing
	}
	ds, err := dataset.Load(p.Processed)
	switch {
	case err == nil && preparedWith(ds.Meta, s):
		fmt.Fprintf(Output, "dataset: %s holds %s\n", p.Processed, describeDataset(ds))
		return ds, nil
	case err == nil:
		fmt.Fprintf(Output, "dataset: %s was prepared with other settings (classes %v, %d px, %d per class, augmentation %v; these settings: %v, %d px, %d per class, augmentation %v): preparing it again\n",
			p.Processed, ds.Meta.Classes, ds.Meta.ImageSize, ds.Meta.MaxPerClass, ds.Meta.Augment, s.Classes, s.ImageSize, s.PerClass, s.Augment)
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(Output, "dataset: nothing prepared in %s yet: preparing it\n", p.Processed)
	default:
		fmt.Fprintf(Output, "dataset: %s cannot be read (%v): preparing it again\n", p.Processed, err)
	}
	if _, err := EnsureImages(ctx, p, s); err != nil {
		return nil, err
	}
	sum, err := dataset.Prepare(ctx, s.PrepareConfig(p))
	if err != nil {
		return nil, err
	}
	if ds, err = dataset.Load(p.Processed); err != nil {
		return nil, err
	}
	fmt.Fprintf(Output, "dataset: prepared %s in %.1f s\n", describeDataset(ds), sum.Elapsed.Seconds())
	return ds, nil
}

// preparedWith reports whether a prepared dataset matches the settings.
func preparedWith(m dataset.Meta, s Settings) bool {
	return slices.Equal(m.Classes, s.Classes) && m.ImageSize == s.ImageSize && m.MaxPerClass == s.PerClass && m.Augment == s.Augment
}

// describeDataset says what a prepared dataset holds, in one line.
func describeDataset(ds *dataset.Dataset) string {
	return fmt.Sprintf("%d training and %d test images of %s, %d×%d",
		ds.Train.N, ds.Test.N, strings.Join(ds.Meta.Classes, ", "), ds.Meta.ImageSize, ds.Meta.ImageSize)
}

// Train trains the CNN on ds with s.TrainConfig(p) on backend b, printing one
// line per epoch to Output. It resumes the run in p.Checkpoint when it can
// (unless s.Fresh, which replaces it). A run it cannot resume (trained on
// another dataset, or with settings it resumes only with: see
// train.ResumeError) is moved aside, not deleted, to a folder beside
// p.Checkpoint named after its model ID (e.g. data/checkpoints/cnn-20261207T101500Z,
// where the command line's -checkpoint still finds it), and a new run
// starts, saying so. Cancelling ctx (a kernel interrupt) saves a checkpoint
// and returns a Result with Interrupted set; running Train again resumes.
func Train(ctx context.Context, p Paths, s Settings, ds *dataset.Dataset, b backends.Backend) (*train.Result, error) {
	cfg := s.TrainConfig(p)
	fmt.Fprintf(Output, "train: %s, %d epochs on backend %s, checkpoint %s\n", describeDataset(ds), cfg.Epochs, backend.Name(b), p.Checkpoint)
	train.LimitMemory(ds)        // as the CLI does: keeps the pure-Go backend near 1 GB
	bar := display.NewProgress() // in a notebook, the epoch's progress, above the epoch lines
	opts := train.Options{
		Backend: b,
		OnStart: func(s train.Start) { printStart(s, cfg.Patience) },
		OnStep:  func(s train.Step) { bar.Update(s.Batch, s.Batches, s.String()) },
		OnEpoch: func(e train.Epoch) { fmt.Fprintln(Output, e.Line(cfg.Epochs)) },
		Logger:  quietLogger(),
	}
	defer bar.Done()
	res, err := train.Train(ctx, cfg, ds, opts)
	var re *train.ResumeError
	if errors.As(err, &re) {
		aside, merr := moveAside(p.Checkpoint)
		if merr != nil {
			re.Advice = "set Settings.Fresh to start a new run that replaces it (in a notebook: add settings.Fresh = true right after the cell's %%)"
			return nil, fmt.Errorf("%w (moving it aside failed: %v)", err, merr)
		}
		fmt.Fprintf(Output, "train: %s held a run %s: moved it to %s, starting a new run\n", p.Checkpoint, re.Reason, aside)
		res, err = train.Train(ctx, cfg, ds, opts)
	}
	if err != nil {
		return nil, err
	}
	if res.Interrupted {
		fmt.Fprintf(Output, "train: interrupted; checkpoint saved in %s: %s to resume\n", res.Dir, runAgain(cfg.Fresh))
	} else if res.Best.Epoch > 0 {
		fmt.Fprintf(Output, "train: %s\n", res.Summary())
	}
	return res, nil
}

// printStart says to Output what a training run starts from
// (train.Options.OnStart): nothing to train, a resumed run (at which epoch,
// and batch when it stopped within an epoch), or a new one, then what it
// trains on. patience is the run's Settings.Patience.
func printStart(s train.Start, patience int) {
	switch {
	case s.EarlyStopped:
		fmt.Fprintf(Output, "train: the last %d epochs in %s did not improve on the best one (Patience %d stops there): nothing to train (a higher Patience, or 0, trains on)\n", patience, s.Dir, patience)
		return
	case s.NothingToTrain():
		fmt.Fprintf(Output, "train: %s already holds %d epochs: nothing to train (more epochs, or Fresh, trains again)\n", s.Dir, s.Done)
		return
	case s.Resumed && s.Batch > 0:
		fmt.Fprintf(Output, "train: resuming the run in %s at epoch %d of %d, batch %d\n", s.Dir, s.Done+1, s.Epochs, s.Batch+1)
	case s.Resumed:
		fmt.Fprintf(Output, "train: resuming the run in %s at epoch %d of %d\n", s.Dir, s.Done+1, s.Epochs)
	case s.Replaced:
		fmt.Fprintf(Output, "train: Fresh: deleted the earlier run in %s\n", s.Dir)
	}
	if len(s.Changed) > 0 {
		fmt.Fprintf(Output, "train: the run goes on with other settings than it was last trained with: %s\n", strings.Join(s.Changed, ", "))
	}
	fmt.Fprintf(Output, "train: %s\n", s.Split())
}

// runAgain says how to resume an interrupted run: running again, which
// Fresh would start over.
func runAgain(fresh bool) string {
	if fresh {
		return "run again with Fresh unset"
	}
	return "run again"
}

// moveAside renames the checkpoint folder dir to a new folder beside it,
// named after the run's model ID (or dir's name and the time now when
// model.json does not say), and returns that folder. It holds dir's
// training lock meanwhile: a training started in dir since fails it.
func moveAside(dir string) (string, error) {
	dir = filepath.Clean(dir)
	unlock, err := dirlock.Lock(dir, train.LockFile, "a training")
	if err != nil {
		return "", err
	}
	defer unlock()
	name := model.NewID(dir, time.Now())
	if meta, err := model.LoadMeta(dir); err == nil && meta.ModelID != "" && meta.ModelID == filepath.Base(meta.ModelID) {
		name = meta.ModelID
	}
	for i := 1; ; i++ {
		aside := filepath.Join(filepath.Dir(dir), name)
		if i > 1 {
			aside += fmt.Sprintf("-%d", i)
		}
		switch _, err := os.Lstat(aside); {
		case errors.Is(err, fs.ErrNotExist):
			return aside, os.Rename(dir, aside)
		case err != nil:
			return "", err
		}
	}
}

// EnsureModel returns the metadata of the trained model in p.Checkpoint when
// it is a finished model for s: of s.Classes, in that order, at s.ImageSize,
// trained on the data p.Processed holds (when it holds any). When there is
// none, or the one there is for other classes or another size
// (ANIMALCNN_CLASSES changed since it was trained) or was trained on other
// data, it prepares the data (EnsurePrepared) and trains one with s on
// backend b (Train, which moves the other model aside), and says so; a run
// that was interrupted is resumed (Train) instead of used half-trained.
func EnsureModel(ctx context.Context, p Paths, s Settings, b backends.Backend) (*model.Meta, error) {
	meta, err := model.LoadMeta(p.Checkpoint)
	if err == nil {
		_, err = model.SnapshotDir(p.Checkpoint)
	}
	switch {
	case err != nil:
		fmt.Fprintf(Output, "model: no trained model in %s yet: training one (%d epochs)\n", p.Checkpoint, s.Epochs)
	case !slices.Equal(meta.Classes, s.Classes) || meta.ImageSize != s.ImageSize:
		fmt.Fprintf(Output, "model: %s holds a model of %s at %d×%d, not of %s at %d×%d as the settings ask: training one for these settings (%d epochs)\n",
			p.Checkpoint, strings.Join(meta.Classes, ", "), meta.ImageSize, meta.ImageSize, strings.Join(s.Classes, ", "), s.ImageSize, s.ImageSize, s.Epochs)
	case !train.Finished(meta):
		next := "finishing it"
		if s.Fresh {
			next = "training a new one (Settings.Fresh)"
		}
		fmt.Fprintf(Output, "model: the run in %s has not finished (%d of %v epochs trained, or not tested yet): %s\n",
			p.Checkpoint, int(meta.Metrics["epochs"]), meta.Hyperparameters["epochs"], next)
	case otherData(meta, p):
		fmt.Fprintf(Output, "model: %s was trained on other data than %s holds now: training one on it\n", p.Checkpoint, p.Processed)
	default:
		fmt.Fprintf(Output, "model: %s\n", describeModel(meta))
		return meta, nil
	}
	ds, err := EnsurePrepared(ctx, p, s)
	if err != nil {
		return nil, err
	}
	res, err := Train(ctx, p, s, ds, b)
	if err != nil {
		return nil, err
	}
	if res.Interrupted {
		return nil, fmt.Errorf("ensure model: training interrupted (checkpoint saved in %s: %s to resume)", res.Dir, runAgain(s.Fresh))
	}
	fmt.Fprintf(Output, "model: %s\n", describeModel(res.Meta))
	return res.Meta, nil
}

// otherData reports whether p.Processed holds a prepared dataset other than
// the one meta's model was trained on (false when it holds none: the model
// still serves predictions).
func otherData(meta *model.Meta, p Paths) bool {
	b, err := os.ReadFile(filepath.Join(p.Processed, dataset.MetaFile))
	if err != nil {
		return false
	}
	var dm struct {
		Hash string `json:"hash"`
	}
	return json.Unmarshal(b, &dm) == nil && dm.Hash != "" && dm.Hash != meta.DatasetHash
}

// describeModel says in one line which model a checkpoint holds.
func describeModel(m *model.Meta) string {
	line := fmt.Sprintf("%s, classes %s, %d×%d", m.ModelID, strings.Join(m.Classes, ", "), m.ImageSize, m.ImageSize)
	if acc, ok := m.Metrics["test_accuracy"]; ok {
		line += fmt.Sprintf(", test accuracy %.3f (epoch %d of %d)", acc, int(m.Metrics["best_epoch"]), int(m.Metrics["epochs"]))
	}
	if m.Backend != "" {
		line += ", trained on " + m.Backend
	}
	return line
}

// plural returns "1 epoch" or "3 epochs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
