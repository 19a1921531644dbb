package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
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

func runEvaluate(fs *flag.FlagSet, args []string) error {
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
	train.LimitMemory(ds) // the limit loadPredictor set, with room for the dataset
	progress, closeBar := terminalProgress("classifying the test split")
	eval, otherDataset, err := p.EvaluateTestSplit(ds, progress)
	closeBar()
	if m := p.Meta(); errors.Is(err, predict.ErrOtherClasses) {
		return fmt.Errorf("checkpoint %s: %w; prepare the dataset as the model was, with -classes %s -size %d (into another -data folder to keep this one)",
			*checkpoint, err, strings.Join(m.Classes, ","), m.ImageSize)
	}
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", *checkpoint, err)
	}
	if otherDataset {
		fmt.Fprintln(os.Stderr, "note: the dataset differs from the one the model was trained on (its test images may have been seen in training)")
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(eval)
	}
	fmt.Printf("model %s (%s backend), test split of %s\n", p.Meta().ModelID, p.Backend(), *data)
	fmt.Print(eval)
	return nil
}
