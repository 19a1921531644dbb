package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

func init() {
	register(&command{
		name:    "predict",
		usage:   "[flags] FILE|DIR...",
		summary: `classify image files (or every image in a directory): prints "monkey (97 %)" per file`,
		run:     runPredict,
	})
}

func runPredict(args []string) error {
	fs := newFlagSet(commands["predict"])
	checkpoint := fs.String("checkpoint", train.DefaultConfig().CheckpointDir, "checkpoint directory (output of train)")
	top := fs.Int("top", 1, "show the k most probable classes")
	asJSON := fs.Bool("json", false, "print one JSON object per file")
	lang := fs.String("lang", "", "language of the class names, from the checkpoint's display names (e.g. ja)")
	backendSpec := backend.RegisterFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("no image files given (usage: animalcnn predict [flags] FILE|DIR...)")
	}
	if _, err := predict.ExpandPaths(fs.Args()...); err != nil { // fail fast, before loading the model
		return err
	}
	p, err := loadPredictor(*checkpoint, *backendSpec)
	if err != nil {
		return err
	}
	results, err := p.PredictFiles(fs.Args()...)
	if err != nil {
		return err
	}
	failed := 0
	enc := json.NewEncoder(os.Stdout)
	for _, r := range results {
		if r.Err != nil {
			failed++
			if *asJSON {
				_ = enc.Encode(map[string]string{"path": r.Path, "error": r.Err.Error()})
			} else {
				fmt.Fprintf(os.Stderr, "%s: %v\n", r.Path, r.Err)
			}
			continue
		}
		topK := r.Prediction.TopK(*top)
		if *asJSON {
			_ = enc.Encode(map[string]any{"path": r.Path, "class": r.Prediction.Class,
				"probability": r.Prediction.Probability, "top": topK})
			continue
		}
		parts := make([]string, len(topK))
		for i, s := range topK {
			parts[i] = fmt.Sprintf("%s (%.0f %%)", p.Meta().DisplayName(s.Class, *lang), 100*s.Probability)
		}
		prefix := ""
		if len(results) > 1 {
			prefix = r.Path + ": "
		}
		fmt.Println(prefix + strings.Join(parts, ", "))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be classified", failed, len(results))
	}
	return nil
}
