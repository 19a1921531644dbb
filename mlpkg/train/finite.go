package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/animalcnn/animalcnn/mlpkg/eval"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// brokenModel says why the model trained in gctx must not be saved, or ""
// when it may: a variable (a weight, an optimiser moment) that holds a value
// that is not a finite number, or, when probe holds n images, outputs of c
// on them that are not numbers. Finite weights can still be so large that
// the outputs overflow, hence the probe when nothing else (the validation)
// runs the model after its last update.
func brokenModel(gctx *mlctx.Context, c *model.Classifier, probe []uint8, n int) (string, error) {
	metrics := map[*mlctx.Variable]bool{}
	for _, v := range metricVariables(gctx) {
		metrics[v] = true
	}
	for v := range gctx.IterVariables() {
		if metrics[v] || !v.HasValue() {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return "", fmt.Errorf("train: check %s: %w", v.ScopeAndName(), err)
		}
		finite, err := allFinite(t)
		if err != nil {
			return "", fmt.Errorf("train: check %s: %w", v.ScopeAndName(), err)
		}
		if !finite {
			return fmt.Sprintf("%s holds values that are not finite numbers", v.ScopeAndName()), nil
		}
	}
	if n == 0 {
		return "", nil
	}
	probs, err := c.Probabilities(probe, n)
	if err != nil {
		return "", err
	}
	labels := make([]int32, n)
	classes := make([]string, c.Config().NumClasses)
	if _, err := eval.New(classes, labels, probs); errors.Is(err, eval.ErrNaNOutputs) {
		return "the model's outputs on the last batch are not numbers", nil
	} else if err != nil {
		return "", err
	}
	return "", nil
}

// allFinite reports whether every value of a float tensor is finite (true
// for other dtypes). The tensor is read on the host: for the 50×50 CNN's 4
// million weights and as many optimiser moments, a few milliseconds.
func allFinite(t *tensors.Tensor) (bool, error) {
	ok := true
	var err error
	switch t.DType() {
	case dtypes.Float32:
		err = tensors.ConstFlatData(t, func(flat []float32) {
			for _, x := range flat {
				if x-x != 0 { // NaN or ±Inf
					ok = false
					return
				}
			}
		})
	case dtypes.Float64:
		err = tensors.ConstFlatData(t, func(flat []float64) {
			for _, x := range flat {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					ok = false
					return
				}
			}
		})
	}
	return ok, err
}
