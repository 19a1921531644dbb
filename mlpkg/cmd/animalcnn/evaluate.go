package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

func init() {
	register(&command{
		name:    "evaluate",
		usage:   "[flags]",
		summary: "evaluate a checkpoint on the prepared test split: accuracy, loss, confusion matrix, precision/recall",
		run:     runEvaluate,
	})
}

func runEvaluate(args []string) error {
	fs := newFlagSet(commands["evaluate"])
	def := train.DefaultConfig()
	checkpoint := fs.String("checkpoint", def.CheckpointDir, "checkpoint directory (output of train)")
	data := fs.String("data", def.DataDir, "prepared dataset directory (output of prepare)")
	asJSON := fs.Bool("json", false, "print the evaluation as JSON")
	backendSpec := backend.RegisterFlag(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	ds, err := loadDataset(*data)
	if err != nil {
		return err
	}
	p, err := loadPredictor(*checkpoint, *backendSpec)
	if err != nil {
		return err
	}
	meta := p.Meta()
	if fmt.Sprint(meta.Classes) != fmt.Sprint(ds.Meta.Classes) || meta.ImageSize != ds.Meta.ImageSize {
		return fmt.Errorf("checkpoint %s was trained on classes %v at %d px, the dataset in %s has %v at %d px",
			*checkpoint, meta.Classes, meta.ImageSize, *data, ds.Meta.Classes, ds.Meta.ImageSize)
	}
	if meta.DatasetHash != "" && meta.DatasetHash != ds.Meta.Hash {
		fmt.Fprintln(os.Stderr, "note: the dataset differs from the one the model was trained on (its test images may have been seen in training)")
	}
	preds, err := p.PredictPixels(ds.Test.Images, ds.Test.N)
	if err != nil {
		return err
	}
	probs := make([][]float32, len(preds))
	for i, pr := range preds {
		probs[i] = pr.Probabilities
	}
	eval, err := train.NewEvaluation(meta.Classes, ds.Test.Labels, probs)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(eval)
	}
	fmt.Printf("model %s (%s backend), dataset %s\n", meta.ModelID, p.Backend(), *data)
	fmt.Print(eval)
	return nil
}
