package eval

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
	"github.com/animalcnn/animalcnn/mlpkg/internal/textwidth"
)

// TestJSONNeverPredictedClass checks that a result where a
// class is never predicted (precision NaN) encodes to valid JSON, with null
// for that precision, and decodes back to the same metrics (null as NaN).
func TestJSONNeverPredictedClass(t *testing.T) {
	// Class "c" is never predicted: its precision is 0/0.
	probs := [][]float32{{.8, .1, .1}, {.2, .7, .1}, {.6, .3, .1}, {.1, .8, .1}}
	e, err := New([]string{"a", "b", "c"}, []int32{0, 1, 2, 1}, probs)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(e.Precision[2]) {
		t.Fatalf("precision of the never-predicted class is %v, want NaN", e.Precision[2])
	}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if !json.Valid(data) {
		t.Fatalf("invalid JSON: %s", data)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	prec, ok := raw["precision"].([]any)
	if !ok || len(prec) != 3 || prec[2] != nil || prec[0] != 0.5 || prec[1] != 1.0 {
		t.Fatalf("precision in JSON: %v (want [0.5, 1, null])", raw["precision"])
	}
	if !strings.Contains(string(data), `"precision":[0.5,1,null]`) {
		t.Errorf("JSON %s", data)
	}

	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	for _, m := range []struct {
		name      string
		got, want PerClass
	}{{"precision", back.Precision, e.Precision}, {"recall", back.Recall, e.Recall}, {"f1", back.F1, e.F1}} {
		if len(m.got) != len(m.want) {
			t.Fatalf("%s: got %v, want %v", m.name, m.got, m.want)
		}
		for i := range m.want {
			if m.got[i] != m.want[i] && !(math.IsNaN(m.got[i]) && math.IsNaN(m.want[i])) {
				t.Errorf("%s[%d]: got %v, want %v", m.name, i, m.got[i], m.want[i])
			}
		}
	}
	if back.N != e.N || back.Accuracy != e.Accuracy || back.Loss != e.Loss || len(back.Confusion) != 3 || back.Confusion[2][0] != 1 {
		t.Errorf("round trip: %+v, want %+v", back, *e)
	}

	// PerClass stays a plain []float64 for callers.
	var plain []float64 = e.Recall
	if plain[1] != 1 {
		t.Errorf("recall %v", plain)
	}
	var empty struct{ P PerClass }
	if err := json.Unmarshal([]byte(`{"P":null}`), &empty); err != nil || empty.P != nil {
		t.Errorf("null list: %v %v", empty.P, err)
	}
	if b, err := json.Marshal(struct{ P PerClass }{}); err != nil || string(b) != `{"P":null}` {
		t.Errorf("nil list: %s %v", b, err)
	}
}

// The text report shows an undefined metric as "–", explained below the
// table, as the notebooks' tables do, not as NaN.
func TestStringUndefinedMetric(t *testing.T) {
	probs := [][]float32{{.8, .1, .1}, {.2, .7, .1}, {.6, .3, .1}, {.1, .8, .1}}
	e, err := New([]string{"a", "b", "c"}, []int32{0, 1, 2, 1}, probs)
	if err != nil {
		t.Fatal(err)
	}
	s := e.String()
	if strings.Contains(s, "NaN") || !strings.Contains(s, "c                  –   0.000      –        1\n") ||
		!strings.Contains(s, "(–: not defined, for a class never predicted or without images)") {
		t.Errorf("report:\n%s", s)
	}
	full, err := New([]string{"a", "b"}, []int32{0, 1}, [][]float32{{.9, .1}, {.2, .8}})
	if err != nil {
		t.Fatal(err)
	}
	if s := full.String(); strings.Contains(s, "not defined") || !strings.Contains(s, "a              1.000   1.000  1.000        1\n") {
		t.Errorf("report with every metric defined:\n%s", s)
	}
}

// Class names of any script line up: columns are counted as a terminal
// shows them (サル takes four, écureuil eight), not in bytes.
func TestStringAlignsAnyScript(t *testing.T) {
	classes := []string{"サル", "écureuil", "crow"}
	probs := [][]float32{{.8, .1, .1}, {.1, .8, .1}, {.1, .1, .8}}
	e, err := New(classes, []int32{0, 1, 2}, probs)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(e.String(), "\n")
	// Every line of a table has its last column end where its first line's does.
	for _, table := range [][]string{lines[2:6], lines[8:12]} {
		want := textwidth.Width(table[0])
		for _, l := range table {
			if textwidth.Width(l) != want {
				t.Errorf("line %q is %d columns wide, want %d as %q:\n%s", l, textwidth.Width(l), want, table[0], e)
			}
		}
	}
}

func TestMetrics(t *testing.T) {
	probs := [][]float32{{.9, .1}, {.2, .8}, {.6, .4}, {.3, .7}}
	e, err := New([]string{"a", "b"}, []int32{0, 1, 1, 0}, probs)
	if err != nil {
		t.Fatal(err)
	}
	if e.Accuracy != 0.5 || e.Confusion[0][0] != 1 || e.Confusion[0][1] != 1 || e.Confusion[1][0] != 1 || e.Confusion[1][1] != 1 {
		t.Fatalf("accuracy %v confusion %v", e.Accuracy, e.Confusion)
	}
	wantLoss := -(math.Log(.9) + math.Log(.8) + math.Log(.4) + math.Log(.3)) / 4
	if math.Abs(e.Loss-wantLoss) > 1e-6 || e.Precision[0] != 0.5 || e.Recall[1] != 0.5 {
		t.Fatalf("loss %v (want %v), precision %v recall %v", e.Loss, wantLoss, e.Precision, e.Recall)
	}
	if _, err := New([]string{"a", "b"}, []int32{2}, [][]float32{{.5, .5}}); err == nil {
		t.Fatal("out-of-range label accepted")
	}
	nan := float32(math.NaN())
	if _, err := New([]string{"a", "b"}, []int32{0, 1}, [][]float32{{.5, .5}, {nan, nan}}); !errors.Is(err, ErrNaNOutputs) {
		t.Fatalf("NaN probabilities: err %v, want ErrNaNOutputs", err)
	}
}

// TestCounts: per-class images and predictions are the confusion matrix's
// row and column sums, and Wrong lists the mistakes in input order.
func TestCounts(t *testing.T) {
	// Labels a a a b c; predicted a b b b a.
	probs := [][]float32{{.8, .1, .1}, {.1, .8, .1}, {.2, .7, .1}, {.1, .6, .3}, {.5, .2, .3}}
	e, err := New([]string{"a", "b", "c"}, []int32{0, 0, 0, 1, 2}, probs)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Support(); !slices.Equal(got, []int{3, 1, 1}) {
		t.Errorf("Support() = %v, want [3 1 1]", got)
	}
	if got := e.PredictedAs(); !slices.Equal(got, []int{2, 3, 0}) {
		t.Errorf("PredictedAs() = %v, want [2 3 0]", got)
	}
	if got := e.Wrong(); !slices.Equal(got, []int{1, 2, 4}) {
		t.Errorf("Wrong() = %v, want [1 2 4]", got)
	}
	if e.Precision[1] != 1.0/3 || e.Recall[0] != 1.0/3 || !math.IsNaN(e.Precision[2]) || e.Recall[2] != 0 {
		t.Errorf("precision %v, recall %v", e.Precision, e.Recall)
	}
	// F1 = 2PR/(P+R): a 0.4 (P 1/2, R 1/3), b 0.5 (P 1/3, R 1); c is never
	// predicted, so its precision, and F1, are undefined.
	if math.Abs(e.F1[0]-0.4) > 1e-12 || math.Abs(e.F1[1]-0.5) > 1e-12 || !math.IsNaN(e.F1[2]) {
		t.Errorf("F1 %v, want [0.4 0.5 NaN]", e.F1)
	}
	// A class predicted but never right: precision and recall 0, F1 0.
	e, err = New([]string{"a", "b"}, []int32{0, 0, 1}, [][]float32{{.2, .8}, {.3, .7}, {.6, .4}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Precision[0] != 0 || e.Recall[0] != 0 || e.F1[0] != 0 {
		t.Errorf("a, predicted once and never right: precision %v, recall %v, F1 %v, want 0 0 0", e.Precision[0], e.Recall[0], e.F1[0])
	}
}

// TestNewChecksImagesFirst: images that do not bear out the number of
// classes are refused before the classes×classes confusion matrix is made
// (20000 classes named in a damaged file: 3.2 GB).
func TestNewChecksImagesFirst(t *testing.T) {
	classes := make([]string, 20000)
	var err error
	n := allocs.Bytes(func() { _, err = New(classes, []int32{0}, [][]float32{{1}}) })
	if err == nil || !strings.Contains(err.Error(), "1 probabilities for 20000 classes") {
		t.Errorf("%v, want an error saying 1 probabilities for 20000 classes", err)
	}
	if n > 1<<20 {
		t.Errorf("%d bytes allocated", n)
	}
}
