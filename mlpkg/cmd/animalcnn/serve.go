package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/serve"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

func init() {
	register(&command{
		name:    "serve",
		usage:   "[flags]",
		summary: "serve the classifier: upload page on /, JSON API on /api/predict (stops gracefully on SIGINT/SIGTERM)",
		run:     runServe,
	})
}

func runServe(args []string) error {
	fs := newFlagSet(commands["serve"])
	checkpoint := fs.String("checkpoint", train.DefaultConfig().CheckpointDir, "checkpoint directory (output of train)")
	backendSpec := backend.RegisterFlag(fs)
	cfg := serve.DefaultConfig()
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil { // fail fast, before loading the model
		return err
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))

	p, err := loadPredictor(*checkpoint, *backendSpec)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve.ListenAndServe(ctx, cfg, p)
}
