package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// FuzzLoadEvaluation reads an arbitrary evaluation.json, in a checkpoint
// directory with the model.json of the model it claims to evaluate (when
// withMeta) or none: LoadEvaluation returns an error or an evaluation whose
// figures agree with themselves, never panics, and never allocates more
// than a small multiple of the file (its confusion matrix included);
// accuracyLine, PerClassTable and String work on what it returns.
func FuzzLoadEvaluation(f *testing.F) {
	ef := evaluationFile{ModelID: "cnn-1", BestEpoch: 3, DatasetHash: "abc", Backend: "go", Classes: []string{"a", "b", "c"},
		Labels: []int32{0, 1, 2, 1}, Probabilities: [][]float32{{.8, .1, .1}, {.2, .7, .1}, {.6, .3, .1}, {.1, .8, .1}}}
	b, err := json.Marshal(ef)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, true)
	f.Add(b, false)
	f.Add(b[:len(b)/2], true)
	f.Add([]byte(`{"model_id":"cnn-1","best_epoch":3,"classes":["a","b"],"labels":[0,7],"probabilities":[[1,0],[0,1]]}`), true)
	f.Add([]byte(`{"model_id":"cnn-1","best_epoch":3,"classes":["a","b"],"labels":[0],"probabilities":[[1]]}`), true)
	f.Add([]byte(`{"model_id":"cnn-1","best_epoch":3,"classes":["a","b"],"labels":[],"probabilities":[]}`), true)
	f.Add([]byte(`{"model_id":"cnn-1","best_epoch":3,"classes":["a","b"],"labels":[1],"probabilities":[[0.5,null]]}`), false)
	many := `["` + strings.Repeat(`","`, 3000) + `"]`
	f.Add([]byte(`{"model_id":"cnn-1","best_epoch":3,"classes":`+many+`,"labels":[0],"probabilities":[[1]]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, withMeta bool) {
		p := Paths{Checkpoint: t.TempDir()}
		if err := os.WriteFile(filepath.Join(p.Checkpoint, evaluationName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if withMeta {
			m := &model.Meta{ModelID: "cnn-1", Classes: []string{"a", "b", "c"}, ImageSize: 50, Created: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC),
				Metrics: map[string]float64{"best_epoch": 3}}
			if err := m.Save(p.Checkpoint); err != nil {
				t.Fatal(err)
			}
		}
		var ev *Evaluation
		var err error
		if n := allocs.Bytes(func() { ev, err = LoadEvaluation(p) }); n > 1<<20+64*uint64(len(data)) {
			t.Fatalf("LoadEvaluation of %d bytes allocated %d bytes (%v)", len(data), n, err)
		}
		if err != nil {
			return
		}
		k := len(ev.Classes)
		if ev.N != len(ev.Labels) || ev.N != len(ev.Probabilities) || len(ev.Confusion) != k || len(ev.Precision) != k {
			t.Fatalf("%d images, %d labels, %d predictions, %d classes, %d confusion rows", ev.N, len(ev.Labels), len(ev.Probabilities), k, len(ev.Confusion))
		}
		_ = accuracyLine(ev)
		_, rows := PerClassTable(ev)
		if len(rows) != k {
			t.Fatalf("%d table rows for %d classes", len(rows), k)
		}
		_ = ev.String()
	})
}
