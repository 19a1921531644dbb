package pipeline

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/display"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
)

// LoadPredictor loads the model in p.Checkpoint (its best/ weights) on the
// default backend (backend.New("")). Each notebook cell runs as its own
// program, so each cell that classifies calls it.
func LoadPredictor(p Paths) (*predict.Predictor, error) {
	b, err := backend.New("")
	if err != nil {
		return nil, fmt.Errorf("load predictor: %w", err)
	}
	pr, err := predict.Load(p.Checkpoint, b)
	if err != nil {
		b.Finalize()
		return nil, err // "load model: …", naming the checkpoint
	}
	return pr, nil
}

// TestPictures returns the files of the prepared dataset's test split
// (p.Processed), each class's in file-name order, as paths under p.Images.
// They were not used for training, so they are fair pictures to predict.
func TestPictures(p Paths) ([]string, error) {
	ds, err := dataset.Load(p.Processed)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range ds.Meta.Files {
		if f.Split == dataset.TestSplit {
			out = append(out, filepath.Join(p.Images, filepath.FromSlash(f.Path)))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("test pictures: the dataset in %s has no test split", p.Processed)
	}
	return out, nil
}

// PictureToPredict returns userPath when it is set (checking that the file
// exists), else the first test picture of the prepared dataset.
func PictureToPredict(p Paths, userPath string) (string, error) {
	if userPath != "" {
		if _, err := os.Stat(userPath); err != nil {
			if !filepath.IsAbs(userPath) {
				abs, _ := filepath.Abs(userPath)
				err = fmt.Errorf("%w (a relative path is from the notebooks/ folder: %s)", err, abs)
			}
			return "", fmt.Errorf("picture to predict: %w", err)
		}
		return userPath, nil
	}
	files, err := TestPictures(p)
	if err != nil {
		return "", err
	}
	return files[0], nil
}

// predictionLine formats the k most probable classes of a prediction as
// "sandal (97 %)" or, for k > 1, "sandal (97 %), sneaker (2 %), …".
func predictionLine(pred predict.Prediction, k int) string {
	top := pred.TopK(k)
	parts := make([]string, len(top))
	for i, s := range top {
		parts[i] = fmt.Sprintf("%s (%.0f %%)", s.Class, 100*s.Probability)
	}
	return strings.Join(parts, ", ")
}

// ShowPrediction classifies the image file at path with pr and shows the
// picture, as it is and as the model sees it (imageio.ToRGB: RGB, at the
// model's size), and its class probabilities (package display); it prints
// the prediction ("sandal (97 %)") and, when k is less than the number of
// classes (the bars show them all), the k most probable classes to Output.
// It ends with display.Flush.
func ShowPrediction(pr *predict.Predictor, path string, k int) (predict.Prediction, error) {
	img, err := imageio.Load(path)
	if err != nil {
		return predict.Prediction{}, err
	}
	preds, err := pr.Predict(img)
	if err != nil {
		return predict.Prediction{}, err
	}
	pred := preds[0]
	defer display.Flush()
	size := pr.Meta().ImageSize
	seen := imageio.RGBImage(imageio.ToRGB(img, size), size, size)
	caption := fmt.Sprintf("what the model sees (%d×%d RGB)", size, size)
	if err := display.ImageGrid([]image.Image{img, seen}, []string{filepath.Base(path), caption}, 2, 112); err != nil {
		return pred, err
	}
	probs := make([]float64, len(pred.Probabilities))
	for i, v := range pred.Probabilities {
		probs[i] = float64(v)
	}
	display.Probabilities(pr.Classes(), probs)
	fmt.Fprintln(Output, predictionLine(pred, 1))
	if k > 1 && k < len(pred.Probabilities) {
		fmt.Fprintf(Output, "top %d: %s\n", k, predictionLine(pred, k))
	}
	return pred, nil
}

// PredictTestPictures classifies perClass test pictures of each class and
// returns them with captions such as "✓ sandal (97 %)"
// or "✗ sandal (60 %), is sneaker" (with no-break spaces after the mark and
// before "%"), for display.ImageGrid, and the number classified correctly.
func PredictTestPictures(pr *predict.Predictor, p Paths, perClass int) (images []image.Image, captions []string, correct int, err error) {
	files, err := TestPictures(p)
	if err != nil {
		return nil, nil, 0, err
	}
	taken := map[string]int{}
	var chosen, truth []string
	for _, f := range files {
		class := filepath.Base(filepath.Dir(f))
		if taken[class] < perClass {
			taken[class]++
			chosen = append(chosen, f)
			truth = append(truth, class)
		}
	}
	for _, f := range chosen {
		img, err := imageio.Load(f)
		if err != nil {
			return nil, nil, 0, err
		}
		images = append(images, img)
	}
	preds, err := pr.Predict(images...)
	if err != nil {
		return nil, nil, 0, err
	}
	for i, pred := range preds {
		// No-break spaces keep the mark with the class and "97 %" together
		// when the caption wraps.
		line := strings.ReplaceAll(predictionLine(pred, 1), " %", "\u00a0%")
		caption := "✓\u00a0" + line
		if pred.Class == truth[i] {
			correct++
		} else {
			caption = "✗\u00a0" + line + ", is " + truth[i]
		}
		captions = append(captions, caption)
	}
	return images, captions, correct, nil
}
