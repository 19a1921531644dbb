package serve

import (
	"log/slog"
	"testing"
)

// TestSlogLevel: request logs are errors only for server faults; a 503
// (every place taken, as designed under load) is a warning, like the
// client errors.
func TestSlogLevel(t *testing.T) {
	for status, want := range map[int]slog.Level{
		200: slog.LevelInfo, 304: slog.LevelInfo, 404: slog.LevelWarn, 413: slog.LevelWarn,
		503: slog.LevelWarn, 500: slog.LevelError, 502: slog.LevelError,
	} {
		if got := slogLevel(status); got != want {
			t.Errorf("slogLevel(%d) = %v, want %v", status, got, want)
		}
	}
}
