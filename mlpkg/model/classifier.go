package model

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Scope is the context scope holding the model's variables, under the root
// of the GoMLX context (GoMLX's convention).
const Scope = "model"

// maxBatch is the largest batch run at once by a Classifier. Smaller requests
// are padded up to the next power of two, so only a handful of graphs are ever
// compiled (1, 2, 4, …, maxBatch).
const maxBatch = 64

// Classifier computes class probabilities with the CNN whose variables are in
// a GoMLX context (trained in this process or loaded from a checkpoint). It
// is safe for concurrent use.
type Classifier struct {
	cfg  Config
	exec *context.Exec
}

// NewClassifier returns a Classifier for the model cfg whose variables live
// under ctx.In(Scope). Dropout is off (inference mode).
func NewClassifier(backend backends.Backend, ctx *context.Context, cfg Config) (*Classifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	exec, err := context.NewExec(backend, ctx.In(Scope).Reuse(), func(ctx *context.Context, images *graph.Node) *graph.Node {
		return graph.Softmax(cfg.Logits(ctx, images), -1)
	})
	if err != nil {
		return nil, fmt.Errorf("model: build classifier: %w", err)
	}
	exec.SetMaxCache(16)
	return &Classifier{cfg: cfg, exec: exec}, nil
}

// Config returns the architecture the classifier runs.
func (c *Classifier) Config() Config { return c.cfg }

// Probabilities returns, for n images given as consecutive HWC uint8 RGB
// pixels (n × size × size × 3 bytes, see imageio.ToRGB), one probability per
// class for each image.
func (c *Classifier) Probabilities(images []uint8, n int) ([][]float32, error) {
	size := c.cfg.ImageSize
	per := size * size * 3
	if n < 0 || len(images) != n*per {
		return nil, fmt.Errorf("model: got %d bytes for %d images of %d×%d×3", len(images), n, size, size)
	}
	out := make([][]float32, 0, n)
	for start := 0; start < n; start += maxBatch {
		count := min(maxBatch, n-start)
		batch := 1
		for batch < count {
			batch *= 2
		}
		pixels := images[start*per : (start+count)*per]
		if batch != count { // pad with black images; their outputs are dropped
			padded := make([]uint8, batch*per)
			copy(padded, pixels)
			pixels = padded
		}
		probs, err := c.run(tensors.FromFlatDataAndDimensions(pixels, batch, size, size, 3))
		if err != nil {
			return nil, err
		}
		k := c.cfg.NumClasses
		for i := range count {
			out = append(out, probs[i*k:(i+1)*k:(i+1)*k])
		}
	}
	return out, nil
}

// run executes the graph on one batch and returns the flat probabilities.
func (c *Classifier) run(images *tensors.Tensor) (probs []float32, err error) {
	defer images.FinalizeAll() //nolint:errcheck // best effort: frees the input early
	outputs, err := c.exec.Exec(images)
	if err != nil {
		return nil, fmt.Errorf("model: run classifier: %w", err)
	}
	if len(outputs) != 1 {
		return nil, errors.New("model: classifier returned no output")
	}
	defer outputs[0].FinalizeAll() //nolint:errcheck
	return tensors.CopyFlatData[float32](outputs[0])
}
