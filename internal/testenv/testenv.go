// Package testenv lets a test skip what this machine lacks (a PJRT plugin,
// Debian's dataset, NumPy, Node.js and Chromium), except where the
// project's test script has installed all of it: there
// (ANIMALCNN_REQUIRE_ALL=1, which scripts/test.sh sets) such a skip fails
// the test instead, so that a set-up step that broke cannot make CI pass by
// skipping the tests that need it.
package testenv

import (
	"os"
	"testing"
)

// RequireAllEnv names the environment variable that turns SkipMissing's
// skips into failures when it is "1".
const RequireAllEnv = "ANIMALCNN_REQUIRE_ALL"

// SkipMissing skips t because something the set-up installs is missing (why
// says what, and how to install it), or fails it when RequireAllEnv is "1".
func SkipMissing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("%s (%s=1: the set-up should have installed it)", why, RequireAllEnv)
	}
	t.Skip(why)
}
