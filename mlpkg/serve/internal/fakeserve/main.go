// Command fakeserve runs the web server with the fake mean-colour classifier
// (red → monkey, green → boar, blue → crow) instead of a trained model: for
// trying the page, the browser test and the load bench without a checkpoint.
//
//	go run ./mlpkg/serve/internal/fakeserve -addr 127.0.0.1:8080
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/animalcnn/animalcnn/mlpkg/internal/sigctx"
	"github.com/animalcnn/animalcnn/mlpkg/serve"
	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

func main() {
	fs := flag.NewFlagSet("fakeserve", flag.ExitOnError)
	cfg := serve.DefaultConfig()
	cfg.RegisterFlags(fs)
	delay := fs.Duration("delay", 0, "time each fake prediction takes")
	_ = fs.Parse(os.Args[1:])
	cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cl := fake.New()
	cl.Delay = *delay
	ctx, stop := sigctx.Notify(context.Background(), nil) // a second Ctrl-C stops at once
	defer stop()
	if err := serve.ListenAndServe(ctx, cfg, cl); err != nil {
		fmt.Fprintln(os.Stderr, "fakeserve:", err)
		os.Exit(1)
	}
}
