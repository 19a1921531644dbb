package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// TestLoadEvaluationOfTheModelsClasses: an evaluation.json whose classes
// are not those of the model in the checkpoint (edited or damaged: 20000
// names would make a 3.2 GB confusion matrix), or beside no model at all,
// is refused.
func TestLoadEvaluationOfTheModelsClasses(t *testing.T) {
	p := Paths{Checkpoint: t.TempDir()}
	write := func(classes []string, probs []float32) {
		b, err := json.Marshal(evaluationFile{ModelID: "cnn-1", BestEpoch: 3, Classes: classes, Labels: []int32{0}, Probabilities: [][]float32{probs}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.Checkpoint, evaluationName), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write([]string{"a", "b"}, []float32{0.9, 0.1})
	if _, err := LoadEvaluation(p); err == nil || !strings.Contains(err.Error(), "not a checkpoint directory") {
		t.Errorf("without model.json: %v, want an error saying so", err)
	}
	m := &model.Meta{ModelID: "cnn-1", Classes: []string{"a", "b"}, ImageSize: 50, Metrics: map[string]float64{"best_epoch": 3}}
	if err := m.Save(p.Checkpoint); err != nil {
		t.Fatal(err)
	}
	if ev, err := LoadEvaluation(p); err != nil || ev.Accuracy != 1 {
		t.Fatalf("an evaluation of the model: %+v, %v", ev, err)
	}
	many := make([]string, 20000)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	probs := make([]float32, len(many))
	probs[0] = 1
	write(many, probs)
	var err error
	if n := allocs.Bytes(func() { _, err = LoadEvaluation(p) }); err == nil || !strings.Contains(err.Error(), "20000 classes that are not the model's 2") || n > 16<<20 {
		t.Errorf("an evaluation of 20000 classes for a model of 2: %v, %d bytes allocated", err, n)
	}
}
