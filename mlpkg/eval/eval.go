// Package eval measures a classifier on labelled images from its class
// probabilities: accuracy, mean categorical cross-entropy, the confusion
// matrix and per-class precision, recall and F1, with a plain-text report
// and a JSON form. Training (validation and the test split), evaluation and
// the notebooks share it.
package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/internal/textwidth"
)

// Result holds a model's results on a labelled set of images.
type Result struct {
	// Classes in label order.
	Classes []string `json:"classes"`
	// N is the number of images evaluated.
	N int `json:"n"`
	// Loss is the mean categorical cross-entropy and Accuracy the fraction classified correctly.
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	// Confusion[t][p] counts images of true class t predicted as class p.
	Confusion [][]int `json:"confusion"`
	// Precision, Recall and F1 per class (NaN where undefined, e.g. a class
	// never predicted; null in JSON).
	Precision PerClass `json:"precision"`
	Recall    PerClass `json:"recall"`
	F1        PerClass `json:"f1"`
	// Labels, Predicted and Probabilities per image, in input order.
	Labels        []int32     `json:"-"`
	Predicted     []int       `json:"-"`
	Probabilities [][]float32 `json:"-"`
}

// ErrNaNOutputs is wrapped by New's error when the model's outputs are not
// numbers: its weights are NaN, usually because its training diverged
// (train.ErrDiverged).
var ErrNaNOutputs = errors.New("the model's outputs are not numbers (NaN): its weights are broken, usually by a training that diverged")

// New computes the metrics from per-image class probabilities (probs[i][c],
// classes in label order) and true labels.
func New(classes []string, labels []int32, probs [][]float32) (*Result, error) {
	k := len(classes)
	if len(labels) != len(probs) {
		return nil, fmt.Errorf("evaluate: %d labels for %d predictions", len(labels), len(probs))
	}
	if len(labels) == 0 {
		return nil, errors.New("evaluate: no images (an accuracy of nothing would read as 0)")
	}
	// Every image checked before the k×k confusion matrix is made: k
	// comes from the caller (a file), the images must bear it out.
	for i, p := range probs {
		if t := int(labels[i]); t < 0 || t >= k || len(p) != k {
			return nil, fmt.Errorf("evaluate: image %d has label %d and %d probabilities for %d classes", i, t, len(p), k)
		}
		if slices.ContainsFunc(p, func(v float32) bool { return math.IsNaN(float64(v)) }) {
			return nil, fmt.Errorf("evaluate: image %d: %w", i, ErrNaNOutputs)
		}
	}
	e := &Result{Classes: classes, N: len(labels), Labels: labels, Probabilities: probs,
		Predicted: make([]int, len(labels)), Confusion: make([][]int, k)}
	for i := range e.Confusion {
		e.Confusion[i] = make([]int, k)
	}
	var lossSum float64
	correct := 0
	for i, p := range probs {
		t := int(labels[i])
		best := 0
		for j := range p {
			if p[j] > p[best] {
				best = j
			}
		}
		e.Predicted[i] = best
		e.Confusion[t][best]++
		if best == t {
			correct++
		}
		lossSum -= math.Log(max(float64(p[t]), 1e-7))
	}
	e.Loss, e.Accuracy = lossSum/float64(e.N), float64(correct)/float64(e.N)
	support, predicted := e.Support(), e.PredictedAs()
	e.Precision, e.Recall, e.F1 = make(PerClass, k), make(PerClass, k), make(PerClass, k)
	for c := range k {
		tp := e.Confusion[c][c]
		e.Precision[c] = ratio(tp, predicted[c])
		e.Recall[c] = ratio(tp, support[c])
		e.F1[c] = 2 * e.Precision[c] * e.Recall[c] / (e.Precision[c] + e.Recall[c])
		if e.Precision[c]+e.Recall[c] == 0 {
			e.F1[c] = 0
		}
	}
	return e, nil
}

// Support returns the number of images of each class (the confusion
// matrix's row sums).
func (e *Result) Support() []int {
	out := make([]int, len(e.Confusion))
	for t, row := range e.Confusion {
		for _, n := range row {
			out[t] += n
		}
	}
	return out
}

// PredictedAs returns the number of images predicted as each class (the
// confusion matrix's column sums).
func (e *Result) PredictedAs() []int {
	out := make([]int, len(e.Confusion))
	for _, row := range e.Confusion {
		for p, n := range row {
			out[p] += n
		}
	}
	return out
}

// Wrong returns the indices of the images classified wrongly, in input
// order.
func (e *Result) Wrong() []int {
	var out []int
	for i, p := range e.Predicted {
		if p != int(e.Labels[i]) {
			out = append(out, i)
		}
	}
	return out
}

// PerClass holds one metric per class, in label order. It is a plain
// []float64 (index it, range over it, pass it where a []float64 is wanted)
// whose JSON form writes NaN, which JSON cannot hold, as null, and reads null
// back as NaN.
type PerClass []float64

// MarshalJSON writes the values as a JSON array, NaN (and ±Inf) as null.
func (p PerClass) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	b := []byte{'['}
	for i, v := range p {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		enc, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b = append(b, enc...)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads a JSON array of numbers, null as NaN.
func (p *PerClass) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*p = nil
		return nil
	}
	var vs []*float64
	if err := json.Unmarshal(data, &vs); err != nil {
		return err
	}
	out := make(PerClass, len(vs))
	for i, v := range vs {
		out[i] = math.NaN()
		if v != nil {
			out[i] = *v
		}
	}
	*p = out
	return nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// String renders the result as a plain-text report: accuracy and loss,
// per-class precision/recall/F1 and number of images, and the confusion
// matrix.
func (e *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy %.4f, loss %.4f on %d images\n\n", e.Accuracy, e.Loss, e.N)
	w := 9
	for _, c := range e.Classes {
		w = max(w, textwidth.Width(c))
	}
	fmt.Fprintf(&b, "%s  precision  recall     f1  support\n", textwidth.PadRight("class", w))
	undefined := false
	metric := func(v float64, width int) string {
		if math.IsNaN(v) {
			undefined = true
			return fmt.Sprintf("%*s", width, "–")
		}
		return fmt.Sprintf("%*.3f", width, v)
	}
	support := e.Support()
	for i, c := range e.Classes {
		fmt.Fprintf(&b, "%s  %s  %s  %s  %7d\n", textwidth.PadRight(c, w), metric(e.Precision[i], 9), metric(e.Recall[i], 6), metric(e.F1[i], 5), support[i])
	}
	if undefined {
		b.WriteString("(–: not defined, for a class never predicted or without images)\n")
	}
	fmt.Fprintf(&b, "\nconfusion matrix (rows: true class, columns: predicted)\n%s", textwidth.PadRight("", w))
	for _, c := range e.Classes {
		fmt.Fprintf(&b, " %s", textwidth.PadLeft(c, 6))
	}
	b.WriteByte('\n')
	for i, c := range e.Classes {
		b.WriteString(textwidth.PadRight(c, w))
		for j, c2 := range e.Classes {
			fmt.Fprintf(&b, " %*d", max(6, textwidth.Width(c2)), e.Confusion[i][j])
		}
		b.WriteByte('\n')
	}
	return b.String()
}
