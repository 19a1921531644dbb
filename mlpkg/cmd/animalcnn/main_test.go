package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/internal/testenv"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/fashion"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

// binary is the animalcnn command built once for the tests in this file.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "animalcnn-cli-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "animalcnn")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// animalcnn runs the command in dir and returns its stdout, stderr and exit code.
func animalcnn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go")
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// writePatterns writes a small learnable folder-per-class tree: stripes one
// way or the other, and a square, in random-ish colours.
func writePatterns(t *testing.T, root string, perClass int) {
	t.Helper()
	for c, class := range []string{"horizontal", "square", "vertical"} {
		dir := filepath.Join(root, class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perClass {
			img := image.NewRGBA(image.Rect(0, 0, 40, 40))
			fg := color.RGBA{uint8(100 + 37*i%150), uint8(200 - 53*i%150), uint8(50 + 71*i%200), 255}
			for y := range 40 {
				for x := range 40 {
					on := false
					switch c {
					case 0:
						on = (y+i)%8 < 4
					case 1:
						on = x > 10 && x < 30 && y > 10 && y < 30
					case 2:
						on = (x+i)%8 < 4
					}
					if on {
						img.Set(x, y, fg)
					} else {
						img.Set(x, y, color.RGBA{30, 30, 30, 255})
					}
				}
			}
			f, err := os.Create(filepath.Join(dir, class+"-"+string(rune('a'+i/26))+string(rune('a'+i%26))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// TestPipeline runs prepare → train → evaluate → predict on a generated
// dataset, as a user would from a shell.
func TestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	dir := t.TempDir()
	writePatterns(t, filepath.Join(dir, "data/images"), 40)
	if err := os.WriteFile(filepath.Join(dir, "data/images/square/notes.jpg"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := animalcnn(t, dir, "prepare", "-size", "18")
	if code != 0 {
		t.Fatalf("prepare: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out+errOut, "notes.jpg") {
		t.Errorf("prepare did not report the non-image file:\n%s%s", out, errOut)
	}

	_, errOut, code = animalcnn(t, dir, "train", "-batch", "1000", "-checkpoint", "big-batch")
	if want := "fewer than one batch of 1000: lower the batch size, or add pictures (-batch sets the batch size)"; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("train -batch 1000 on 90 pictures: exit %d, stderr %q, want %q", code, errOut, want)
	}

	out, errOut, code = animalcnn(t, dir, "train", "-epochs", "4", "-lr", "1e-3", "-dense-units", "32", "-log-every", "1ns")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`best epoch \d+ \(validation accuracy [01]\.\d+\), in \S+/best: test accuracy [01]\.\d+ on \d+ images`).MatchString(out) {
		t.Errorf("train output lacks the best epoch and its test accuracy:\n%s", out)
	}
	// The epoch lines are results: on standard output with the summary.
	// Without a terminal, progress lines within an epoch go to stderr.
	if n := strings.Count(out, "train loss"); n != 4 || strings.Contains(errOut, "train loss") {
		t.Errorf("train: %d epoch lines on standard output, want 4\nstdout:\n%s\nstderr:\n%s", n, out, errOut)
	}
	if !regexp.MustCompile(`(?m)^epoch 4/4: batch \d+/\d+, loss \d+\.\d+, \d+\.\d img/s$`).MatchString(errOut) {
		t.Errorf("train -log-every 1ns: no progress lines on stderr:\n%s", errOut)
	}

	// Asking for fewer epochs than the checkpoint has trains nothing, and says so.
	out, errOut, code = animalcnn(t, dir, "train", "-epochs", "2", "-lr", "1e-3", "-dense-units", "32")
	if want := "data/checkpoints/cnn already has 4 epoch(s) (asked for 2): nothing to train"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("train -epochs 2 after 4: exit %d, want a message %q\n%s%s", code, want, out, errOut)
	}
	// Asking for more resumes, and says so.
	out, errOut, code = animalcnn(t, dir, "train", "-epochs", "5", "-lr", "1e-3", "-dense-units", "32")
	if want := "resuming data/checkpoints/cnn at epoch 5 of 5"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("train -epochs 5 after 4: exit %d, want a message %q\n%s%s", code, want, out, errOut)
	}
	// -patience counts the epochs since the best one in the whole run: with
	// as many as there are already, there is nothing to train; with one
	// more, training goes on. (One epoch at a time until the best epoch is
	// not the last.)
	epochs, since := 5, 0
	for ; ; epochs++ {
		meta, err := model.LoadMeta(filepath.Join(dir, "data/checkpoints/cnn"))
		if err != nil {
			t.Fatal(err)
		}
		if since = epochs - int(meta.Metrics["best_epoch"]); since > 0 {
			break
		}
		if epochs == 9 {
			t.Fatalf("setup: epochs 5 to 9 were each the best so far; the test would prove nothing")
		}
		if out, errOut, code := animalcnn(t, dir, "train", "-epochs", strconv.Itoa(epochs+1), "-lr", "1e-3", "-dense-units", "32"); code != 0 {
			t.Fatalf("train -epochs %d: exit %d\n%s%s", epochs+1, code, out, errOut)
		}
	}
	out, errOut, code = animalcnn(t, dir, "train", "-epochs", "20", "-patience", strconv.Itoa(since), "-lr", "1e-3", "-dense-units", "32")
	if code != 0 || strings.Contains(out, "train loss") || !strings.Contains(out, "nothing to train") ||
		!strings.Contains(out, fmt.Sprintf("stopped early after epoch %d (%d epochs without a better one)", epochs, since)) {
		t.Errorf("train -patience %d, %d epochs since the best: exit %d, want nothing trained\n%s%s", since, since, code, out, errOut)
	}
	out, errOut, code = animalcnn(t, dir, "train", "-epochs", strconv.Itoa(epochs+1), "-patience", strconv.Itoa(since+1), "-lr", "1e-3", "-dense-units", "32")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("epoch %2d/%d", epochs+1, epochs+1)) {
		t.Errorf("train -patience %d, %d epochs since the best: exit %d, want epoch %d trained\n%s%s", since+1, since, code, epochs+1, out, errOut)
	}
	// A run that cannot be resumed is refused, saying which flags help (the
	// library says it in train.Config's terms).
	_, errOut, code = animalcnn(t, dir, "train", "-epochs", "6", "-lr", "1e-3", "-dense-units", "32", "-seed", "2")
	if want := "data/checkpoints/cnn holds a run that resumes only with seed 1, not 2: pass -fresh to start a new run that replaces it, or choose another -checkpoint directory\n"; code != 1 || !strings.HasSuffix(errOut, want) {
		t.Errorf("train -seed 2 after -seed 1: exit %d, stderr %q, want it to end with %q", code, errOut, want)
	}
	// So is a training that diverges: -lr is the way out.
	_, errOut, code = animalcnn(t, dir, "train", "-epochs", "1", "-lr", "1e6", "-dense-units", "32", "-checkpoint", "data/checkpoints/diverged")
	if want := "training diverged"; code != 1 || !strings.Contains(errOut, want) || !strings.HasSuffix(errOut, "(-lr sets the learning rate)\n") {
		t.Errorf("train -lr 1e6: exit %d, stderr %q, want %q and -lr", code, errOut, want)
	}

	out, errOut, code = animalcnn(t, dir, "evaluate")
	if code != 0 || !strings.Contains(out, "confusion matrix") || !strings.Contains(out, "precision") {
		t.Fatalf("evaluate: exit %d\n%s%s", code, out, errOut)
	}
	// -json: the same figures, for programs.
	jsonOut, errOut, code := animalcnn(t, dir, "evaluate", "-json")
	var ev struct {
		Classes   []string  `json:"classes"`
		N         int       `json:"n"`
		Accuracy  float64   `json:"accuracy"`
		Confusion [][]int   `json:"confusion"`
		Recall    []float64 `json:"recall"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &ev); code != 0 || err != nil {
		t.Fatalf("evaluate -json: exit %d, %v\n%s%s", code, err, jsonOut, errOut)
	}
	diagonal, total := 0, 0
	for i, row := range ev.Confusion {
		for j, n := range row {
			total += n
			if i == j {
				diagonal += n
			}
		}
	}
	if len(ev.Classes) != 3 || ev.N != total || ev.N == 0 || ev.Accuracy != float64(diagonal)/float64(total) || len(ev.Recall) != 3 ||
		!strings.Contains(out, "test split of data/processed\naccuracy "+fmt.Sprintf("%.4f", ev.Accuracy)) {
		t.Errorf("evaluate -json %+v does not match its confusion matrix or the text report:\n%s", ev, out)
	}
	// The same classes prepared again with another split: evaluated, with a
	// note that the model may have trained on these test images.
	if out, errOut, code := animalcnn(t, dir, "prepare", "-size", "18", "-seed", "2", "-data", "resplit"); code != 0 {
		t.Fatalf("prepare -seed 2: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = animalcnn(t, dir, "evaluate", "-data", "resplit")
	if code != 0 || !strings.Contains(out, "confusion matrix") || !strings.Contains(errOut, "note: the dataset differs from the one the model was trained on") {
		t.Errorf("evaluate on another split: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	// The classes in another order: evaluated, in the model's order.
	if out, errOut, code := animalcnn(t, dir, "prepare", "-size", "18", "-classes", "vertical,square,horizontal", "-data", "reordered"); code != 0 {
		t.Fatalf("prepare -data reordered: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = animalcnn(t, dir, "evaluate", "-data", "reordered")
	if code != 0 || !strings.Contains(out, "confusion matrix") {
		t.Errorf("evaluate on the classes in another order: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	// A dataset of other classes: the error says how to prepare one the
	// model can be evaluated on.
	if out, errOut, code := animalcnn(t, dir, "prepare", "-size", "18", "-classes", "vertical,square", "-data", "other"); code != 0 {
		t.Fatalf("prepare -data other: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = animalcnn(t, dir, "evaluate", "-data", "other")
	if want := "prepare the dataset as the model was, with -classes horizontal,square,vertical -size 18"; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("evaluate on a dataset of other classes: exit %d, stderr %q, want %q", code, errOut, want)
	}
	// A dataset with a file gone: the error names it.
	if err := os.Remove(filepath.Join(dir, "other", dataset.TrainLabelsFile)); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = animalcnn(t, dir, "train", "-data", "other", "-checkpoint", "other-cnn")
	if code != 1 || !strings.Contains(errOut, dataset.TrainLabelsFile) || !strings.Contains(errOut, `run "animalcnn prepare" again`) {
		t.Errorf("train on a dataset without its labels: exit %d, stderr %q", code, errOut)
	}

	img := filepath.Join(dir, "data/images/square/square-aa.png")
	out, errOut, code = animalcnn(t, dir, "predict", "-top", "3", img)
	if code != 0 {
		t.Fatalf("predict: exit %d\n%s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`^(horizontal|square|vertical) \(\d+ %\), \w+ \(\d+ %\), \w+ \(\d+ %\)\n$`).MatchString(out) {
		t.Errorf("predict output %q is not of the form \"square (97 %%), …\"", out)
	}
	out, _, code = animalcnn(t, dir, "predict", "-json", img)
	if code != 0 || !strings.Contains(out, `"class":`) || !strings.Contains(out, `"probability":`) {
		t.Errorf("predict -json: exit %d, %s", code, out)
	}
	// A language the model has no class names in: said once, then its own names.
	out, errOut, code = animalcnn(t, dir, "predict", "-lang", "ja", img)
	if code != 0 || !strings.Contains(errOut, `no class names in "ja"`) || !regexp.MustCompile(`^(horizontal|square|vertical) \(`).MatchString(out) {
		t.Errorf("predict -lang ja: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}

	// Class names from the checkpoint's display_names, in the -lang asked for.
	setDisplayNames(t, filepath.Join(dir, "data/checkpoints/cnn"), "de",
		map[string]string{"horizontal": "waagerecht", "square": "Quadrat", "vertical": "senkrecht"})
	out, errOut, code = animalcnn(t, dir, "predict", "-lang", "de", "-top", "0", img)
	if code != 0 || errOut != "" || !regexp.MustCompile(`^(waagerecht|Quadrat|senkrecht) \(\d+ %\), (waagerecht|Quadrat|senkrecht) \(\d+ %\), (waagerecht|Quadrat|senkrecht) \(\d+ %\)\n$`).MatchString(out) {
		t.Errorf("predict -lang de: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}

	// The default is the top class only; percentages are percentages.
	out, errOut, code = animalcnn(t, dir, "predict", img)
	if code != 0 || !regexp.MustCompile(`^(horizontal|square|vertical) \(\d+ %\)\n$`).MatchString(out) {
		t.Errorf("predict: exit %d\nstdout %q\nstderr %q, want one class", code, out, errOut)
	}
	out, _, _ = animalcnn(t, dir, "predict", "-top", "0", img)
	sum := 0
	for _, m := range regexp.MustCompile(`\((\d+) %\)`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	if sum < 98 || sum > 102 {
		t.Errorf("predict -top 0: percentages sum to %d in %q, want about 100", sum, out)
	}
	// Each file's own error, whatever the others'.
	if err := os.WriteFile(filepath.Join(dir, "notes.jpg"), []byte("not a photo"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = animalcnn(t, dir, "predict", "notes.jpg", "missing.png")
	if code != 1 || !strings.Contains(errOut, "missing.png: no such file") || !strings.Contains(errOut, "notes.jpg: ") {
		t.Errorf("predict notes.jpg missing.png: exit %d, stderr %q, want an error for each", code, errOut)
	}

	// -json: one JSON object per file and line, with display names in -lang
	// as /api/predict gives them, a failed file as its path and error, in
	// the order given.
	out, errOut, code = animalcnn(t, dir, "predict", "-json", "-lang", "de", "-top", "3", img, "missing.png")
	if lines := jsonLines(t, out); code != 1 || len(lines) != 2 {
		t.Errorf("predict -json good missing: exit %d, %d lines, want 1 and 2\n%s%s", code, len(lines), out, errOut)
	} else {
		good, bad := lines[0], lines[1]
		top, _ := good["top"].([]any)
		p, _ := good["probability"].(float64)
		if good["path"] != img || !slices.Contains([]any{"horizontal", "square", "vertical"}, good["class"]) || p <= 0 || p > 1 || len(top) != 3 {
			t.Errorf("predict -json -top 3: %v", good)
		} else if first, _ := top[0].(map[string]any); first["class"] != good["class"] || first["probability"] != good["probability"] ||
			first["display_name"] != good["display_name"] {
			t.Errorf("predict -json: top[0] %v is not the class %v", first, good)
		} else if keys := slices.Sorted(maps.Keys(first)); !slices.Equal(keys, []string{"class", "display_name", "probability"}) {
			t.Errorf("predict -json: top[0] has the keys %q, want those of /api/predict's probabilities", keys)
		}
		if keys := slices.Sorted(maps.Keys(good)); !slices.Equal(keys, []string{"class", "display_name", "path", "probability", "top"}) {
			t.Errorf("predict -json: keys %q", keys)
		}
		if name, _ := good["display_name"].(string); !slices.Contains([]string{"waagerecht", "Quadrat", "senkrecht"}, name) {
			t.Errorf("predict -json -lang de: display_name %q, want the German name", name)
		}
		if e, _ := bad["error"].(string); bad["path"] != "missing.png" || !strings.Contains(e, "no such file") || len(bad) != 2 {
			t.Errorf("predict -json, missing file: %v", bad)
		}
	}
	// One file that fails is a JSON line too.
	out, errOut, code = animalcnn(t, dir, "predict", "-json", "missing.png")
	if lines := jsonLines(t, out); code != 1 || len(lines) != 1 || lines[0]["path"] != "missing.png" || lines[0]["error"] == nil {
		t.Errorf("predict -json missing.png: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}

	// A folder of one picture still names it.
	one := filepath.Join(t.TempDir(), "one folder")
	if err := os.MkdirAll(one, 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(img); err != nil || os.WriteFile(filepath.Join(one, "a.png"), b, 0o644) != nil {
		t.Fatal("copy the picture:", err)
	}
	out, errOut, code = animalcnn(t, dir, "predict", one)
	if want := filepath.Join(one, "a.png") + ": "; code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("predict on a folder of one picture: exit %d, %q, want it to start with %q\n%s", code, out, want, errOut)
	}
	// Flags may follow the files, as argparse allows; after "--" all are files.
	out, errOut, code = animalcnn(t, dir, "predict", img, "-top", "2")
	if code != 0 || strings.Count(out, "%") != 2 {
		t.Errorf("predict FILE -top 2: exit %d, %q, want two classes\n%s", code, out, errOut)
	}
	_, errOut, code = animalcnn(t, dir, "predict", "--", img, "-top")
	if code != 1 || !strings.Contains(errOut, "-top: no such file or directory") {
		t.Errorf("predict -- FILE -top: exit %d, want -top read as a file\n%s", code, errOut)
	}
	if _, errOut, code = animalcnn(t, dir, "predict", "-top", "-1", img); code != 2 || !strings.Contains(errOut, "-top -1") {
		t.Errorf("predict -top -1: exit %d, want 2 (a usage error)\n%s", code, errOut)
	}
	// A dangling link in a folder fails for itself only.
	if err := os.Symlink(filepath.Join(one, "gone.png"), filepath.Join(one, "b.png")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = animalcnn(t, dir, "predict", one)
	if code != 1 || !strings.HasPrefix(out, filepath.Join(one, "a.png")+": ") || !strings.Contains(errOut, filepath.Join(one, "b.png")+": a broken link (to ") {
		t.Errorf("predict on a folder with a dangling link: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}

	// A directory with one bad file: the good ones are printed, the bad one
	// is reported, and the exit status says something failed.
	out, errOut, code = animalcnn(t, dir, "predict", filepath.Join(dir, "data/images/square"))
	if code == 0 || !strings.Contains(errOut, "notes.jpg") || strings.Count(out, "\n") != 40 {
		t.Errorf("predict on a folder with a bad file: exit %d, %d lines\n%s", code, strings.Count(out, "\n"), errOut)
	}
	if strings.Count(errOut, "notes.jpg") != 1 {
		t.Errorf("predict: the bad file's error repeats its path:\n%s", errOut)
	}

	// A missing file is one more per-file error: the others are classified.
	notes := filepath.Join(dir, "data/images/square/notes.jpg")
	out, errOut, code = animalcnn(t, dir, "predict", img, "missing.png", notes)
	if code == 0 || !strings.HasPrefix(out, img+": ") || strings.Count(out, "\n") != 1 ||
		!strings.Contains(errOut, "missing.png: no such file or directory\n") || !strings.Contains(errOut, notes+": ") ||
		!strings.Contains(errOut, "2 of 3 could not be classified (see above)") {
		t.Errorf("predict good, missing, bad: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	testServe(t, dir)
}

// No subcommand is a usage error (exit 2); "help" asked for is not.
func TestUsageExitCodes(t *testing.T) {
	code, stdout, stderr := runCaptured(t)
	if code != 2 || stdout != "" || !strings.Contains(stderr, "predict") {
		t.Errorf("no arguments: exit %d, want 2 and the list of subcommands on stderr:\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// A -backend that names no backend is a usage error too.
	if code, _, stderr := runCaptured(t, "predict", "-backend", "bogus", os.Args[0]); code != 2 || !strings.Contains(stderr, `unknown backend "bogus"`) {
		t.Errorf("predict -backend bogus: exit %d, stderr %q, want 2", code, stderr)
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"help", "predict"}} {
		if code, _, _ := runCaptured(t, args...); code != 0 {
			t.Errorf("%v: exit %d, want 0", args, code)
		}
	}
}

// "help NAME" prints what "NAME -h" does, every flag included, both on
// standard output (as argparse does, so that "| less" shows it); a
// subcommand without flags prints no empty "flags:" section.
func TestHelpSubcommandListsFlags(t *testing.T) {
	for name := range commands {
		code, help, _ := runCaptured(t, "help", name)
		_, dashH, _ := runCaptured(t, name, "-h")
		if code != 0 || help == "" || help != dashH {
			t.Errorf("help %s: exit %d, stdout:\n%s\nwant what %s -h prints:\n%s", name, code, help, name, dashH)
		}
		if strings.HasSuffix(help, "flags:\n") || strings.Contains(help, " \n") {
			t.Errorf("help %s: an empty flags section or a trailing space:\n%q", name, help)
		}
	}
	if _, help, _ := runCaptured(t, "help", "train"); !strings.Contains(help, "-epochs") || !strings.Contains(help, "-backend") {
		t.Errorf("help train lists no -epochs or -backend flag:\n%s", help)
	}
}

// jsonLines parses out as JSON Lines, failing the test on a line that is
// not a JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("line %q is not a JSON object: %v", l, err)
			continue
		}
		lines = append(lines, m)
	}
	return lines
}

// setDisplayNames adds class display names in lang to the model.json of
// the checkpoint in dir.
func setDisplayNames(t *testing.T, dir, lang string, names map[string]string) {
	t.Helper()
	path := filepath.Join(dir, "model.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	meta["display_names"] = map[string]any{lang: names}
	if b, err = json.MarshalIndent(meta, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// testServe starts "animalcnn serve" on a free port in dir, checks that it
// prints its URL and answers there, and stops it with SIGINT.
func testServe(t *testing.T, dir string) {
	cmd := exec.Command(binary, "serve", "-addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var url string
	select {
	case line := <-lines:
		m := regexp.MustCompile(`^Serving on (http://127\.0\.0\.1:[1-9]\d*) \(Ctrl-C to stop\)$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("serve: first line %q, want \"Serving on http://127.0.0.1:PORT (Ctrl-C to stop)\"\n%s", line, errOut.String())
		}
		url = m[1]
	case <-time.After(60 * time.Second):
		t.Fatalf("serve printed no URL in 60 s\n%s", errOut.String())
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("GET %s/healthz: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/healthz: %s", url, resp.Status)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for range lines { // drain until the process closes stdout
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGINT: %v\n%s", err, errOut.String())
	}
}

// A setting out of range is a usage error, as a bad flag is (exit 2): one
// line naming it, before any work (nothing on standard output, no data or
// model read). A mistyped flag gets three short lines, not the whole usage.
func TestBadSettingsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLICKR_API_KEY", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"crawl", "-size", "zz"}, `unknown size "zz"`},
		{[]string{"crawl", "-per-page", "600"}, "per-page must be between 0 and 500, got 600"},
		{[]string{"prepare", "-test-fraction", "1.5"}, "test fraction must be in [0, 1), got 1.5"},
		{[]string{"prepare", "-workers", "-1"}, "workers must be 0 (one per CPU) or more, got -1"},
		{[]string{"prepare", "-size", "51"}, "-size 51: model: image size must be"},
		{[]string{"prepare", "-size", "0"}, "-size 0: model: image size must be 14 or more"},
		{[]string{"prepare", "-test-per-class", "5", "-test-fraction", "0.5"}, "-test-per-class and -test-fraction are two ways"},
		{[]string{"prepare", "-data", "data/images"}, "the output folder data/images is in the images folder"},
		{[]string{"train", "-batch", "0"}, "batch size must be at least 1, got 0"},
		{[]string{"train", "-conv-dropout", "1"}, "model: conv dropout must be in [0, 1), got 1"},
		{[]string{"train", "-dense-dropout", "-0.5"}, "model: dense dropout must be in [0, 1), got -0.5"},
		{[]string{"train", "-log-every", "-5s"}, "-log-every -5s: want 0 (no progress lines) or more"},
		{[]string{"train", "-patience", "3", "-validation", "0"}, "patience 3 needs photos held out for validation"},
		{[]string{"train", "-patience", "-1"}, "patience must be 0 (train every epoch) or more, got -1"},
		{[]string{"serve", "-max-pixels", "0"}, "animalcnn serve: max pixels must be positive, got 0\n"},
		{[]string{"import-fashion", "-per-class", "0"}, "per class must be in 1..7000, got 0"},
		{[]string{"train", "-lr", "-1"}, "learning rate must be a positive number, got -1"},
		{[]string{"train", "-rho", "1"}, "rho must be in (0, 1), got 1"},
		{[]string{"import-fashion", "-classes", "sandal,sandles"}, `unknown class "sandles"`},
	} {
		out, errOut, code := animalcnn(t, dir, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || out != "" {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q\nwant exit 2 and one line saying %q", tc.args, code, out, errOut, tc.want)
		}
	}
	// A flag given last without its value is an error, not set to "--".
	for _, args := range [][]string{{"prepare", "-size", "18", "-data"}, {"predict", "a.png", "-top"}} {
		_, errOut, code := animalcnn(t, dir, args...)
		if want := "flag needs an argument: " + args[len(args)-1]; code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", args, code, errOut, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "--")); err == nil {
		t.Error("a folder named -- was written")
	}
	_, errOut, code := animalcnn(t, dir, "train", "-epoch", "3")
	want := "animalcnn train: flag provided but not defined: -epoch\ndid you mean -epochs?\nRun \"animalcnn train -h\" for its flags.\n"
	if code != 2 || errOut != want {
		t.Errorf("train -epoch 3: exit %d, stderr:\n%s\nwant:\n%s", code, errOut, want)
	}
}

// TestErrors checks the one-line errors users see for common mistakes.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"prepare", "-images", "missing"}, "animalcnn prepare: missing: images folder not found (import or crawl photos first)\n"},
		{[]string{"prepare", "-images", "missing", "-size", "51"}, "-size 51: model: image size must be 14 or more and leave 2 when divided by 4"},
		{[]string{"train"}, `run "animalcnn prepare" first`},
		{[]string{"predict", "-checkpoint", "nowhere", "x.png"}, "x.png: no such file"},
		{[]string{"predict", "-checkpoint", "nowhere", "empty"}, "no image files"},
		{[]string{"predict"}, "no image files given (usage: animalcnn predict"},
		{[]string{"nosuchcommand"}, `unknown subcommand "nosuchcommand"` + "\n"},
		{[]string{"trian"}, `unknown subcommand "trian"; did you mean "train"?`},
		{[]string{"Predcit"}, `did you mean "predict"?`},
		{[]string{"serv"}, `did you mean "serve"?`},
		{[]string{"help", "nonsense"}, `unknown subcommand "nonsense"`},
		{[]string{"serve", "foo"}, "unexpected arguments"},
		{[]string{"crawl", "foo"}, `unexpected arguments ["foo"] (classes go in -classes)`},
		// A bad setting is named before the model is looked for.
		{[]string{"serve", "-max-upload-bytes", "0", "-checkpoint", "nowhere"}, "max upload bytes must be in 1..268435456 (256 MiB, the largest picture file read anywhere), got 0"},
		{[]string{"serve", "-max-upload-bytes", "9223372036854775807", "-checkpoint", "nowhere"}, "max upload bytes must be in 1..268435456"},
		{[]string{"backends", "extra"}, "unexpected arguments"},
		{[]string{"predict", "-nosuchflag", "x.png"}, "flag provided but not defined: -nosuchflag\n"},
		{[]string{"train", "-epoch", "3"}, "did you mean -epochs?"},
		{[]string{"prepare", "--augmnet"}, "did you mean -augment?"},
		{[]string{"train", "-epochs", "many"}, `invalid value "many" for flag -epochs`},
		// A bad setting is named before the dataset is looked for.
		{[]string{"train", "-epochs", "0"}, "epochs must be at least 1, got 0"},
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cat.png"), []byte{0x89, 'P', 'N', 'G'}, 0o644); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		args []string
		want string
	}{[]string{"predict", "-checkpoint", "nowhere", "cat.png"}, "-checkpoint: load model: nowhere is not a checkpoint directory (model.json: no such file or directory): train a model first"}, struct {
		args []string
		want string
	}{[]string{"predict", "-checkpoint", "cat.png", "cat.png"}, "-checkpoint: load model: cat.png is not a checkpoint directory (model.json: not a directory): train a model first"})
	for _, c := range cases {
		out, errOut, code := animalcnn(t, dir, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to mention %q (stdout %q)", c.args, code, errOut, c.want, out)
		}
		usage := strings.Contains(c.want, "subcommand") || strings.Contains(c.want, "did you mean") || strings.Contains(c.want, "flag") ||
			strings.Contains(c.want, "unexpected arguments") || strings.Contains(c.want, "usage:")
		if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines > 0 && !usage {
			t.Errorf("%v: error is %d lines, want one:\n%s", c.args, lines+1, errOut)
		}
		if usage && code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage error)", c.args, code)
		}
		if n := strings.Count(errOut, c.want); n != 1 {
			t.Errorf("%v: %q printed %d times, want once:\n%s", c.args, c.want, n, errOut)
		}
		if m := regexp.MustCompile(`animalcnn (\S+): (\S+):`).FindStringSubmatch(errOut); m != nil && m[1] == m[2] {
			t.Errorf("%v: error repeats its prefix: %q", c.args, errOut)
		}
	}

	if _, errOut, _ := animalcnn(t, dir, "serve", "-max-upload-bytes", "0", "-checkpoint", "nowhere"); strings.Contains(errOut, "nowhere") {
		t.Errorf("serve with a bad setting and no checkpoint talks of the checkpoint: %q", errOut)
	}

	// Several missing files: each is reported, and the model is not loaded.
	out, errOut, code := animalcnn(t, dir, "predict", "-checkpoint", "nowhere", "a.png", "b.png")
	if code != 1 || !strings.Contains(errOut, "a.png: no such file or directory\n") ||
		!strings.Contains(errOut, "b.png: no such file or directory\n") || strings.Contains(errOut, "checkpoint") {
		t.Errorf("predict a.png b.png (both missing): exit %d\nstdout %q\nstderr:\n%s", code, out, errOut)
	}

	// A busy port: the error says which flag to change.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, errOut, code = animalcnn(t, dir, "serve", "-checkpoint", "nowhere", "-addr", ln.Addr().String())
	if code == 0 || !strings.Contains(errOut, ln.Addr().String()+" is already in use") || !strings.Contains(errOut, "-addr") {
		t.Errorf("serve on a busy port: exit %d, stderr %q", code, errOut)
	}
	for _, sub := range []string{"import-fashion", "crawl", "attribution", "prepare", "train", "evaluate", "predict", "serve", "backends"} {
		out, errOut, code := animalcnn(t, dir, sub, "-h")
		if code != 0 || !strings.HasPrefix(out, "usage: animalcnn "+sub) || errOut != "" {
			t.Errorf("%s -h: exit %d\nstdout:\n%s\nstderr:\n%s", sub, code, out, errOut)
		}
	}
}

