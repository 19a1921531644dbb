// Package sigctx is the commands' Ctrl-C: a context cancelled by the first
// interrupt, after which a second one ends the process at once.
package sigctx

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Notify returns a copy of parent that is cancelled by the first of sigs
// (os.Interrupt and SIGTERM when none are given). Unlike
// signal.NotifyContext it stops catching the signals as soon as the first
// one arrives, so a second one has its default effect: a second Ctrl-C ends
// the process at once instead of waiting for a graceful stop (a server's
// shutdown, a training step and its checkpoint).
// onSignal, when not nil, is called once with the first signal before ctx is
// cancelled, e.g. to print "press Ctrl-C again to stop now". stop cancels
// ctx and releases the signals; call it when done.
func Notify(parent context.Context, onSignal func(os.Signal), sigs ...os.Signal) (ctx context.Context, stop context.CancelFunc) {
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
