package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/sigctx"
	"github.com/animalcnn/animalcnn/mlpkg/train"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func init() {
	register(&command{
		name:    "train",
		usage:   "[flags]",
		summary: "train the CNN on a prepared dataset (resumes an interrupted run; Ctrl-C saves and stops)",
		run:     runTrain,
	})
}

func runTrain(fs *flag.FlagSet, args []string) error {
	cfg := train.DefaultConfig()
	cfg.RegisterFlags(fs)
	backendSpec := backend.RegisterFlag(fs)
	logEvery := fs.Duration("log-every", time.Minute, "without a terminal (no progress bar): print a progress line this often within an epoch (0: none)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil { // before loading data and a backend
		return argsError{err}
	}
	if *logEvery < 0 {
		return argsError{fmt.Errorf("-log-every %v: want 0 (no progress lines) or more", *logEvery)}
	}
	ds, err := loadDataset(cfg.DataDir)
	if err != nil {
		return err
	}
	train.LimitMemory(ds)
	b, err := backend.New(*backendSpec)
	if err != nil {
		return err
	}
	// Ctrl-C: stop after the current step and save; a second one stops at once
	// (the last saved snapshot stays: snapshots are replaced atomically).
	ctx, stop := sigctx.Notify(context.Background(), func(os.Signal) {
		fmt.Fprintln(os.Stderr, "\nstopping after this step to save a checkpoint (press Ctrl-C again to stop now)")
	})
	defer stop()

	fmt.Printf("training on %d images (%d test) of %v, %d×%d, backend %s, checkpoint %s\n",
		ds.Train.N, ds.Test.N, ds.Meta.Classes, ds.Meta.ImageSize, ds.Meta.ImageSize, backend.Name(b), cfg.CheckpointDir)
	progress := &trainProgress{
		patience: cfg.Patience,
		epochs:   cfg.Epochs,
		out:      os.Stdout,
		log:      os.Stderr,
		showBar:  term.IsTerminal(int(os.Stderr.Fd())), // on a terminal; a log gets a line now and then
		logEvery: *logEvery,
		lastLine: time.Now(),
	}
	opts := train.Options{Backend: b, OnStart: progress.start, OnStep: progress.step, OnEpoch: progress.epoch}
	res, err := train.Train(ctx, cfg, ds, opts)
	progress.close()
	if err != nil {
		return withFlagAdvice(err)
	}
	if res.Interrupted {
		again := "run the same command again"
		if cfg.Fresh {
			again = "run the same command again without -fresh" // which would start over
		}
		return interruptedError{fmt.Errorf("interrupted: checkpoint saved in %s; %s to resume", res.Dir, again)}
	}
	fmt.Println(res.Summary())
	return nil
}

// trainProgress shows a training's progress on the terminal: what the run
// starts from, a progress bar per epoch (or, without a terminal, a line
// every logEvery), and each epoch's results.
type trainProgress struct {
	patience, epochs int       // the -patience and -epochs asked for
	out, log         io.Writer // results (stdout), progress lines (stderr)
	showBar          bool
	logEvery         time.Duration
	lastLine         time.Time                // of the last line printed, progress or epoch
	bar              *progressbar.ProgressBar // the current epoch's, if any
}

// start says what the run starts from (train.Options.OnStart).
func (p *trainProgress) start(s train.Start) {
	switch {
	case s.EarlyStopped:
		fmt.Fprintf(p.out, "%s: its last %d epoch(s) did not improve on the best one (-patience %d stops there): nothing to train; raise -patience (0: off) to train on, or pass -fresh\n",
			s.Dir, p.patience, p.patience)
		return
	case s.NothingToTrain():
		fmt.Fprintf(p.out, "%s already has %d epoch(s) (asked for %d): nothing to train; raise -epochs or pass -fresh\n",
			s.Dir, s.Done, s.Epochs)
		return
	case s.Resumed && s.Batch > 0:
		fmt.Fprintf(p.out, "resuming %s at epoch %d of %d (batch %d)\n", s.Dir, s.Done+1, s.Epochs, s.Batch+1)
	case s.Resumed:
		fmt.Fprintf(p.out, "resuming %s at epoch %d of %d\n", s.Dir, s.Done+1, s.Epochs)
	case s.Replaced:
		fmt.Fprintf(p.out, "-fresh: deleted the earlier run in %s\n", s.Dir)
	}
	if len(s.Changed) > 0 {
		fmt.Fprintf(p.out, "note: the run goes on with other settings than it was last trained with: %s\n", strings.Join(s.Changed, ", "))
	}
	fmt.Fprintln(p.out, s.Split())
}