// backends stars the backend the other commands use, gives the notes of
// installed backends too, says when GOMLX_BACKEND chose it, and fails, as
// they would, when it names none.
func TestBackendsFollowsTheEnvironment(t *testing.T) {
	t.Setenv(backend.EnvBackend, "go")
	if code, out, _ := runCaptured(t, "backends"); code != 0 || !strings.Contains(out, "* go        installed: pure Go") || !strings.Contains(out, "(GOMLX_BACKEND=go)") {
		t.Errorf("GOMLX_BACKEND=go: exit %d\n%s", code, out)
	}
	t.Setenv(backend.EnvBackend, "bogus")
	if code, out, errOut := runCaptured(t, "backends"); code != 1 || strings.Contains(out, "*") ||
		!strings.Contains(errOut, "GOMLX_BACKEND=bogus names no backend installed here") {
		t.Errorf("GOMLX_BACKEND=bogus: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Setenv(backend.EnvBackend, "")
	if code, out, _ := runCaptured(t, "backends"); code != 0 || strings.Count(out, "* ") != 2 || // one backend and the legend
		!strings.Contains(out, "* = used when no -backend flag or GOMLX_BACKEND is given") {
		t.Errorf("GOMLX_BACKEND unset: exit %d\n%s", code, out)
	}
}

// interrupt runs animalcnn with args in dir, presses Ctrl-C (SIGINT) once
// started says the work is under way, and returns what it wrote on stderr,
// failing the test unless it exited as interrupted (status 130).
func interrupt(t *testing.T, dir string, started func() bool, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck
	for deadline := time.Now().Add(30 * time.Second); !started(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start\n%s%s", args[0], o.String(), e.String())
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("%s: exit %v, want code %d (interrupted; it may have finished first)\n%s", args[0], err, exitInterrupted, e.String())
	}
	return o.String(), e.String()
}

// Ctrl-C stops prepare: it says it is stopping, exits with status 130, and
// leaves no trace of the output folder it was to create.
func TestPrepareInterrupted(t *testing.T) {
	if !fashion.Installed(fashion.DefaultSourceDir) {
		testenv.SkipMissing(t, "dataset-fashion-mnist is not installed")
	}
	dir := t.TempDir()
	if out, errOut, code := animalcnn(t, dir, "import-fashion", "-images", "images", "-per-class", "1000"); code != 0 {
		t.Fatalf("import-fashion: exit %d\n%s%s", code, out, errOut)
	}
	// The lock is taken before the photos are decoded (seconds here).
	_, stderr := interrupt(t, dir, func() bool {
		_, err := os.Stat(filepath.Join(dir, "processed", ".prepare.lock"))
		return err == nil
	}, "prepare", "-images", "images", "-data", "processed", "-augment")
	if !strings.Contains(stderr, "stopping: processed is left as it was") || !strings.Contains(stderr, "animalcnn prepare: interrupted, nothing written") {
		t.Errorf("stderr %q, want the stopping note and the interrupted line", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "processed")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an interrupted prepare left its new output folder: %v", err)
	}
}

// Ctrl-C stops import-fashion cleanly: it says it is stopping, exits with
// status 130 (interrupted, not failed) and the pictures it wrote are whole.
func TestImportFashionInterrupted(t *testing.T) {
	if !fashion.Installed(fashion.DefaultSourceDir) {
		testenv.SkipMissing(t, "dataset-fashion-mnist is not installed")
	}
	dir := t.TempDir()
	_, stderr := interrupt(t, dir, func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "images", "sandal", "*.png"))
		return len(m) >= 10
	}, "import-fashion", "-images", "images", "-per-class", "7000")
	if !strings.Contains(stderr, "stopping") || !strings.Contains(stderr, "animalcnn import-fashion: interrupted; the pictures written so far are complete: rerun the same command to resume") {
		t.Errorf("stderr %q, want the stopping note and the interrupted line", stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "images", "*", "*.png"))
	for _, f := range files {
		if _, err := imageio.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// train -fresh says it deleted the run it replaces, and, interrupted, that
// the run resumes without -fresh (which would start over again).
func TestTrainFreshInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	dir := t.TempDir()
	writePatterns(t, filepath.Join(dir, "data/images"), 40)
	if out, errOut, code := animalcnn(t, dir, "prepare", "-size", "18"); code != 0 {
		t.Fatalf("prepare: exit %d\n%s%s", code, out, errOut)
	}
	ckpt := filepath.Join(dir, "data/checkpoints/cnn")
	if out, errOut, code := animalcnn(t, dir, "train", "-epochs", "1", "-dense-units", "32"); code != 0 {
		t.Fatalf("train: exit %d\n%s%s", code, out, errOut)
	}
	old, err := os.Stat(filepath.Join(ckpt, model.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	// The new run writes its model.json before its first step.
	stdout, stderr := interrupt(t, dir, func() bool {
		fi, err := os.Stat(filepath.Join(ckpt, model.MetaFile))
		return err == nil && fi.ModTime().After(old.ModTime())
	}, "train", "-fresh", "-epochs", "1000", "-dense-units", "32")
	if want := "-fresh: deleted the earlier run in data/checkpoints/cnn"; !strings.Contains(stdout, want) {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	if want := "checkpoint saved in data/checkpoints/cnn; run the same command again without -fresh to resume"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// Flags are told from arguments wherever they stand: a flag's value is
// taken with it, even "--" or one that starts with "-"; a boolean flag
// takes none; after a lone "--" all are arguments.
func TestSplitArgs(t *testing.T) {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.Int("top", 1, "")
	fs.String("lang", "", "")
	fs.Bool("json", false, "")
	for _, tc := range []struct {
		args, flags, positional []string
	}{
		{[]string{"a.jpg", "-top", "3", "b.jpg"}, []string{"-top", "3"}, []string{"a.jpg", "b.jpg"}},
		{[]string{"-lang", "--", "x.jpg", "-top", "3"}, []string{"-lang", "--", "-top", "3"}, []string{"x.jpg"}},
		{[]string{"-json", "a.jpg", "--top=2"}, []string{"-json", "--top=2"}, []string{"a.jpg"}},
		{[]string{"-top", "-1", "-", "a.jpg"}, []string{"-top", "-1"}, []string{"-", "a.jpg"}},
		{[]string{"a.jpg", "--", "-top", "3"}, nil, []string{"a.jpg", "-top", "3"}},
		{[]string{"-nosuch", "a.jpg", "-top"}, []string{"-nosuch", "-top"}, []string{"a.jpg"}},
	} {
		flags, positional := splitArgs(fs, tc.args)
		if !slices.Equal(flags, tc.flags) || !slices.Equal(positional, tc.positional) {
			t.Errorf("splitArgs(%q) = %q, %q; want %q, %q", tc.args, flags, positional, tc.flags, tc.positional)
		}
	}
}

// Without a terminal, train prints a progress line when -log-every has
// passed since the last line of any kind: an epoch's line counts, and a
// first step, which has no speed yet, shows none.
func TestTrainProgressLines(t *testing.T) {
	var out, log bytes.Buffer
	long := time.Now().Add(-2 * time.Minute)
	p := &trainProgress{epochs: 3, out: &out, log: &log, logEvery: time.Minute, lastLine: long}
	p.step(train.Step{Epoch: 1, Epochs: 3, Batch: 5, Batches: 9, Loss: 0.5, ImagesPerSecond: 12.5})
	p.step(train.Step{Epoch: 1, Epochs: 3, Batch: 6, Batches: 9, Loss: 0.5, ImagesPerSecond: 12.5})
	p.lastLine = long // the rest of the epoch was slow
	p.epoch(train.Epoch{Epoch: 1, TrainLoss: 0.45, TrainAccuracy: 0.8, ImagesPerSecond: 12.5})
	p.step(train.Step{Epoch: 2, Epochs: 3, Batch: 1, Batches: 9, Loss: 0.4})
	p.lastLine = long
	p.step(train.Step{Epoch: 2, Epochs: 3, Batch: 1, Batches: 9, Loss: 0.4})
	if want := "epoch 1/3: batch 5/9, loss 0.5000, 12.5 img/s\nepoch 2/3: batch 1/9, loss 0.4000\n"; log.String() != want {
		t.Errorf("progress lines:\n%s\nwant:\n%s", log.String(), want)
	}
	if !strings.HasPrefix(out.String(), "epoch  1/3  train loss 0.4500") {
		t.Errorf("epoch line on standard output: %q", out.String())
	}
}
