package train

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// sameEpochs reports whether two histories hold the same figures (times
// compared as instants; NaN equal to NaN).
func sameEpochs(a, b []Epoch) bool {
	if len(a) != len(b) {
		return false
	}
	same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	for i := range a {
		x, y := a[i], b[i]
		if x.Epoch != y.Epoch || x.Step != y.Step || x.Validated != y.Validated || !x.Time.Equal(y.Time) ||
			!same(x.TrainLoss, y.TrainLoss) || !same(x.TrainAccuracy, y.TrainAccuracy) ||
			!same(x.ValLoss, y.ValLoss) || !same(x.ValAccuracy, y.ValAccuracy) ||
			!same(x.LearningRate, y.LearningRate) || !same(x.ImagesPerSecond, y.ImagesPerSecond) ||
			!same(x.FirstStepSeconds, y.FirstStepSeconds) || !same(x.Seconds, y.Seconds) {
			return false
		}
	}
	return true
}

// FuzzReadHistory reads arbitrary history.csv and last/state.json files, as
// a crash or an edit may leave them: ReadHistory and readState return an
// error or a history, never panic; a history is at most the file's rows,
// none past the epochs last/ holds; and what readHistoryFile reads, written
// back by writeHistory, reads back the same once written (the writer's form
// is a fixed point).
func FuzzReadHistory(f *testing.F) {
	when := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	seedDir := f.TempDir()
	if err := writeHistory(seedDir, []Epoch{
		{Epoch: 1, Step: 63, TrainLoss: 1.5, TrainAccuracy: 0.4, LearningRate: 1e-4, ImagesPerSecond: 250.5, FirstStepSeconds: 2.5, Seconds: 8, Time: when},
		{Epoch: 2, Step: 126, TrainLoss: 0.5, TrainAccuracy: 0.8, Validated: true, ValLoss: 0.6, ValAccuracy: 0.75, LearningRate: 9.99e-5, Seconds: 7, Time: when.Add(time.Minute)},
	}); err != nil {
		f.Fatal(err)
	}
	written, err := os.ReadFile(filepath.Join(seedDir, HistoryFile))
	if err != nil {
		f.Fatal(err)
	}
	st, _ := json.Marshal(state{Epoch: 2, Batch: 3, Done: batchFigures{Batches: 3, LossSum: 1.5, AccuracySum: 2}})
	f.Add(written, st)
	f.Add(written, []byte(`{"epoch":1}`))
	f.Add(written[:len(written)/2], []byte(`{"epoch":2,"batch":0}`))
	f.Add([]byte("epoch,step,train_loss,train_accuracy\n1,10,0.9,0.5\n"), []byte(`{"epoch":5}`))
	f.Add([]byte("epoch,step\n1,10\n2,\"20\n"), []byte(`{"epoch":2`))
	f.Add([]byte("epoch,val_accuracy,val_loss,time\nNaN,+Inf,1e400,2026-12-07T10:00:00.5+01:00\n"), []byte(`{"epoch":1e3}`))
	f.Add([]byte{}, []byte{})
	f.Add(written, []byte(`{"epoch":-1}`))
	f.Fuzz(func(t *testing.T, history, st []byte) {
		dir := writeCheckpointFiles(t, history, st)
		rows, rerr := readHistoryFile(dir)
		got, err := ReadHistory(dir)
		if err == nil {
			if rerr != nil || len(got) > len(rows) {
				t.Fatalf("ReadHistory: %d epochs, from a file that reads as %d (%v)", len(got), len(rows), rerr)
			}
			if s, ok, _ := readState(dir, model.LastDir); ok && len(got) > s.Epoch {
				t.Fatalf("ReadHistory: %d epochs, last/ holds %d", len(got), s.Epoch)
			}
		}
		if rerr != nil {
			return
		}
		if err := writeHistory(dir, rows); err != nil {
			t.Fatal(err)
		}
		once, err := readHistoryFile(dir)
		if err != nil {
			t.Fatalf("history written from %q does not read back: %v", history, err)
		}
		if err := writeHistory(dir, once); err != nil {
			t.Fatal(err)
		}
		twice, err := readHistoryFile(dir)
		if err != nil || !sameEpochs(once, twice) {
			t.Fatalf("history.csv read, written and read again: %+v, then %+v (%v)", once, twice, err)
		}
	})
}

// FuzzHistoryRoundTrip writes an epoch's figures with writeHistory and
// reads them back: the same figures (NaN and ±Inf included), the time to
// the second.
func FuzzHistoryRoundTrip(f *testing.F) {
	f.Add(1, int64(63), 1.5, 0.4, true, 0.6, 0.75, 1e-4, 250.5, 2.5, 8.0, int64(1796637600))
	f.Add(0, int64(0), math.NaN(), math.Inf(1), false, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, int64(0))
	f.Add(-3, int64(-1), math.Copysign(0, -1), 5e-324, true, math.Inf(-1), math.NaN(), 1e308, 0.1, 0.2, 0.3, int64(-62135596800))
	f.Fuzz(func(t *testing.T, epoch int, step int64, trainLoss, trainAcc float64, validated bool, valLoss, valAcc, lr, ips, first, secs float64, unix int64) {
		// Steps and epochs are counts: read back through a float64, exact
		// up to 2^53. Times: RFC 3339 years 0000 to 9999, in UTC.
		if step > 1<<53 || step < -1<<53 || int64(epoch) > 1<<53 || int64(epoch) < -1<<53 {
			t.Skip()
		}
		const minUnix, maxUnix = -62167219200, 253402300799 // 0000-01-01, 9999-12-31T23:59:59
		if unix < minUnix || unix > maxUnix {
			t.Skip()
		}
		e := Epoch{Epoch: epoch, Step: step, TrainLoss: trainLoss, TrainAccuracy: trainAcc, Validated: validated,
			LearningRate: lr, ImagesPerSecond: ips, FirstStepSeconds: first, Seconds: secs, Time: time.Unix(unix, 0).UTC()}
		if validated {
			e.ValLoss, e.ValAccuracy = valLoss, valAcc
		}
		dir := t.TempDir()
		if err := writeHistory(dir, []Epoch{e}); err != nil {
			t.Fatal(err)
		}
		got, err := readHistoryFile(dir)
		if err != nil || !sameEpochs(got, []Epoch{e}) {
			t.Fatalf("wrote %+v, read %+v (%v)", e, got, err)
		}
	})
}
