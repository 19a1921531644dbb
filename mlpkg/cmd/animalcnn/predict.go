package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/serve"
	"github.com/animalcnn/animalcnn/mlpkg/train"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
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
	out := &predictionPrinter{items: items, stdout: os.Stdout, stderr: os.Stderr, format: predictFormat{
		top: *top, lang: *lang, json: *asJSON, withPath: len(items) > 1 || fromDir}}
	// One item that fails: its error is the command's, on one line.
	single := len(items) == 1 && !*asJSON
	out.quiet = single
	if len(files) > 0 {
		if err := classifyFiles(out, files, *checkpoint, *backendSpec); err != nil {
			return err
		}
	}
	out.rest()
	if single && items[0].err != nil {
		return items[0].err
	}
	if out.failed > 0 {
		return fmt.Errorf("%d of %d could not be classified (see above)", out.failed, len(items))
	}
	return nil
}

// expandItems turns the command's arguments (files and folders) into the
// items to classify, in order, and the files to pass to EachFile. An
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
// classifies files, printing each result with out as soon as it is known. It
// says on stderr when the model has no class names in the language asked
// for, and, on a terminal, shows the progress on stderr when the results go
// elsewhere (a file, a pipe).
func classifyFiles(out *predictionPrinter, files []string, checkpoint, spec string) error {
	p, err := loadPredictor(checkpoint, spec)
	if err != nil {
		return err
	}
	out.meta = p.Meta()
	if lang := out.format.lang; lang != "" && !out.meta.HasDisplayNames(lang) {
		fmt.Fprintf(os.Stderr, "animalcnn predict: the model has no class names in %q (display_names in %s/model.json): showing its own\n", lang, checkpoint)
	}
	var bar *progressbar.ProgressBar
	if len(files) > 1 && term.IsTerminal(int(os.Stderr.Fd())) && !term.IsTerminal(int(os.Stdout.Fd())) {
		bar = newBar(len(files), "classifying")
		defer bar.Close() //nolint:errcheck
	}
	next := 0
	return p.EachFile(func(r predict.FileResult) error {
		out.file(next, r)
		next++
		if bar != nil {
			bar.Add(1) //nolint:errcheck
		}
		return nil
	}, files...)
}

// predictFormat is how predict prints its results.
type predictFormat struct {
	top      int    // classes shown per file (0: all)
	lang     string // language of the class names
	json     bool   // JSON Lines instead of text
	withPath bool   // text: start each line with the file's path
}

// predictionPrinter prints one line per item, in the order given: its top
// classes on stdout, or its error (on stderr, or as a JSON line on stdout),
// each as soon as it and the items before it are known.
type predictionPrinter struct {
	items          []predictItem
	stdout, stderr io.Writer
	format         predictFormat
	meta           *model.Meta // the model's, once loaded
	quiet          bool        // leave errors to the caller (one item given)
	printed        int         // items printed so far
	failed         int         // items that could not be classified
	enc            *json.Encoder
}

// file records the result for the i-th of the files classified and prints
// the items up to it.
func (p *predictionPrinter) file(i int, r predict.FileResult) {
	for ; p.printed < len(p.items); p.printed++ {
		it := &p.items[p.printed]
		switch {
		case it.err != nil: // could not be expanded
			p.failure(it)
		case it.file > i:
			return // not classified yet
		case r.Err != nil:
			it.err = fmt.Errorf("%s: %w", it.path, r.Err)
			p.failure(it)
		default:
			p.prediction(r)
		}
	}
}

// rest prints the items left: those after the last file classified, which
// could not be expanded.
func (p *predictionPrinter) rest() {
	for ; p.printed < len(p.items); p.printed++ {
		p.failure(&p.items[p.printed])
	}
}

func (p *predictionPrinter) encoder() *json.Encoder {
	if p.enc == nil {
		p.enc = json.NewEncoder(p.stdout)
	}
	return p.enc
}

// failure prints it, an item that could not be classified.
func (p *predictionPrinter) failure(it *predictItem) {
	p.failed++
	switch {
	case p.quiet:
	case p.format.json:
		_ = p.encoder().Encode(map[string]string{"path": it.path, "error": it.err.Error()})
	default:
		fmt.Fprintln(p.stderr, it.err)
	}
}

// prediction prints r's top classes.
func (p *predictionPrinter) prediction(r predict.FileResult) {
	f, meta := p.format, p.meta
	topK := r.Prediction.TopK(f.top)
	if f.json {
		// "top" lists classes as /api/predict's "probabilities" does.
		top := make([]serve.ClassProbability, len(topK))
		for i, s := range topK {
			top[i] = serve.ClassProbability{Class: s.Class, DisplayName: meta.DisplayName(s.Class, f.lang), Probability: s.Probability}
		}
		_ = p.encoder().Encode(map[string]any{"path": r.Path, "class": r.Prediction.Class,
			"display_name": meta.DisplayName(r.Prediction.Class, f.lang), "probability": r.Prediction.Probability, "top": top})
		return
	}
	parts := make([]string, len(topK))
	for i, s := range topK {
		parts[i] = fmt.Sprintf("%s (%.0f %%)", meta.DisplayName(s.Class, f.lang), 100*s.Probability)
	}
	prefix := ""
	if f.withPath {
		prefix = r.Path + ": "
	}
	fmt.Fprintln(p.stdout, prefix+strings.Join(parts, ", "))
}

// predictItem is one file to classify, in the order given: err (a line
// that names the file) when it cannot be, else its index in the files passed
// to EachFile.
type predictItem struct {
	path string
	file int
	err  error
}
