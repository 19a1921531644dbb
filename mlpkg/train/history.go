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
)

// HistoryFile is the per-epoch metrics file in a checkpoint directory (CSV, one row per epoch).
const HistoryFile = "history.csv"

// Epoch holds one epoch's metrics.
type Epoch struct {
	Epoch            int       `json:"epoch"`
	Step             int64     `json:"step"`
	TrainLoss        float64   `json:"train_loss"`
	TrainAccuracy    float64   `json:"train_accuracy"`
	TestLoss         float64   `json:"test_loss"`
	TestAccuracy     float64   `json:"test_accuracy"`
	LearningRate     float64   `json:"learning_rate"`
	ImagesPerSecond  float64   `json:"images_per_second"`
	FirstStepSeconds float64   `json:"first_step_seconds"`
	Seconds          float64   `json:"seconds"`
	Time             time.Time `json:"time"`
}

// Line formats the epoch's metrics as one progress line, e.g.
// "epoch  3/10  train loss 0.2500 acc 0.900  |  test loss 0.3000 acc 0.875  |  200 img/s, 11 s".
func (e Epoch) Line(epochs int) string {
	return fmt.Sprintf("epoch %2d/%d  train loss %.4f acc %.3f  |  test loss %.4f acc %.3f  |  %.0f img/s, %.0f s",
		e.Epoch, epochs, e.TrainLoss, e.TrainAccuracy, e.TestLoss, e.TestAccuracy, e.ImagesPerSecond, e.Seconds)
}

var historyHeader = []string{"epoch", "step", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
	"learning_rate", "images_per_second", "first_step_seconds", "seconds", "time"}

// ReadHistory reads dir/history.csv (an empty history when it does not exist).
func ReadHistory(dir string) ([]Epoch, error) { return readHistory(dir) }

func readHistory(dir string) ([]Epoch, error) {
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
	var out []Epoch
	for i, r := range rows {
		if i == 0 || len(r) != len(historyHeader) {
			continue
		}
		f := func(j int) float64 { v, _ := strconv.ParseFloat(r[j], 64); return v }
		e := Epoch{Epoch: int(f(0)), Step: int64(f(1)), TrainLoss: f(2), TrainAccuracy: f(3), TestLoss: f(4),
			TestAccuracy: f(5), LearningRate: f(6), ImagesPerSecond: f(7), FirstStepSeconds: f(8), Seconds: f(9)}
		e.Time, _ = time.Parse(time.RFC3339, r[10])
		out = append(out, e)
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
		_ = w.Write([]string{strconv.Itoa(e.Epoch), strconv.FormatInt(e.Step, 10), g(e.TrainLoss), g(e.TrainAccuracy),
			g(e.TestLoss), g(e.TestAccuracy), g(e.LearningRate), g(e.ImagesPerSecond), g(e.FirstStepSeconds),
			g(e.Seconds), e.Time.Format(time.RFC3339)})
	}
	w.Flush()
	return atomicfile.WriteFile(filepath.Join(dir, HistoryFile), buf.Bytes(), 0o644)
}
