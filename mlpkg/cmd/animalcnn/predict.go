package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/serve"
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

func runPredict(fs *flag.FlagSet, args []string) error {
	checkpoint := fs.String("checkpoint", train.DefaultConfig().CheckpointDir, "checkpoint directory (output of train)")
	top := fs.Int("top", 1, "show the k most probable classes (0: all of them)")
	asJSON := fs.Bool("json", false, "print one JSON object per file, one per line (JSON Lines)")
	lang := fs.String("lang", "", "language of the class names, from the checkpoint's display names (e.g. ja)")
	backendSpec := backend.RegisterFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return argsError{errors.New("no image files given (usage: animalcnn predict [flags] FILE|DIR...)")}
	}
	if *top < 0 {
		return argsError{fmt.Errorf("-top %d: want 0 (all classes) or more", *top)}
	}
	// Check every path before loading the model: one that does not exist is
	// reported like an unreadable image, and does not stop the others.
	items, files, fromDir := expandItems(fs.Args())
	var results []predict.FileResult
	var meta *model.Meta
	if len(files) > 0 {
		var err error
		if results, meta, err = classifyFiles(items, files, *checkpoint, *backendSpec, *lang); err != nil {
			return err
		}
	}
	// One file that fails: its error is the command's, on one line.
	if len(items) == 1 && items[0].err != nil && !*asJSON {
		return items[0].err
	}
	failed := printPredictions(items, results, meta, predictFormat{
		top: *top, lang: *lang, json: *asJSON, withPath: len(items) > 1 || fromDir})
	if failed > 0 {
		return fmt.Errorf("%d of %d could not be classified (see above)", failed, len(items))
	}
	return nil
}

// expandItems turns the command's arguments (files and folders) into the
// items to classify, in order, and the files to pass to PredictFiles. An
// argument that cannot be expanded is an item with its error. fromDir tells
// whether a folder was given (then each file is named in the output).
func expandItems(args []string) (items []predictItem, files []string, fromDir bool) {
	for _, arg := range args {
		paths, err := predict.ExpandPaths(arg)
		if err != nil {
			items = append(items, predictItem{path: arg, err: errors.New(trimName("predict", err.Error()))})
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
	return items, files, fromDir
}

// classifyFiles loads the checkpoint on the backend spec asks for and
// classifies files; the items whose file cannot be classified get the error,
// which names the file. It says on stderr when the model has no class names
// in lang.
func classifyFiles(items []predictItem, files []string, checkpoint, spec, lang string) ([]predict.FileResult, *model.Meta, error) {
	p, err := loadPredictor(checkpoint, spec)
	if err != nil {
		return nil, nil, err
	}
	meta := p.Meta()
	if lang != "" && !meta.HasDisplayNames(lang) {
		fmt.Fprintf(os.Stderr, "predict: the model has no class names in %q (display_names in %s/model.json): showing its own\n", lang, checkpoint)
	}
	results, err := p.PredictFiles(files...)
	if err != nil {
		return nil, nil, err
	}
	for i, it := range items {
		if it.err == nil && results[it.file].Err != nil {
			items[i].err = fmt.Errorf("%s: %w", it.path, results[it.file].Err)
		}
	}
	return results, meta, nil
}

// predictFormat is how predict prints its results.
type predictFormat struct {
	top      int    // classes shown per file (0: all)
	lang     string // language of the class names
	json     bool   // JSON Lines instead of text
	withPath bool   // text: start each line with the file's path
}

// printPredictions prints one line per item, in order: its top classes on
// stdout, or its error (on stderr, or as a JSON line on stdout). meta is the
// model's (nil when no file could be read); it returns how many items
// failed.
func printPredictions(items []predictItem, results []predict.FileResult, meta *model.Meta, f predictFormat) (failed int) {
	enc := json.NewEncoder(os.Stdout)
	for _, it := range items {
		if it.err != nil {
			failed++
			if f.json {
				_ = enc.Encode(map[string]string{"path": it.path, "error": it.err.Error()})
			} else {
				fmt.Fprintln(os.Stderr, it.err)
			}
			continue
		}
		r := results[it.file]
		topK := r.Prediction.TopK(f.top)
		if f.json {
			// "top" lists classes as /api/predict's "probabilities" does.
			top := make([]serve.ClassProbability, len(topK))
			for i, s := range topK {
				top[i] = serve.ClassProbability{Class: s.Class, DisplayName: meta.DisplayName(s.Class, f.lang), Probability: s.Probability}
			}
			_ = enc.Encode(map[string]any{"path": r.Path, "class": r.Prediction.Class,
				"display_name": meta.DisplayName(r.Prediction.Class, f.lang), "probability": r.Prediction.Probability, "top": top})
			continue
		}
		parts := make([]string, len(topK))
		for i, s := range topK {
			parts[i] = fmt.Sprintf("%s (%.0f %%)", meta.DisplayName(s.Class, f.lang), 100*s.Probability)
		}
		prefix := ""
		if f.withPath {
			prefix = r.Path + ": "
		}
		fmt.Println(prefix + strings.Join(parts, ", "))
	}
	return failed
}

// predictItem is one file to classify, in the order given: err (a line
// that names the file) when it cannot be, else its index in the files passed
// to PredictFiles.
type predictItem struct {
	path string
	file int
	err  error
}
