package serve

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// SignalContext returns a copy of parent that is cancelled by the first of
// sigs (os.Interrupt and SIGTERM when none are given): the context to pass
// to ListenAndServe or Serve. Unlike signal.NotifyContext it stops catching
// the signals as soon as the first one arrives, so a second one has its
// default effect: a second Ctrl-C ends the process at once instead of
// waiting for a graceful shutdown that may take Config.ShutdownTimeout.
// onSignal, when not nil, is called once with the first signal before ctx is
// cancelled, e.g. to print "press Ctrl-C again to stop now". stop cancels
// ctx and releases the signals; call it when done.
func SignalContext(parent context.Context, onSignal func(os.Signal), sigs ...os.Signal) (ctx context.Context, stop context.CancelFunc) {
	if len(sigs) == 0 {
		sigs = []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch) // from here on a signal has its default effect
			if onSignal != nil {
				onSignal(sig)
			}
			cancel()
		case <-ctx.Done():
			signal.Stop(ch)
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel()
	}
}
