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
