package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/display"
	"github.com/animalcnn/animalcnn/mlpkg/eval"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/gomlx/gomlx/backends"
)

// evaluationName is the file in the checkpoint directory where Evaluate
// saves its results for later cells (LoadEvaluation).
const evaluationName = "evaluation.json"

// Evaluation is a model's evaluation on the prepared test split, with what
// identifies the model and the data.
type Evaluation struct {
	*eval.Result
	// ModelID is the evaluated model's (model.Meta.ModelID).
	ModelID string
	// DatasetHash identifies the test data (dataset.Meta.Hash).
	DatasetHash string
	// Backend is the backend the predictions ran on.
	Backend string
}

// evaluationFile is evaluationName's content: the per-image results, from
// which eval.New recomputes the metrics (JSON has no NaN, which
// precision can be).
type evaluationFile struct {
	ModelID string `json:"model_id"`
	// BestEpoch is the epoch whose weights were evaluated (the model's
	// Metrics["best_epoch"]): a resumed run keeps its ModelID, but may keep
	// another epoch in best/.
	BestEpoch     int         `json:"best_epoch"`
	DatasetHash   string      `json:"dataset_hash"`
	Backend       string      `json:"backend"`
	Classes       []string    `json:"classes"`
	Labels        []int32     `json:"labels"`
	Probabilities [][]float32 `json:"probabilities"`
}

// Evaluate classifies the test split of p.Processed with the model in
// p.Checkpoint on backend b, saves the results to
// p.Checkpoint/evaluation.json (for LoadEvaluation) and prints the accuracy.
func Evaluate(p Paths, b backends.Backend) (*Evaluation, error) {
	pr, err := predict.Load(p.Checkpoint, b)
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Load(p.Processed)
	if err != nil {
		return nil, err
	}
	measured, otherDataset, err := pr.EvaluateTestSplit(ds, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluate the model in %s: %w", p.Checkpoint, err)
	}
	if otherDataset {
		fmt.Fprintf(Output, "note: the dataset in %s is not the one the model was trained on: its test images may have been seen in training\n", p.Processed)
	}
	meta := pr.Meta()
	f := evaluationFile{ModelID: meta.ModelID, BestEpoch: int(meta.Metrics["best_epoch"]), DatasetHash: ds.Meta.Hash, Backend: pr.Backend(),
		Classes: meta.Classes, Labels: measured.Labels, Probabilities: measured.Probabilities}
	data, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(p.Checkpoint, evaluationName), data, 0o644); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	ev := &Evaluation{Result: measured, ModelID: f.ModelID, DatasetHash: f.DatasetHash, Backend: f.Backend}
	fmt.Fprintf(Output, "%s (model %s, backend %s)\n", accuracyLine(ev), ev.ModelID, ev.Backend)
	return ev, nil
}

// evaluation recomputes the metrics from the saved results.
func (f *evaluationFile) evaluation() (*Evaluation, error) {
	ev, err := eval.New(f.Classes, f.Labels, f.Probabilities)
	if err != nil {
		return nil, err
	}
	return &Evaluation{Result: ev, ModelID: f.ModelID, DatasetHash: f.DatasetHash, Backend: f.Backend}, nil
}

