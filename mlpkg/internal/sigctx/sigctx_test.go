//go:build unix

package sigctx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNotifySecondSignalKills runs this test binary again as a
// "server" that shuts down slowly after the first SIGTERM, and checks that a
// second SIGTERM ends it at once, by the signal's default action. (SIGTERM
// rather than Ctrl-C's SIGINT, which a shell without job control makes its
// background jobs ignore: an ignored signal stays ignored.)
func TestNotifySecondSignalKills(t *testing.T) {
	if os.Getenv("SIGCTX_CHILD") == "1" {
		if signal.Ignored(syscall.SIGTERM) {
			fmt.Println("SIGTERM is ignored")
			os.Exit(0)
		}
		ctx, stop := Notify(context.Background(), func(sig os.Signal) { fmt.Println("first signal:", sig) })
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		fmt.Println("shutting down")
		time.Sleep(20 * time.Second) // a slow graceful shutdown, which the second signal must cut
		fmt.Println("survived the second signal")
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNotifySecondSignalKills$")
	cmd.Env = append(os.Environ(), "SIGCTX_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck
	lines := bufio.NewScanner(out)
	var seen []string
	expect := func(want string) {
		t.Helper()
		for lines.Scan() {
			seen = append(seen, lines.Text())
			if lines.Text() == want {
				return
			}
		}
		if slices.Contains(seen, "SIGTERM is ignored") {
			t.Skip("SIGTERM is ignored in this environment")
		}
		t.Fatalf("the child never printed %q; it printed %q", want, seen)
	}
	expect("ready")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	expect("shutting down")
	if !slices.Contains(seen, "first signal: terminated") {
		t.Errorf("onSignal was not called with the signal before the context was done: %q", seen)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		if lines.Text() == "survived the second signal" {
			t.Error("the second SIGTERM was caught: the process kept shutting down")
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v, want killed by SIGTERM", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("child: %v, want killed by SIGTERM", err)
	}
}

// TestNotifyStop checks that stop cancels the context.
func TestNotifyStop(t *testing.T) {
	ctx, stop := Notify(context.Background(), func(os.Signal) { t.Error("no signal was sent") })
	stop()
	<-ctx.Done()
	stop() // twice is fine
}

// guardSignal keeps sig from ending the test binary while the test runs: a
// signal is delivered to every channel registered for it.
func guardSignal(t *testing.T, sig os.Signal) {
	t.Helper()
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, sig)
	t.Cleanup(func() { signal.Stop(ch) })
}

// waitDone waits for ctx to be done, failing the test after a while.
func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not cancel the context", what)
	}
}

// The signals given replace the default ones, and onSignal runs, with the
// signal, before the context is cancelled.
func TestNotifyGivenSignal(t *testing.T) {
	guardSignal(t, syscall.SIGUSR1)
	ctxs := make(chan context.Context, 1)
	type call struct {
		sig os.Signal
		err error // the context's, when onSignal ran
	}
	calls := make(chan call, 2)
	ctx, stop := Notify(context.Background(), func(sig os.Signal) {
		calls <- call{sig, (<-ctxs).Err()}
	}, syscall.SIGUSR1)
	defer stop()
	ctxs <- ctx
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	waitDone(t, ctx, "SIGUSR1")
	select {
	case c := <-calls:
		if c.sig != syscall.SIGUSR1 || c.err != nil {
			t.Errorf("onSignal(%v) ran with the context's error %v; want SIGUSR1, before the cancellation", c.sig, c.err)
		}
	default:
		t.Error("onSignal was not called")
	}
}

// onSignal may be nil.
func TestNotifyWithoutCallback(t *testing.T) {
	guardSignal(t, syscall.SIGUSR2)
	ctx, stop := Notify(context.Background(), nil, syscall.SIGUSR2)
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	waitDone(t, ctx, "SIGUSR2")
}

// The context is a child of parent: cancelling parent cancels it.
func TestNotifyParentCancelled(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	ctx, stop := Notify(parent, nil)
	defer stop()
	cancel()
	waitDone(t, ctx, "cancelling the parent")
}

// Once the parent is cancelled (a server stopped for another reason), a
// SIGTERM has its default effect again: it ends the process.
func TestNotifyReleasedWithParent(t *testing.T) {
	if os.Getenv("SIGCTX_CHILD") == "parent" {
		if signal.Ignored(syscall.SIGTERM) {
			fmt.Println("SIGTERM is ignored")
			os.Exit(0)
		}
		parent, cancel := context.WithCancel(context.Background())
		ctx, stop := Notify(parent, nil)
		defer stop()
		cancel()
		<-ctx.Done()
		// Notify's goroutine releases the signals soon after; until it
		// does, a SIGTERM is caught (and dropped). Once released, one ends
		// the process. Still catching them after 5 s is the failure.
		for range 50 {
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
			time.Sleep(100 * time.Millisecond)
		}
		fmt.Println("survived SIGTERM")
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNotifyReleasedWithParent$")
	cmd.Env = append(os.Environ(), "SIGCTX_CHILD=parent")
	out, err := cmd.Output()
	if strings.Contains(string(out), "SIGTERM is ignored") {
		t.Skip("SIGTERM is ignored in this environment")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v (%q), want killed by SIGTERM", err, out)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("child: %v (%q), want killed by SIGTERM", err, out)
	}
}
