package train

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/model"
)

var errCrash = errors.New("simulated crash")

// crashCase is a point at the end of an epoch where Train is stopped as a
// crash would stop it (see crashHook).
type crashCase struct {
	point string
	epoch int
}

// TestCrashPointsResumeExactly stops a 2-epoch run after each write at the
// end of an epoch (history.csv, last/, best/, model.json), as a crash would,
// runs Train again, and checks that the result is the uninterrupted run's:
// the same history (no epoch trained twice: the global steps match), the
// same epoch in best/ and the same test predictions.
func TestCrashPointsResumeExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	// "renamed last": between a save's two renames (last/ → last.old, then
	// the new snapshot → last/), which leaves last.old only.
	testCrashPoints(t, []crashCase{{"history", 1}, {"last", 1}, {"best", 1}, {"meta", 1}, {"history", 2},
		{"renamed last", 1}, {"renamed last", 2}, {"renamed best", 2}})
}

// TestCrashAfterLastEpochIsFinished stops a run after its last epoch's
// writes and before or during its test evaluation (point "test"): running
// Train again has nothing to train, but must still test best/ and record the
// figures in model.json.
func TestCrashAfterLastEpochIsFinished(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	testCrashPoints(t, []crashCase{{"last", 2}, {"best", 2}, {"meta", 2}, {"test", 2}})
}

func testCrashPoints(t *testing.T, cases []crashCase) {
	t.Helper()
	ds := patternDataset(3, 40)
	b := goBackend(t)
	config := func(dir string) Config {
		cfg := testConfig(dir)
		cfg.Epochs = 2
		return cfg
	}
	whole, err := Train(context.Background(), config(t.TempDir()), ds, Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { crashHook = nil })
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s-%d", c.point, c.epoch), func(t *testing.T) {
			dir := t.TempDir()
			crashed := false
			crashHook = func(point string, epoch int) error {
				if point == c.point && epoch == c.epoch {
					crashed = true
					return errCrash
				}
				return nil
			}
			_, err := Train(context.Background(), config(dir), ds, Options{Backend: b})
			crashHook = nil
			if !crashed {
				if err != nil {
					t.Fatal(err)
				}
				// Training is deterministic: the uninterrupted run improved
				// at this epoch, or the case would prove nothing.
				t.Fatalf("epoch %d did not improve: no write of best/ to crash after (pick another epoch)", c.epoch)
			}
			if !errors.Is(err, errCrash) {
				t.Fatalf("crashed run: %v", err)
			}
			// What a notebook shows between the crash and the next run:
			// the epochs last/ holds, not a row written just before the crash.
			st, _, err := readState(dir, model.LastDir)
			if disk, herr := ReadHistory(dir); herr != nil || err != nil || len(disk) != st.Epoch {
				t.Errorf("after the crash: ReadHistory gives %d epochs (err %v), last/ holds %d (err %v)", len(disk), herr, st.Epoch, err)
			}
			res, err := Train(context.Background(), config(dir), ds, Options{Backend: b})
			if err != nil {
				t.Fatalf("run after the crash: %v", err)
			}
			checkSameRun(t, whole, res)
		})
	}
}

// checkSameRun fails unless res, and its checkpoint directory, is the run whole.
func checkSameRun(t *testing.T, whole, res *Result) {
	t.Helper()
	if len(res.History) != len(whole.History) {
		t.Fatalf("history of %d epochs, want %d", len(res.History), len(whole.History))
	}
	for i, w := range whole.History {
		r := res.History[i]
		if r.Step != w.Step || r.TrainLoss != w.TrainLoss || r.ValLoss != w.ValLoss || r.ValAccuracy != w.ValAccuracy {
			t.Errorf("epoch %d: step %d, train loss %v, val loss %v, accuracy %v; uninterrupted: %d, %v, %v, %v",
				i+1, r.Step, r.TrainLoss, r.ValLoss, r.ValAccuracy, w.Step, w.TrainLoss, w.ValLoss, w.ValAccuracy)
		}
	}
	disk, err := ReadHistory(res.Dir)
	if err != nil || len(disk) != len(whole.History) {
		t.Errorf("%s: %d rows (err %v), want %d", HistoryFile, len(disk), err, len(whole.History))
	}
	st, ok, err := readState(res.Dir, model.BestDir)
	if err != nil || !ok || st.Epoch != whole.Best.Epoch || res.Best.Epoch != whole.Best.Epoch {
		t.Errorf("best/ holds epoch %d (ok %v, err %v), result says %d; uninterrupted: %d", st.Epoch, ok, err, res.Best.Epoch, whole.Best.Epoch)
	}
	if best, _ := BestEpoch(disk); best.Epoch != whole.Best.Epoch {
		t.Errorf("BestEpoch(history) = %d, want %d", best.Epoch, whole.Best.Epoch)
	}
	if res.Test == nil {
		t.Fatal("no test evaluation")
	}
	for i, p := range whole.Test.Probabilities {
		if !slices.Equal(p, res.Test.Probabilities[i]) {
			t.Fatalf("test image %d: probabilities %v uninterrupted, %v after the crash", i, p, res.Test.Probabilities[i])
		}
	}
	meta, err := model.LoadMeta(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"epochs", "best_epoch", "val_accuracy", "test_accuracy", "test_loss"} {
		if meta.Metrics[k] != whole.Meta.Metrics[k] {
			t.Errorf("model.json %s = %v, want %v", k, meta.Metrics[k], whole.Meta.Metrics[k])
		}
	}
}
