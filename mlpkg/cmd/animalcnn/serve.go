package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/internal/sigctx"
	"github.com/animalcnn/animalcnn/mlpkg/serve"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

func init() {
	register(&command{
		name:    "serve",
		usage:   "[flags]",
		summary: "serve the classifier: upload page on /, JSON API on /api/predict (stops gracefully on SIGINT/SIGTERM; a second Ctrl-C stops at once)",
		run:     runServe,
	})
}

func runServe(fs *flag.FlagSet, args []string) error {
	checkpoint := fs.String("checkpoint", train.DefaultConfig().CheckpointDir, "checkpoint directory (output of train)")
	backendSpec := backend.RegisterFlag(fs)
	cfg := serve.DefaultConfig()
	cfg.RegisterFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil { // fail fast, before loading the model
		return argsError{err}
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))

	// Listen before loading the model, so that a busy port fails at once.
	ln, err := net.Listen("tcp", cfg.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is already in use (another server running?): choose another address with -addr, e.g. -addr 127.0.0.1:8081 (port 0: any free port)", cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("listen on %s (-addr): %w", cfg.Addr, err)
	}
	p, err := loadPredictor(*checkpoint, *backendSpec)
	if err != nil {
		ln.Close()
		return err
	}
	// The first Ctrl-C (or SIGTERM) starts a graceful shutdown; signals are
	// no longer caught after it, so a second Ctrl-C ends the process at once.
	ctx, stop := sigctx.Notify(context.Background(), func(os.Signal) {
		fmt.Printf("Stopping: finishing the requests in progress (at most %s); press Ctrl-C again to stop now\n", cfg.ShutdownTimeout)
	})
	defer stop()
	// serve.Serve warms the model up, then accepts: say where to go then.
	return serve.Serve(ctx, &announcingListener{Listener: ln}, cfg, p)
}

// announcingListener prints the server's URL when the server first asks
// for a connection, i.e. once it is ready.
type announcingListener struct {
	net.Listener
	once sync.Once
}

func (l *announcingListener) Accept() (net.Conn, error) {
	l.once.Do(func() { fmt.Println(servingLine(l.Addr())) })
	return l.Listener.Accept()
}

// servingLine says where the server listening on addr is reached: a server
// listening on every interface is reached on localhost here, and from
// other machines too.
func servingLine(addr net.Addr) string {
	url, where := "http://"+addr.String(), ""
	if host, port, err := net.SplitHostPort(addr.String()); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			host, where = "localhost", ", on every network interface: other machines reach it too"
		}
		url = "http://" + net.JoinHostPort(host, port)
	}
	return fmt.Sprintf("Serving on %s%s (Ctrl-C to stop)", url, where)
}
