// Command gotrain trains the project's CNN (mlpkg/model through mlpkg/train)
// on one GoMLX backend (chosen by mlpkg/backend) and prints the training benchmark's JSON report, the
// same fields as bench/train/common.py writes for PyTorch and Keras:
// images_per_sec (steady, after the first step), first_step_s, peak_rss_mib
// and test_accuracy. bench/train/run.sh and run_gpu.sh call it.
//
// Usage:
//
//	gotrain -data DIR [-backend go|xla:cpu|xla:cuda] [-epochs 3] [-batch 32] [-seed 1] [-formulation im2col|native] [-variant LABEL] [-out FILE] [-cpuprofile FILE]
//	gotrain -available     # JSON list of the backends installed here
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

// report is one benchmark row; the field names match bench/train/common.py.
type report struct {
	Framework     string           `json:"framework"`
	Version       string           `json:"framework_version"`
	Backend       string           `json:"backend"`
	Variant       string           `json:"variant,omitempty"`
	BatchSize     int              `json:"batch_size"`
	Epochs        int              `json:"epochs"`
	Seed          int64            `json:"seed"`
	Threads       int              `json:"threads"`
	NTrain        int              `json:"n_train"`
	NTest         int              `json:"n_test"`
	ImagesPerSec  float64          `json:"images_per_sec"`
	FirstStepS    float64          `json:"first_step_s"`
	PeakRSSMiB    float64          `json:"peak_rss_mib"`
	TestAccuracy  float64          `json:"test_accuracy"`
	TrainSeconds  float64          `json:"train_seconds"`
	History       []map[string]any `json:"history"`
	Data          string           `json:"data"`
	GoVersion     string           `json:"go"`
	XLAFlags      string           `json:"xla_flags,omitempty"`
	BackendDetail string           `json:"backend_detail,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "gotrain: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("gotrain", flag.ContinueOnError)
	dataDir := fs.String("data", "data/processed", "folder with the prepared arrays (train_images.npy, …, dataset.json)")
	be := backend.RegisterFlag(fs)
	epochs := fs.Int("epochs", 3, "training epochs")
	batch := fs.Int("batch", 32, "batch size")
	seed := fs.Int64("seed", 1, "random seed")
	out := fs.String("out", "", "also write the JSON report to this file")
	formulation := fs.String("formulation", "", `"im2col" or "native" (default: the fastest measured on the backend)`)
	variant := fs.String("variant", "", `label for this run's row in the table, e.g. "warm cache"`)
	available := fs.Bool("available", false, "print the installed backends as JSON and exit")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the training to this file (go tool pprof)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if *available {
		return printJSON(backend.Available(), "")
	}

	ds, err := dataset.Load(*dataDir)
	if err != nil {
		return err
	}
	train.LimitMemory(ds) // as the CLI does
	b, err := backend.New(*be)
	if err != nil {
		return err
	}
	defer b.Finalize()
	ckpt, err := os.MkdirTemp("", "gotrain-ckpt-")
	if err != nil {
		return fmt.Errorf("checkpoint dir: %w", err)
	}
	defer os.RemoveAll(ckpt)

	cfg := train.DefaultConfig()
	cfg.DataDir = *dataDir
	cfg.CheckpointDir = ckpt
	cfg.Fresh = true
	cfg.Epochs = *epochs
	cfg.BatchSize = *batch
	cfg.Seed = *seed
	cfg.Model.Formulation = model.Formulation(*formulation)
	// Like the PyTorch and Keras programs: train on the whole training split,
	// and test the model of the last epoch.
	cfg.ValidationFraction = 0

	// Steady throughput with common.py's definition: images after the first
	// step over the wall time after it, counting training steps only (the
	// evaluation and checkpoint between epochs are left out): within each
	// epoch, from the end of its first step to the end of its last.
	var clock stepClock
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	start := time.Now()
	res, err := train.Train(context.Background(), cfg, ds, train.Options{
		Backend: b,
		OnStep:  func(s train.Step) { clock.step(s.Epoch, *batch) },
	})
	if err != nil {
		return err
	}
	if len(res.History) == 0 || res.Test == nil {
		return fmt.Errorf("training ran no epoch")
	}

	r := report{
		Framework: "gomlx", Version: gomlxVersion(), Backend: backend.Name(b), Variant: *variant,
		BatchSize: *batch, Epochs: *epochs, Seed: *seed, Threads: runtime.GOMAXPROCS(0),
		NTrain: ds.Train.N, NTest: ds.Test.N,
		ImagesPerSec: round(clock.imagesPerSec(), 2),
		FirstStepS:   round(res.History[0].FirstStepSeconds, 3),
		TestAccuracy: round(res.Test.Accuracy, 4),
		Data:         absPath(*dataDir), GoVersion: runtime.Version(), XLAFlags: os.Getenv("XLA_FLAGS"),
		BackendDetail: b.Description(),
	}
	for _, h := range res.History {
		r.History = append(r.History, map[string]any{
			"epoch": h.Epoch, "train_loss": round(h.TrainLoss, 4), "train_accuracy": round(h.TrainAccuracy, 4),
			"seconds": round(h.Seconds, 2),
		})
	}
	r.TrainSeconds = round(time.Since(start).Seconds(), 2)
	r.PeakRSSMiB = round(peakRSSMiB(), 1)
	return printJSON(r, *out)
}

// stepClock accumulates, per epoch, the images and wall time after the
// epoch's first step.
type stepClock struct {
	epoch        int
	first, last  time.Time
	images       int
	doneImages   int
	doneDuration time.Duration
}

func (c *stepClock) step(epoch, batch int) {
	now := time.Now()
	if epoch != c.epoch {
		c.flush()
		c.epoch, c.first, c.last, c.images = epoch, now, now, 0
		return
	}
	c.last = now
	c.images += batch
}

func (c *stepClock) flush() {
	c.doneImages += c.images
	c.doneDuration += c.last.Sub(c.first)
	c.images = 0
	c.first = c.last
}

func (c *stepClock) imagesPerSec() float64 {
	c.flush()
	if c.doneDuration <= 0 {
		return 0 // JSON has no NaN
	}
	return float64(c.doneImages) / c.doneDuration.Seconds()
}

// startCPUProfile starts Go's CPU profiler writing to path; the returned
// function stops it and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "gotrain: cpu profile: %v\n", err)
		}
	}, nil
}

// gomlxVersion returns the GoMLX module version this binary was built with.
func gomlxVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/gomlx/gomlx" {
				return d.Version
			}
		}
	}
	return "unknown"
}

func printJSON(v any, path string) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	b = append(b, '\n')
	os.Stdout.Write(b)
	if path != "" {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
