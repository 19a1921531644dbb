// Package fake is a stand-in classifier for the server's tests, its browser
// test and demos: deterministic probabilities from an image's mean colour
// (red → monkey, green → boar, blue → crow), no model needed.
package fake

import (
	"errors"
	"image"
	"math"
	"sync/atomic"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
)

// Classes are the fake model's classes, in output order.
var Classes = []string{"monkey", "boar", "crow"}

// Classifier implements serve.Classifier. The zero value is not usable: use New.
type Classifier struct {
	// Delay is slept in every Predict call, to make requests overlap.
	Delay time.Duration
	// Gate, when not nil, holds every Predict call until it is closed: a
	// test decides when predictions end.
	Gate chan struct{}
	// Fail, when set, makes Predict return an error.
	Fail bool

	meta        *model.Meta
	calls       atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

// New returns a fake classifier with Japanese display names and a made-up
// test accuracy in its metadata.
func New() *Classifier {
	return &Classifier{meta: &model.Meta{
		ModelID: "fake-mean-colour",
		Classes: Classes,
		DisplayNames: map[string]map[string]string{
			"ja": {"monkey": "サル", "boar": "イノシシ", "crow": "カラス"},
		},
		ImageSize:     50,
		Normalization: model.Normalization,
		Backend:       "fake",
		Created:       time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Metrics:       map[string]float64{"test_accuracy": 0.5},
	}}
}

// Meta returns the fake model's metadata.
func (c *Classifier) Meta() *model.Meta { return c.meta }

// Backend returns "fake".
func (c *Classifier) Backend() string { return "fake" }

// Calls returns how many images Predict has classified.
func (c *Classifier) Calls() int64 { return c.calls.Load() }

// InFlight returns how many Predict calls are running now.
func (c *Classifier) InFlight() int64 { return c.inFlight.Load() }

// MaxInFlight returns the most Predict calls that ever ran at once.
func (c *Classifier) MaxInFlight() int64 { return c.maxInFlight.Load() }

// ErrFake is what Predict returns when Fail is set.
var ErrFake = errors.New("fake classifier: asked to fail")

// Predict returns Probabilities(img) for each image. It is safe for
// concurrent use.
func (c *Classifier) Predict(imgs ...image.Image) ([]predict.Prediction, error) {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.maxInFlight.Load()
		if n <= m || c.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if c.Delay > 0 {
		time.Sleep(c.Delay)
	}
	if c.Gate != nil {
		<-c.Gate
	}
	if c.Fail {
		return nil, ErrFake
	}
	out := make([]predict.Prediction, len(imgs))
	for i, img := range imgs {
		c.calls.Add(1)
		probs := Probabilities(img)
		best := 0
		for j, p := range probs {
			if p > probs[best] {
				best = j
			}
		}
		out[i] = predict.Prediction{Class: Classes[best], Probability: probs[best], Probabilities: probs, Classes: Classes}
	}
	return out, nil
}

// Probabilities is the fake model: the softmax of 4×(mean R, G, B) in [0, 1],
// sampled on a grid of at most 64×64 points.
func Probabilities(img image.Image) []float32 {
	b := img.Bounds()
	stepX, stepY := max(1, b.Dx()/64), max(1, b.Dy()/64)
	var sum [3]float64
	var n float64
	for y := b.Min.Y; y < b.Max.Y; y += stepY {
		for x := b.Min.X; x < b.Max.X; x += stepX {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum[0] += float64(r) / 0xffff
			sum[1] += float64(g) / 0xffff
			sum[2] += float64(bl) / 0xffff
			n++
		}
	}
	var logits [3]float64
	total := 0.0
	for i := range logits {
		logits[i] = math.Exp(4 * sum[i] / max(n, 1))
		total += logits[i]
	}
	probs := make([]float32, 3)
	for i := range probs {
		probs[i] = float32(logits[i] / total)
	}
	return probs
}
