package train

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// HistoryFile is the per-epoch metrics file in a checkpoint directory (CSV, one row per epoch).
const HistoryFile = "history.csv"

// Epoch holds one epoch's metrics: a row of history.csv.
type Epoch struct {
	// Epoch counts from 1; Step is the number of training steps (batches)
	// taken since the start of the run, this epoch's included.
	Epoch int   `json:"epoch"`
	Step  int64 `json:"step"`
	// TrainLoss (the mean batch loss) and TrainAccuracy cover all the
	// epoch's batches, also when it was interrupted and resumed (from a
	// snapshot of an older version: only the batches after the resume).
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	// Validated tells whether ValLoss and ValAccuracy were measured: on the
	// photos held out of training (Config.ValidationFraction), never on the
	// test split.
	Validated   bool    `json:"validated"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	// LearningRate is RMSprop's at the end of the epoch (Config.Decay
	// lowers it step by step).
	LearningRate float64 `json:"learning_rate"`
	// ImagesPerSecond is the training throughput, leaving out the epoch's
	// first step, whose duration is FirstStepSeconds (on a run's first
	// epoch, graph building and compilation).
	ImagesPerSecond  float64 `json:"images_per_second"`
	FirstStepSeconds float64 `json:"first_step_seconds"`
	// Seconds is the training time of the epoch, validation left out (of
	// an epoch resumed after an interruption: since the resume); Time
	// when it ended (UTC).
	Seconds float64   `json:"seconds"`
	Time    time.Time `json:"time"`
	// NewBest tells that the epoch was better than every one before it
	// when it ended, so that best/ took its weights then (the last one so
	// marked is Result.Best). Train sets it; ReadHistory works it out again
	// by Train's rule, which gives the same marks except where best/ was
	// lost and Train refilled it from last/, or for a run of an older
	// version (another rule for ties).
	NewBest bool `json:"new_best"`
}

// Line formats the epoch's metrics as one progress line, e.g.
// "epoch  3/10  train loss 0.2500 acc 0.900  |  val loss 0.3000 acc 0.875  |  200 img/s, 11 s  ← best",
// the arrow marking a validated epoch that became the best one (NewBest).
func (e Epoch) Line(epochs int) string {
	val := ""
	if e.Validated {
		val = fmt.Sprintf("  |  val loss %.4f acc %.3f", e.ValLoss, e.ValAccuracy)
	}
	speed := "– img/s" // no step after the first: an epoch resumed at its last batch
	if e.ImagesPerSecond > 0 {
		speed = fmt.Sprintf("%.0f img/s", e.ImagesPerSecond)
	}
	best := ""
	if e.Validated && e.NewBest {
		best = "  ← best"
	}
	return fmt.Sprintf("epoch %2d/%d  train loss %.4f acc %.3f%s  |  %s, %.0f s%s",
		e.Epoch, epochs, e.TrainLoss, e.TrainAccuracy, val, speed, e.Seconds, best)
}

// historyHeader names the columns of history.csv. The validation columns
// are empty for epochs without validation.
var historyHeader = []string{"epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
	"learning_rate", "images_per_second", "first_step_seconds", "seconds", "time"}

// ReadHistory returns the history of the run in checkpoint directory dir:
// the rows of dir/history.csv for the epochs whose weights last/ holds (an
// empty history when there are none). Train writes an epoch's row before its
// snapshot, so a crash between the two leaves a row that is not part of the
// run: Train trains that epoch again, and ReadHistory leaves the row out.
func ReadHistory(dir string) ([]Epoch, error) {
	history, err := readHistoryFile(dir)
	if err != nil {
		return nil, err
	}
	st, _, err := readState(dir, model.LastDir)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	history = history[:min(len(history), st.Epoch)]
	var best Epoch
	for i := range history {
		if history[i].NewBest = better(history[i], best); history[i].NewBest {
			best = history[i]
		}
	}
	return history, nil
}

// readHistoryFile reads every row of dir/history.csv (none when it does not exist).
func readHistoryFile(dir string) ([]Epoch, error) {
	path := filepath.Join(dir, HistoryFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read history %s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	col := map[string]int{}
	for j, name := range rows[0] {
		col[name] = j
	}
	var out []Epoch
	var bad error // the first cell that does not parse
	for i, r := range rows[1:] {
		cell := func(name string) string {
			if j, ok := col[name]; ok && j < len(r) {
				return r[j]
			}
			return "" // a column an older version did not write
		}
		f := func(name string) float64 {
			c := cell(name)
			if c == "" {
				return 0
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil && bad == nil {
				bad = fmt.Errorf("read history %s: row %d, %s %q is not a number", path, i+2, name, c)
			}
			return v
		}
		e := Epoch{Epoch: int(f("epoch")), Step: int64(f("step")), TrainLoss: f("train_loss"), TrainAccuracy: f("train_accuracy"),
			LearningRate: f("learning_rate"), ImagesPerSecond: f("images_per_second"), FirstStepSeconds: f("first_step_seconds"), Seconds: f("seconds")}
		e.Validated = cell("val_accuracy") != ""
		e.ValLoss, e.ValAccuracy = f("val_loss"), f("val_accuracy")
		if c := cell("time"); c != "" {
			if e.Time, err = time.Parse(time.RFC3339, c); err != nil && bad == nil {
				bad = fmt.Errorf("read history %s: row %d, time %q is not an RFC 3339 time", path, i+2, c)
			}
		}
		out = append(out, e)
	}
	if bad != nil {
		return nil, bad
	}
	return out, nil
}

// writeHistory rewrites dir/history.csv atomically.
func writeHistory(dir string, history []Epoch) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(historyHeader)
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, e := range history {
		valLoss, valAcc := "", ""
		if e.Validated {
			valLoss, valAcc = g(e.ValLoss), g(e.ValAccuracy)
		}
		_ = w.Write([]string{strconv.Itoa(e.Epoch), strconv.FormatInt(e.Step, 10), g(e.TrainLoss), g(e.TrainAccuracy),
			valLoss, valAcc, g(e.LearningRate), g(e.ImagesPerSecond), g(e.FirstStepSeconds),
			g(e.Seconds), e.Time.Format(time.RFC3339)})
	}
	w.Flush()
	return atomicfile.WriteFile(filepath.Join(dir, HistoryFile), buf.Bytes(), 0o644)
}
