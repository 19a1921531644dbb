package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/animalcnn/animalcnn/mlpkg/fashion"
	"github.com/animalcnn/animalcnn/mlpkg/internal/sigctx"
)

func init() {
	register(&command{
		name:    "import-fashion",
		usage:   "[flags]",
		summary: "write Fashion-MNIST pictures (Debian's dataset-fashion-mnist) as data/images/<class>/*.png",
		run:     runImportFashion,
	})
}

func runImportFashion(fs *flag.FlagSet, args []string) error {
	cfg := fashion.DefaultConfig()
	cfg.RegisterFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return argsError{err}
	}
	ctx, stop := sigctx.Notify(context.Background(), func(os.Signal) {
		fmt.Fprintln(os.Stderr, "\nstopping: saving the pictures written so far to disk (press Ctrl-C again to stop now)")
	})
	defer stop()
	sum, err := fashion.Import(ctx, cfg)
	if errors.Is(err, context.Canceled) {
		return interruptedError{errors.New("interrupted; the pictures written so far are complete: rerun the same command to resume")}
	}
	if err != nil {
		return err
	}
	fmt.Print(sum)
	return nil
}
