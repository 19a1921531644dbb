package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// history.csv reads back as written: validated and unvalidated epochs,
// times included; a file of an older version without some columns reads
// with zeros there; a damaged cell is an error naming its row and column,
// never a silent zero in the plots and in the best epoch.
func TestReadHistoryFile(t *testing.T) {
	dir := t.TempDir()
	when := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	want := []Epoch{
		{Epoch: 1, Step: 63, TrainLoss: 1.5, TrainAccuracy: 0.4, LearningRate: 1e-4, ImagesPerSecond: 250.5, FirstStepSeconds: 2.5, Seconds: 8, Time: when},
		{Epoch: 2, Step: 126, TrainLoss: 0.5, TrainAccuracy: 0.8, Validated: true, ValLoss: 0.6, ValAccuracy: 0.75, LearningRate: 9.99e-5, Seconds: 7, Time: when.Add(time.Minute)},
	}
	if err := writeHistory(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := readHistoryFile(dir)
	if err != nil || len(got) != len(want) {
		t.Fatalf("read %d epochs (%v), want %d", len(got), err, len(want))
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) {
			t.Errorf("epoch %d: time %v, want %v", i+1, got[i].Time, want[i].Time)
		}
		got[i].Time = want[i].Time
		if got[i] != want[i] {
			t.Errorf("epoch %d: read %+v, want %+v", i+1, got[i], want[i])
		}
	}

	path := filepath.Join(dir, HistoryFile)
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("epoch,step,train_loss,train_accuracy\n1,10,0.9,0.5\n")
	if got, err := readHistoryFile(dir); err != nil || len(got) != 1 || got[0].TrainLoss != 0.9 || got[0].Validated || !got[0].Time.IsZero() {
		t.Errorf("an older history.csv: %+v, %v", got, err)
	}
	for damaged, wantErr := range map[string]string{
		"epoch,step,train_loss\n1,10,0.9\n2,20,lots\n":   `row 3, train_loss "lots" is not a number`,
		"epoch,val_accuracy\n1,0.5\n2,x\n":               `row 3, val_accuracy "x" is not a number`,
		"epoch,time\n1,yesterday\n":                      `row 2, time "yesterday" is not an RFC 3339 time`,
		"epoch,step\n1,10\n2,\"20\n":                     "read history " + path, // a torn quote
		"epoch,train_accuracy\n1,0.5\n1e,0.6\n2,0.7\n":   `row 3, epoch "1e" is not a number`,
		"epoch,train_accuracy\n1,0.5\nNaNa,0.6\n2,0.7\n": `row 3, epoch "NaNa"`,
	} {
		write(damaged)
		if got, err := readHistoryFile(dir); err == nil || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: %+v, %v; want an error saying %s", damaged, got, err, wantErr)
		}
	}
}

// An epoch's line shows its figures; an epoch with no step to time (resumed
// at its last batch) shows no speed rather than "0 img/s".
func TestEpochLine(t *testing.T) {
	e := Epoch{Epoch: 3, TrainLoss: 0.25, TrainAccuracy: 0.9, Validated: true, ValLoss: 0.3, ValAccuracy: 0.875, ImagesPerSecond: 200.4, Seconds: 11}
	if got, want := e.Line(10), "epoch  3/10  train loss 0.2500 acc 0.900  |  val loss 0.3000 acc 0.875  |  200 img/s, 11 s"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	e.NewBest = true
	if got, want := e.Line(10), "epoch  3/10  train loss 0.2500 acc 0.900  |  val loss 0.3000 acc 0.875  |  200 img/s, 11 s  ← best"; got != want {
		t.Errorf("Line of a new best epoch = %q, want %q", got, want)
	}
	// Without validation every epoch is the newest best: no arrow.
	e.Validated, e.ImagesPerSecond, e.Seconds = false, 0, 1
	if got, want := e.Line(10), "epoch  3/10  train loss 0.2500 acc 0.900  |  – img/s, 1 s"; got != want {
		t.Errorf("Line without a timed step = %q, want %q", got, want)
	}
}

// A state.json with a negative epoch or batch (damaged or edited) is an
// error naming the file, for ReadHistory as for a resume, never a panic
// (ReadHistory sliced the history up to the epoch).
func TestReadHistoryNegativePosition(t *testing.T) {
	for _, st := range []string{`{"epoch":-1}`, `{"epoch":1,"batch":-2}`} {
		dir := writeCheckpointFiles(t, []byte("epoch,step\n1,10\n"), []byte(st))
		path := filepath.Join(dir, model.LastDir, stateFile)
		if got, err := ReadHistory(dir); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %+v, %v; want an error naming %s", st, got, err, path)
		}
	}
}

// writeCheckpointFiles writes history.csv and last/state.json into a new
// checkpoint directory (a nil content: no such file).
func writeCheckpointFiles(t *testing.T, history, state []byte) string {
	t.Helper()
	dir := t.TempDir()
	if history != nil {
		if err := os.WriteFile(filepath.Join(dir, HistoryFile), history, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if state != nil {
		if err := os.MkdirAll(filepath.Join(dir, model.LastDir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, model.LastDir, stateFile), state, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
