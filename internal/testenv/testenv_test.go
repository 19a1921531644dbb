package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// SkipMissing skips, or with RequireAllEnv=1 fails: run in a child process,
// as a failing test would fail this one.
func TestSkipMissing(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		SkipMissing(t, "the widget is not installed")
		return
	}
	for require, want := range map[string]string{
		"":  "--- SKIP: TestSkipMissing",
		"1": "--- FAIL: TestSkipMissing",
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSkipMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", RequireAllEnv+"="+require)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), want) || !strings.Contains(string(out), "the widget is not installed") {
			t.Errorf("%s=%q: want %q and the reason in:\n%s", RequireAllEnv, require, want, out)
		}
	}
}