// step moves the progress bar (train.Options.OnStep).
func (p *trainProgress) step(s train.Step) {
	if !p.showBar {
		// A log of a slow epoch (minutes on the pure-Go backend) still
		// shows that training goes on.
		if p.logEvery > 0 && time.Since(p.lastLine) >= p.logEvery {
			p.lastLine = time.Now()
			fmt.Fprintln(p.log, s)
		}
		return
	}
	if p.bar == nil || s.Batch == 1 {
		p.bar = newBar(s.Batches, fmt.Sprintf("epoch %d/%d", s.Epoch, s.Epochs))
	}
	p.bar.Describe(fmt.Sprintf("epoch %d/%d  loss %.4f  %.1f img/s", s.Epoch, s.Epochs, s.Loss, s.ImagesPerSecond))
	_ = p.bar.Set(s.Batch)
}

// epoch prints an epoch's results (train.Options.OnEpoch) on stdout, with
// the summary: "train > log" keeps them.
func (p *trainProgress) epoch(e train.Epoch) {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	fmt.Fprintln(p.out, e.Line(p.epochs))
	p.lastLine = time.Now() // the next progress line comes logEvery after it
}

// close clears a bar left mid-epoch (an interrupted or failed training)
// before the command says why.
func (p *trainProgress) close() {
	if p.bar != nil {
		_ = p.bar.Clear()
		_ = p.bar.Exit()
		p.bar = nil
	}
}

// withFlagAdvice returns train.Train's error err with its advice moved from
// train.Config's fields to this command's flags: -fresh and -checkpoint for
// a run that cannot be resumed, -lr for a training that diverged, -batch
// for too few images.
func withFlagAdvice(err error) error {
	var re *train.ResumeError
	if errors.As(err, &re) {
		re.Advice = "pass -fresh to start a new run that replaces it, or choose another -checkpoint directory"
	}
	if errors.Is(err, train.ErrDiverged) {
		return fmt.Errorf("%w (-lr sets the learning rate)", err)
	}
	if errors.Is(err, train.ErrTooFewImages) {
		return fmt.Errorf("%w (-batch sets the batch size)", err)
	}
	return err
}

// loadDataset reads a prepared dataset with an error that says what to do.
func loadDataset(dir string) (*dataset.Dataset, error) {
	ds, err := dataset.Load(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(dir, dataset.MetaFile)); serr == nil {
			// A part of the dataset is gone: say which.
			return nil, fmt.Errorf("%w: run \"animalcnn prepare\" again", err)
		}
		return nil, fmt.Errorf("no prepared dataset in %s: run \"animalcnn prepare\" first (or pass -data)", dir)
	}
	return ds, err
}

// terminalProgress returns, when stderr is a terminal, a progress function
// (dataset.Config.Progress's kind) that shows a bar described by desc on
// stderr, made at its first call, once the total is known; finish takes the
// bar away. Without a terminal, progress is nil.
func terminalProgress(desc string) (progress func(done, total int), finish func()) {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	progress = func(done, total int) {
		if bar == nil {
			bar = newBar(total, desc)
		}
		bar.Set(done) //nolint:errcheck
	}
	finish = func() {
		if bar != nil {
			bar.Close() //nolint:errcheck
		}
	}
	return progress, finish
}

// newBar returns a terminal progress bar on stderr for n steps.
func newBar(n int, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
	)
}
