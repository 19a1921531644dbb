package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
)

// makeTemporaries fills dir with what a killed Train leaves (temporary
// snapshot folders, atomicfile's temporary files) and with files of others,
// and returns the names of the latter.
func makeTemporaries(t *testing.T, dir string) (others []string) {
	t.Helper()
	for _, d := range []string{".last-tmp-123", ".best-tmp-456", "notes"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d, "checkpoint-n0000001-20260101-000000-step-00000001.bin"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{".model.json.tmp789", ".history.csv.tmp1", "evaluation.json", ".last-notes"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{".last-notes", "evaluation.json", "notes"}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// The temporaries of a killed run are removed when Train starts, and by
// -fresh (removeRun); nothing else is.
func TestTrainRemovesTemporariesOfKilledRuns(t *testing.T) {
	dir := t.TempDir()
	others := makeTemporaries(t, dir)
	if removed, err := removeRun(dir); err != nil || removed {
		t.Fatalf("removeRun: removed %v (temporaries are not a run), err %v", removed, err)
	}
	if got := entries(t, dir); !slices.Equal(got, others) {
		t.Errorf("after removeRun: %v, want %v", got, others)
	}

	dir = t.TempDir()
	others = makeTemporaries(t, dir)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel() // stops before the first step: the test trains nothing
	res, err := Train(cancelled, testConfig(dir), patternDataset(1, 30), Options{Backend: goBackend(t)})
	if err != nil || !res.Interrupted {
		t.Fatalf("interrupted %v, err %v", res != nil && res.Interrupted, err)
	}
	var left []string
	for _, name := range entries(t, dir) {
		if name != "last" && name != "model.json" && name != LockFile {
			left = append(left, name)
		}
	}
	if !slices.Equal(left, others) {
		t.Errorf("after Train: %v (besides last/, model.json and %s), want %v", left, LockFile, others)
	}
}

// A Train on a checkpoint directory another one holds (here, in this
// process: flock locks are per open file) stops at once, saying so, and
// leaves the directory alone: the other's snapshots in progress stay.
func TestTrainRefusesABusyCheckpointDirectory(t *testing.T) {
	dir := t.TempDir()
	unlock, err := dirlock.Lock(dir, LockFile, "a training")
	if err != nil {
		t.Fatal(err)
	}
	inProgress := filepath.Join(dir, ".last-tmp-123")
	if err := os.Mkdir(inProgress, 0o755); err != nil {
		t.Fatal(err)
	}
	ds, b := patternDataset(1, 30), goBackend(t)
	_, err = Train(context.Background(), testConfig(dir), ds, Options{Backend: b})
	if !errors.Is(err, dirlock.ErrBusy) || !strings.Contains(err.Error(), "in use by a training") {
		t.Errorf("Train on a held directory: %v, want dirlock.ErrBusy", err)
	}
	if _, err := os.Stat(inProgress); err != nil {
		t.Errorf("the other training's snapshot in progress: %v", err)
	}
	unlock()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(cancelled, testConfig(dir), ds, Options{Backend: b}); err != nil {
		t.Errorf("Train once the directory is free: %v", err)
	}
}