// LoadEvaluation reads what Evaluate saved in p.Checkpoint. It fails when the
// model there has changed since (another run, the same run trained on with
// another epoch in best/, or no model at all), or when the evaluation is not
// of the model's classes: run Evaluate again.
func LoadEvaluation(p Paths) (*Evaluation, error) {
	data, err := os.ReadFile(filepath.Join(p.Checkpoint, evaluationName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load evaluation: no evaluation in %s yet: run the evaluation first (pipeline.Evaluate: in 04_evaluate, the cell under “Accuracy on the test split”)", p.Checkpoint)
	}
	if err != nil {
		return nil, fmt.Errorf("load evaluation: %w", err)
	}
	var f evaluationFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("load evaluation %s: %w", p.Checkpoint, err)
	}
	meta, err := model.LoadMeta(p.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("load evaluation: %w", err)
	}
	switch {
	case meta.ModelID != f.ModelID:
		return nil, fmt.Errorf("load evaluation: %s holds the evaluation of model %s, but the model there is now %s: run the evaluation again",
			p.Checkpoint, f.ModelID, meta.ModelID)
	case int(meta.Metrics["best_epoch"]) != f.BestEpoch:
		return nil, fmt.Errorf("load evaluation: %s holds the evaluation of epoch %d's weights, but best/ now holds epoch %d's (training went on): run the evaluation again",
			p.Checkpoint, f.BestEpoch, int(meta.Metrics["best_epoch"]))
	case !slices.Equal(f.Classes, meta.Classes):
		// Also what bounds the k×k confusion matrix eval.New makes.
		return nil, fmt.Errorf("load evaluation: %s holds an evaluation of %d classes that are not the model's %d (edited or damaged): run the evaluation again",
			filepath.Join(p.Checkpoint, evaluationName), len(f.Classes), len(meta.Classes))
	}
	return f.evaluation()
}

// Misclassified returns the number of test images the model got wrong.
func (ev *Evaluation) Misclassified() int { return len(ev.Wrong()) }

// accuracyLine states an evaluation's accuracy: "accuracy 95.3 % (715/750 test images), loss 0.144".
func accuracyLine(ev *Evaluation) string {
	return fmt.Sprintf("accuracy %s (%d/%d test images), loss %.3f", display.Percent(ev.Accuracy), ev.N-ev.Misclassified(), ev.N, ev.Loss)
}

// PerClassTable lays out an evaluation's per-class precision, recall and F1
// as a table for display.Table.
func PerClassTable(ev *Evaluation) (header []string, rows [][]string) {
	header = []string{"class", "test images", "predicted as it", "precision", "recall", "F1"}
	support, predicted := ev.Support(), ev.PredictedAs()
	for i, c := range ev.Classes {
		rows = append(rows, []string{c, strconv.Itoa(support[i]), strconv.Itoa(predicted[i]),
			display.Percent(ev.Precision[i]), display.Percent(ev.Recall[i]), display.Percent(ev.F1[i])})
	}
	return header, rows
}

// Mistakes returns up to limit misclassified test images of p.Processed
// (none when limit ≤ 0), the most confident mistakes first, each captioned
// "true → predicted probability" ("sneaker → ankle_boot 96 %", with a
// no-break space before the "%", so that a narrow caption breaks between
// the classes, never inside "96 %").
func Mistakes(p Paths, ev *Evaluation, limit int) ([]image.Image, []string, error) {
	ds, err := dataset.Load(p.Processed)
	if err != nil {
		return nil, nil, err
	}
	if ds.Meta.Hash != ev.DatasetHash || ds.Test.N != len(ev.Labels) {
		return nil, nil, fmt.Errorf("mistakes: the dataset in %s changed since the evaluation: run the evaluation again", p.Processed)
	}
	wrong := ev.Wrong()
	sort.SliceStable(wrong, func(a, b int) bool {
		i, j := wrong[a], wrong[b]
		return ev.Probabilities[i][ev.Predicted[i]] > ev.Probabilities[j][ev.Predicted[j]]
	})
	wrong = wrong[:min(max(limit, 0), len(wrong))]
	images := make([]image.Image, len(wrong))
	captions := make([]string, len(wrong))
	for k, i := range wrong {
		images[k] = imageio.RGBImage(ds.Test.Image(i), ds.Test.Size, ds.Test.Size)
		pred := ev.Predicted[i]
		captions[k] = fmt.Sprintf("%s → %s %.0f\u00a0%%", ev.Classes[ev.Labels[i]], ev.Classes[pred], 100*ev.Probabilities[i][pred])
	}
	return images, captions, nil
}
