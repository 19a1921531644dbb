package train

import (
	"fmt"

	"github.com/animalcnn/animalcnn/mlpkg/eval"
	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// evaluate classifies n images (consecutive HWC uint8 RGB, see
// imageio.ToRGB) with c and compares them to labels.
func evaluate(c *model.Classifier, classes []string, images []uint8, labels []int32) (*eval.Result, error) {
	probs, err := c.Probabilities(images, len(labels))
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	return eval.New(classes, labels, probs)
}
