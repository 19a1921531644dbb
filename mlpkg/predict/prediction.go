// Package predict loads a trained checkpoint once and classifies images with
// exactly the preprocessing used in training (imageio.ToRGB, then the model's
// in-graph normalisation).
package predict

import (
	"sort"
	"strconv"
)

// Prediction is the model's answer for one image.
type Prediction struct {
	// Class is the most probable class and Probability its probability.
	Class       string  `json:"class"`
	Probability float32 `json:"probability"`
	// Probabilities holds one probability per class, in the model's class order.
	Probabilities []float32 `json:"probabilities"`
	// Classes is the model's class order (shared, do not modify), which
	// TopK needs.
	Classes []string `json:"classes"`
}

// Scored is one class with its probability.
type Scored struct {
	Class       string  `json:"class"`
	Probability float32 `json:"probability"`
}

// TopK returns the k most probable classes, most probable first (all classes
// when k <= 0 or k exceeds their number). A class missing from Classes (a
// Prediction built without them) is named by its index, "#2".
func (p Prediction) TopK(k int) []Scored {
	s := make([]Scored, len(p.Probabilities))
	for i, prob := range p.Probabilities {
		s[i] = Scored{Class: "#" + strconv.Itoa(i), Probability: prob}
		if i < len(p.Classes) {
			s[i].Class = p.Classes[i]
		}
	}
	sort.SliceStable(s, func(i, j int) bool { return s[i].Probability > s[j].Probability })
	if k > 0 && k < len(s) {
		s = s[:k]
	}
	return s
}

// newPrediction builds a Prediction from one row of probabilities.
func newPrediction(classes []string, probs []float32) Prediction {
	best := 0
	for i, v := range probs {
		if v > probs[best] {
			best = i
		}
	}
	return Prediction{Class: classes[best], Probability: probs[best], Probabilities: probs, Classes: classes}
}
