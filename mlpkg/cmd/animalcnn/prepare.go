package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/sigctx"
	"github.com/animalcnn/animalcnn/mlpkg/model"
)

func init() {
	register(&command{
		name:    "prepare",
		usage:   "[flags]",
		summary: "decode, split and augment data/images into NumPy arrays in data/processed",
		run:     runPrepare,
	})
}

func runPrepare(fs *flag.FlagSet, args []string) error {
	cfg := dataset.DefaultConfig()
	cfg.RegisterFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	// The arrays are for the CNN: refuse a size it cannot take now (before
	// dataset's wider bounds), not after a long prepare.
	if err := model.CheckImageSize(cfg.ImageSize); err != nil {
		return argsError{fmt.Errorf("-size %d: %w", cfg.ImageSize, err)}
	}
	if err := cfg.Validate(); err != nil {
		return argsError{err}
	}
	if flagsSet(fs, "test-per-class", "test-fraction") && cfg.TestPerClass > 0 {
		return argsError{errors.New("-test-per-class and -test-fraction are two ways to choose the test split: give one")}
	}
	ctx, stop := sigctx.Notify(context.Background(), func(os.Signal) {
		fmt.Fprintf(os.Stderr, "\nstopping: %s is left as it was (press Ctrl-C again to stop now)\n", cfg.DataDir)
	})
	defer stop()
	progress, closeBar := terminalProgress("decoding photos")
	cfg.Progress = progress
	sum, err := dataset.Prepare(ctx, cfg)
	closeBar()
	if errors.Is(err, context.Canceled) {
		return interruptedError{errors.New("interrupted, nothing written")}
	}
	if err != nil {
		return err
	}
	fmt.Print(sum)
	return nil
}
