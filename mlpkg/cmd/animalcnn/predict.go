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
	top := fs.Int("top", 1, "show the k most probable classes (0: all of them)")
	asJSON := fs.Bool("json", false, "print one JSON object per file, one per line (JSON Lines)")
	lang := fs.String("lang", "", "language of the class names, from the checkpoint's display names (e.g. ja)")
	backendSpec := backend.RegisterFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("no image files given (usage: animalcnn predict [flags] FILE|DIR...)")
	}
	if *top < 0 {
		return fmt.Errorf("-top %d: want 0 (all classes) or more", *top)
	}
	// Check every path before loading the model: one that does not exist is
	// reported like an unreadable image, and does not stop the others.
	var items []predictItem
	var files []string
	fromDir := false // a folder was given: name each file
	for _, arg := range fs.Args() {
		paths, err := predict.ExpandPaths(arg)
		if err != nil {
			msg := trimName("predict", err.Error())
			if strings.HasPrefix(arg, "-") {
				msg += " (flags go before the files: animalcnn predict [flags] FILE|DIR...)"
			}
			items = append(items, predictItem{path: arg, err: errors.New(msg)})
			continue
		}
		if len(paths) != 1 || paths[0] != arg {
			fromDir = true
		}
		for _, f := range paths {
			items = append(items, predictItem{path: f, file: len(files)})
			files = append(files, f)
		}
	}
	var results []predict.FileResult
	var p *predict.Predictor
	if len(files) > 0 {
		var err error
		if p, err = loadPredictor(*checkpoint, *backendSpec); err != nil {
			return err
		}
		if _, ok := p.Meta().DisplayNames[*lang]; *lang != "" && !ok {
			fmt.Fprintf(os.Stderr, "predict: the model has no class names in %q (display_names in %s/model.json): showing its own\n", *lang, *checkpoint)
		}
		if results, err = p.PredictFiles(files...); err != nil {
			return err
		}
		for i, it := range items {
			if it.err == nil && results[it.file].Err != nil {
				items[i].err = fmt.Errorf("%s: %w", it.path, results[it.file].Err)
			}
		}
	}
	// One file that fails: its error is the command's, on one line.
	if len(items) == 1 && items[0].err != nil && !*asJSON {
		return items[0].err
	}

	failed := 0
	enc := json.NewEncoder(os.Stdout)
	for _, it := range items {
		if it.err != nil {
			failed++
			if *asJSON {
				_ = enc.Encode(map[string]string{"path": it.path, "error": it.err.Error()})
			} else {
				fmt.Fprintln(os.Stderr, it.err)
			}
			continue
		}
		r := results[it.file]
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
		if len(items) > 1 || fromDir {
			prefix = r.Path + ": "
		}
		fmt.Println(prefix + strings.Join(parts, ", "))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be classified", failed, len(items))
	}
	return nil
}

// predictItem is one file to classify, in the order given: err (a line
// that names the file) when it cannot be, else its index in the files passed
// to PredictFiles.
type predictItem struct {
	path string
	file int
	err  error
}
