package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/animalcnn/animalcnn/internal/testenv"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/crawl"
	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/display"
	"github.com/animalcnn/animalcnn/mlpkg/eval"
	"github.com/animalcnn/animalcnn/mlpkg/fashion"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/serve"
	"github.com/animalcnn/animalcnn/mlpkg/train"
	"github.com/gomlx/gomlx/backends"
)

// TestMain clears the variables that a user's shell may set (the README
// tells users to set ANIMALCNN_CLASSES and FLICKR_API_KEY) and that change
// what DefaultSettings, NotebookPaths and Crawl do; tests that want them set
// them with t.Setenv.
func TestMain(m *testing.M) {
	for _, name := range []string{ClassesEnv, DataEnv, crawl.APIKeyEnv} {
		os.Unsetenv(name)
	}
	os.Exit(m.Run())
}

// captureOutput sends Output (and display's plain-text output) to a buffer
// for the rest of the test.
func captureOutput(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	oldOut, oldDisplay := Output, display.Output
	Output, display.Output = &buf, &buf
	t.Cleanup(func() { Output, display.Output = oldOut, oldDisplay })
	return &buf
}

// writeTree writes perClass generated PNG pictures of each class under
// imagesDir/<class>/, named p000.png, p001.png, …; each class has its own
// colour so that a model can tell them apart.
func writeTree(t *testing.T, imagesDir string, classes []string, perClass int) {
	t.Helper()
	for c, class := range classes {
		dir := filepath.Join(imagesDir, class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perClass {
			img := image.NewNRGBA(image.Rect(0, 0, 20, 20))
			for y := range 20 {
				for x := range 20 {
					v := uint8(60 * c)
					img.Set(x, y, color.NRGBA{v + uint8(x*3), uint8(200 - 60*c), uint8(i * 7), 255})
				}
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%03d.png", i)), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// tinySettings are settings small enough for the pure-Go backend in a test.
// tinyProject writes perClass pictures of each class into a new data folder
// and returns its paths and the backend the pipeline tests train on:
// ops_sequential, because GoMLX v0.26.0's pure-Go backend can deadlock when
// it runs graph nodes in parallel on few cores (nested waits on its worker
// pool, seen on 2 cores); sequential nodes still use parallel matmuls.
func tinyProject(t *testing.T, classes []string, perClass int) (Paths, backends.Backend) {
	t.Helper()
	p := NewPaths(t.TempDir())
	writeTree(t, p.Images, classes, perClass)
	b, err := backend.New("go:ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	return p, b
}

func tinySettings(classes ...string) Settings {
	s := DefaultSettings(true)
	s.Classes = classes
	s.PerClass = 16
	s.ImageSize = 18
	s.Epochs = 1
	s.BatchSize = 8
	s.Fresh = false
	return s
}

func TestNotebookPaths(t *testing.T) {
	t.Setenv(DataEnv, "")
	if p := NotebookPaths(false); p.Root != "../data" || p.Images != filepath.Join("..", "data", "images") ||
		p.Processed != filepath.Join("..", "data", "processed") || p.Checkpoint != filepath.Join("..", "data", "checkpoints", "cnn") {
		t.Errorf("full paths: %+v", p)
	}
	if p := NotebookPaths(true); p.Root != filepath.Join("..", "data", "quick") || p.Checkpoint != filepath.Join("..", "data", "quick", "checkpoints", "cnn") {
		t.Errorf("quick paths: %+v", p)
	}
	t.Setenv(DataEnv, "/tmp/x")
	if p := NotebookPaths(true); p.Root != "/tmp/x/quick" || p.Scratch != "/tmp/x/quick/scratch" {
		t.Errorf("paths with $%s: %+v", DataEnv, p)
	}
}

func TestDefaultSettings(t *testing.T) {
	p := NewPaths("d")
	for _, quick := range []bool{false, true} {
		s := DefaultSettings(quick)
		pc := s.PrepareConfig(p)
		if err := pc.Validate(); err != nil {
			t.Errorf("quick=%v: prepare config: %v", quick, err)
		}
		tc := s.TrainConfig(p)
		if err := tc.Validate(); err != nil {
			t.Errorf("quick=%v: train config: %v", quick, err)
		}
		if tc.DataDir != p.Processed || tc.CheckpointDir != p.Checkpoint || tc.Fresh != quick {
			t.Errorf("quick=%v: train config paths/fresh: %+v", quick, tc)
		}
		if fc := s.FashionConfig(p); fc.ImagesDir != p.Images || fc.PerClass != s.PerClass || !slices.Equal(fc.Classes, fashion.DefaultClasses()) {
			t.Errorf("quick=%v: fashion config %+v", quick, fc)
		}
		if !strings.Contains(s.String(), "sandal") {
			t.Errorf("String() = %q", s.String())
		}
	}
	aug := DefaultSettings(false)
	aug.Augment = true
	if !aug.PrepareConfig(p).Augment {
		t.Error("Settings.Augment does not reach PrepareConfig")
	}
	// The training knobs a notebook may turn reach the training and the
	// model table; by default they are the course's.
	if tc, def := DefaultSettings(false).TrainConfig(p), train.DefaultConfig(); tc.LearningRate != def.LearningRate || tc.Patience != 0 || tc.Model.DenseUnits != def.Model.DenseUnits ||
		tc.Model.ConvDropout != def.Model.ConvDropout || tc.Model.DenseDropout != def.Model.DenseDropout {
		t.Errorf("default settings train with %+v, want the course's %+v", tc, def)
	}
	tuned := DefaultSettings(false)
	tuned.LearningRate, tuned.DenseUnits, tuned.ConvDropout, tuned.DenseDropout, tuned.Patience = 1e-3, 64, 0.1, 0.2, 3
	tc := tuned.TrainConfig(p)
	if tc.LearningRate != 1e-3 || tc.Patience != 3 || tc.Model != tuned.ModelConfig() || tc.Model.DenseUnits != 64 || tc.Model.ConvDropout != 0.1 || tc.Model.DenseDropout != 0.2 {
		t.Errorf("tuned settings train with %+v", tc)
	}
	if !strings.Contains(tuned.String(), "10 epochs (patience 3) of batch 32, learning rate 0.001, dense 64, dropout 0.1 and 0.2") {
		t.Errorf("String() = %q, want the training knobs", tuned.String())
	}
	// The crawl: the course's classes by default, the settings' otherwise.
	if cc, def := DefaultSettings(false).CrawlConfig(p), crawl.DefaultConfig(); !reflect.DeepEqual(cc.Classes, def.Classes) || cc.PerClass != def.PerClass || cc.ImagesDir != p.Images {
		t.Errorf("default crawl config %+v, want the course's classes and %d per class into %s", cc, def.PerClass, p.Images)
	}
	cats := DefaultSettings(true)
	cats.CrawlClasses = []crawl.Class{{Name: "cat"}, {Name: "dog", Query: "puppy"}}
	if cc := cats.CrawlConfig(p); !reflect.DeepEqual(cc.Classes, cats.CrawlClasses) || cc.PerClass != quickCrawlPerClass || cc.Validate() != nil {
		t.Errorf("quick crawl config of other classes: %+v (%v)", cc, cc.Validate())
	}
	if s := DefaultSettings(false).WithClasses("monkey", "crow"); !slices.Equal(s.Classes, []string{"monkey", "crow"}) || s.PerClass != 1000 {
		t.Errorf("WithClasses: %+v", s)
	}
	full, quick := DefaultSettings(false), DefaultSettings(true)
	if full.PerClass != 1000 || full.Epochs != 10 || full.ImageSize != 50 || quick.PerClass >= full.PerClass || quick.Epochs >= full.Epochs {
		t.Errorf("full %+v, quick %+v", full, quick)
	}
	t.Setenv(ClassesEnv, " monkey, boar ,crow,")
	if s := DefaultSettings(false); !slices.Equal(s.Classes, []string{"monkey", "boar", "crow"}) {
		t.Errorf("with $%s: classes %q", ClassesEnv, s.Classes)
	}
}

func TestEnsureImagesNeedsPhotosOfOtherClasses(t *testing.T) {
	captureOutput(t)
	p := NewPaths(t.TempDir())
	_, err := EnsureImages(context.Background(), p, tinySettings("monkey", "crow"))
	if err == nil || !strings.Contains(err.Error(), "01_crawl") || !strings.Contains(err.Error(), "monkey, crow") {
		t.Fatalf("EnsureImages without photos: %v", err)
	}
	writeTree(t, p.Images, []string{"monkey", "crow"}, 11) // fewer than PerClass is fine for photos
	counts, err := EnsureImages(context.Background(), p, tinySettings("monkey", "crow"))
	if err != nil || len(counts) != 2 || counts[0].Pictures != 11 {
		t.Fatalf("EnsureImages with photos: %+v, %v", counts, err)
	}
}

func TestEnsureImagesImportsFashionMNIST(t *testing.T) {
	if !fashion.Installed(fashion.DefaultSourceDir) {
		testenv.SkipMissing(t, "Debian's dataset-fashion-mnist is not installed")
	}
	out := captureOutput(t)
	p := NewPaths(t.TempDir())
	s := tinySettings("sandal", "sneaker")
	s.PerClass = 12
	counts, err := EnsureImages(context.Background(), p, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[0].Pictures != 12 || counts[1].Pictures != 12 || !strings.Contains(counts[0].Example, "png 28×28") {
		t.Errorf("counts after import: %+v", counts)
	}
	if !strings.Contains(out.String(), "imported 24 Fashion-MNIST pictures") {
		t.Errorf("output: %s", out)
	}
	out.Reset()
	if _, err := EnsureImages(context.Background(), p, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "already holds sandal 12, sneaker 12") {
		t.Errorf("second call: %s", out)
	}
}

// TestPipeline runs the stages one after the other on a tiny generated
// dataset with the pure-Go backend: prepare, train, resume, evaluate,
// predict, serve.
func TestPipeline(t *testing.T) {
	out := captureOutput(t)
	ctx := context.Background()
	classes := []string{"red", "green", "blue"}
	p, b := tinyProject(t, classes, 20)
	s := tinySettings(classes...)

	// EnsurePrepared prepares once, then reuses, and prepares again for other settings.
	ds, err := EnsurePrepared(ctx, p, s)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N+ds.Test.N != 3*16 || ds.Meta.ImageSize != 18 || !strings.Contains(out.String(), "dataset: prepared") {
		t.Fatalf("prepared %d+%d at %d; output %s", ds.Train.N, ds.Test.N, ds.Meta.ImageSize, out)
	}
	out.Reset()
	if _, err := EnsurePrepared(ctx, p, s); err != nil || !strings.Contains(out.String(), "holds") || strings.Contains(out.String(), "prepared ") {
		t.Fatalf("second EnsurePrepared: %v; %s", err, out)
	}
	// A size the model cannot take is refused before anything is prepared.
	s51 := s
	s51.ImageSize = 51
	if _, err := EnsurePrepared(ctx, p, s51); err == nil || !strings.Contains(err.Error(), "leave 2 when divided by 4") {
		t.Fatalf("EnsurePrepared at 51 px: %v", err)
	}
	if ds, err := dataset.Load(p.Processed); err != nil || ds.Meta.ImageSize != 18 {
		t.Fatalf("the dataset at 18 px was touched: %v", err)
	}
	s20 := s
	s20.PerClass = 20
	out.Reset()
	if ds20, err := EnsurePrepared(ctx, p, s20); err != nil || ds20.Train.N+ds20.Test.N != 60 ||
		!strings.Contains(out.String(), fmt.Sprintf("other settings (classes %v, 18 px, 16 per class, augmentation false; these settings: %v, 18 px, 20 per class, augmentation false)", s.Classes, s.Classes)) {
		t.Fatalf("EnsurePrepared with other settings: %v; %s", err, out)
	}

	// EnsureModel trains (EnsurePrepared again: back to 16 per class), then finds the model.
	out.Reset()
	meta, err := EnsureModel(ctx, p, s, b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "no trained model") || !strings.Contains(out.String(), "epoch  1/1") || meta.Backend != backend.Go {
		t.Fatalf("EnsureModel output: %s", out)
	}
	out.Reset()
	if meta2, err := EnsureModel(ctx, p, s, b); err != nil || meta2.ModelID != meta.ModelID || strings.Contains(out.String(), "train:") {
		t.Fatalf("second EnsureModel: %v; %s", err, out)
	}
	if !strings.Contains(describeModel(meta), "test accuracy") {
		t.Errorf("describeModel: %s", describeModel(meta))
	}

	// Train resumes with more epochs, and starts over on another dataset.
	ds, err = EnsurePrepared(ctx, p, s)
	if err != nil {
		t.Fatal(err)
	}
	s2 := s
	s2.Epochs = 2
	out.Reset()
	res, err := Train(ctx, p, s2, ds, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.History) != 2 || !strings.Contains(out.String(), "resuming the run") || !strings.Contains(out.String(), "best epoch") {
		t.Fatalf("resumed run: %d epochs; %s", len(res.History), out)
	}
	history, err := train.ReadHistory(p.Checkpoint)
	if err != nil || len(history) != 2 {
		t.Fatalf("history: %d epochs, %v", len(history), err)
	}
	out.Reset()
	ShowHistory(history)
	if !strings.Contains(out.String(), "after 2 epochs") {
		t.Errorf("ShowHistory: %s", out)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	s3 := s2
	s3.Epochs = 3
	out.Reset()
	if res, err := Train(cancelled, p, s3, ds, b); err != nil || !res.Interrupted || !strings.Contains(out.String(), "interrupted") {
		t.Fatalf("cancelled Train: %+v, %v; %s", res, err, out)
	}

	// Evaluate saves what later cells load.
	out.Reset()
	ev, err := Evaluate(p, b)
	if err != nil {
		t.Fatal(err)
	}
	if ev.N != ds.Test.N || !strings.Contains(out.String(), "accuracy ") || !strings.Contains(accuracyLine(ev), "test images") {
		t.Fatalf("Evaluate: n=%d; %s", ev.N, out)
	}
	loaded, err := LoadEvaluation(p)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Accuracy != ev.Accuracy || loaded.ModelID != meta.ModelID || len(loaded.Predicted) != ds.Test.N {
		t.Errorf("LoadEvaluation: %+v", loaded)
	}
	header, rows := PerClassTable(loaded)
	if len(header) != 6 || len(rows) != 3 || rows[0][1] != "4" {
		t.Errorf("PerClassTable: %v %v", header, rows)
	}
	if want := int(math.Round((1 - loaded.Accuracy) * float64(loaded.N))); loaded.Misclassified() != want {
		t.Errorf("Misclassified = %d, want %d", loaded.Misclassified(), want)
	}
	// Mistakes of a trained model's evaluation (its captions and order: TestMistakes).
	imgs, captions, err := Mistakes(p, loaded, 2)
	if err != nil || len(imgs) != len(captions) || len(imgs) != min(2, loaded.Misclassified()) {
		t.Fatalf("Mistakes: %d images of %d mistakes, %v", len(imgs), loaded.Misclassified(), err)
	}

	// Predict a test picture and a few per class.
	pr, err := predict.Load(p.Checkpoint, b)
	if err != nil {
		t.Fatal(err)
	}
	path, err := PictureToPredict(p, "")
	if err != nil || !strings.HasPrefix(path, p.Images) {
		t.Fatalf("PictureToPredict: %q, %v", path, err)
	}
	if _, err := PictureToPredict(p, filepath.Join(p.Root, "missing.png")); err == nil {
		t.Error("PictureToPredict of a missing file: no error")
	}
	out.Reset()
	pred, err := ShowPrediction(pr, path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), predictionLine(pred, 1)+"\n") || !strings.Contains(out.String(), "top 2: "+predictionLine(pred, 2)+"\n") ||
		!strings.Contains(out.String(), "[2 images] "+filepath.Base(path)+", what the model sees (18×18 RGB)") {
		t.Errorf("ShowPrediction output: %s\nwant the picture as it is and as the model sees it, the prediction and the top 2", out)
	}
	// The bars show every class: no top-k line repeats them.
	out.Reset()
	if _, err := ShowPrediction(pr, path, 3); err != nil || strings.Contains(out.String(), "top 3") {
		t.Errorf("ShowPrediction of the top 3 of 3 classes: %v\n%s\nwant no top-3 line", err, out)
	}
	imgs, captions, correct, err := PredictTestPictures(pr, p, 2)
	if err != nil || len(imgs) != 6 || len(captions) != 6 {
		t.Fatalf("PredictTestPictures: %d, %v, %d, %v", len(imgs), captions, correct, err)
	}
	right := 0
	for _, c := range captions {
		switch {
		case strings.HasPrefix(c, "✓\u00a0") && regexp.MustCompile(`^✓\x{a0}\w+ \(\d+\x{a0}%\)$`).MatchString(c):
			right++
		case regexp.MustCompile(`^✗\x{a0}\w+ \(\d+\x{a0}%\), is \w+$`).MatchString(c):
		default:
			t.Errorf("PredictTestPictures caption %q", c)
		}
	}
	if right != correct {
		t.Errorf("PredictTestPictures: %d correct, but %d captions say ✓: %q", correct, right, captions)
	}

	// Serve it and post a picture.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	cfg := serve.DefaultConfig()
	cfg.Logger = quietLogger()
	go func() { done <- serve.Serve(sctx, ln, cfg, pr) }()
	answer, err := PostImage(ctx, "http://"+ln.Addr().String(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, `"class": "`+pred.Class+`"`) {
		t.Errorf("answer: %s", answer)
	}
	if _, err := PostImage(ctx, "http://"+ln.Addr().String(), filepath.Join(p.Processed, dataset.MetaFile)); err == nil || !strings.Contains(err.Error(), "415") {
		t.Errorf("posting JSON: %v", err)
	}
	if _, err := PostImage(ctx, "http://"+ln.Addr().String(), os.DevNull); !errors.Is(err, imageio.ErrNotRegular) {
		t.Errorf("posting %s: %v, want a device refused (/dev/zero would be read without end)", os.DevNull, err)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}

	// A new run replaces the model: the saved evaluation is stale, and a
	// model of another dataset is moved aside by Train.
	s4 := s
	s4.Fresh = true
	if _, err := Train(ctx, p, s4, ds, b); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEvaluation(p); err == nil || !strings.Contains(err.Error(), "again") {
		t.Errorf("LoadEvaluation after a new run: %v", err)
	}
	ds20, err := EnsurePrepared(ctx, p, s20)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if _, err := Train(ctx, p, s20, ds20, b); err != nil || !strings.Contains(out.String(), "held a run trained on another dataset") {
		t.Fatalf("Train on another dataset: %v; %s", err, out)
	}
	if m, err := model.LoadMeta(p.Checkpoint); err != nil || m.DatasetHash != ds20.Meta.Hash {
		t.Errorf("model after Train on another dataset: %v", err)
	}
	if old := movedAside(t, out.String()); old.DatasetHash != ds.Meta.Hash {
		t.Errorf("the run moved aside is of dataset %.12s, want the one replaced, %.12s", old.DatasetHash, ds.Meta.Hash)
	}
}

// movedAside returns the metadata of the run that Train's output says it
// moved aside, checking it moved beside the checkpoint, whole, under its
// model ID.
func movedAside(t *testing.T, out string) *model.Meta {
	t.Helper()
	m := regexp.MustCompile(`moved it to (\S+), starting a new run`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no run moved aside in the output:\n%s", out)
	}
	meta, err := model.LoadMeta(m[1])
	if err != nil {
		t.Fatalf("the run moved aside: %v", err)
	}
	if filepath.Base(m[1]) != meta.ModelID {
		t.Errorf("moved to %s, want a folder named after its model ID %s", m[1], meta.ModelID)
	}
	if _, err := model.SnapshotDir(m[1]); err != nil {
		t.Errorf("the run moved aside has no snapshot: %v", err)
	}
	return meta
}

// TestEnsureModelFollowsSettings: a model of other classes (the settings'
// ANIMALCNN_CLASSES changed) is not returned as if it were the settings'
// one; EnsureModel trains one for the settings instead.
func TestEnsureModelFollowsSettings(t *testing.T) {
	out := captureOutput(t)
	ctx := context.Background()
	p, b := tinyProject(t, []string{"red", "green", "blue"}, 16)
	s := tinySettings("red", "green")
	if _, err := EnsureModel(ctx, p, s, b); err != nil {
		t.Fatal(err)
	}
	// Each case changes one thing from the one before: the classes' order,
	// then the size, then the classes' number.
	swapped := s.WithClasses("green", "red")
	bigger := swapped
	bigger.ImageSize = 22
	for _, other := range []Settings{swapped, bigger, bigger.WithClasses("green", "red", "blue")} {
		out.Reset()
		meta, err := EnsureModel(ctx, p, other, b)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("not of %s at %d×%d", strings.Join(other.Classes, ", "), other.ImageSize, other.ImageSize)
		if !slices.Equal(meta.Classes, other.Classes) || meta.ImageSize != other.ImageSize || !strings.Contains(out.String(), want) {
			t.Errorf("EnsureModel for %v at %d px: a model of %v at %d px; %s", other.Classes, other.ImageSize, meta.Classes, meta.ImageSize, out)
		}
		if m, err := model.LoadMeta(p.Checkpoint); err != nil || !slices.Equal(m.Classes, other.Classes) || m.ImageSize != other.ImageSize {
			t.Errorf("the checkpoint holds a model of %v at %d px, %v", m.Classes, m.ImageSize, err)
		}
	}
}

func TestStandInCrawl(t *testing.T) {
	captureOutput(t)
	dir := filepath.Join(t.TempDir(), "stand-in")
	if err := os.MkdirAll(filepath.Join(dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	rep, err := standInCrawl(context.Background(), dir, 6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "old")); !os.IsNotExist(err) {
		t.Error("standInCrawl did not empty its folder")
	}
	if len(rep.Classes) != 3 {
		t.Fatalf("report: %+v", rep)
	}
	for _, c := range rep.Classes {
		if c.Kept != 6 || c.Exhausted {
			t.Errorf("%s: kept %d, exhausted %v", c.Class, c.Kept, c.Exhausted)
		}
	}
	if len(rep.Classes[0].Rejected) != 1 || len(rep.Classes[2].Rejected) != 1 {
		t.Errorf("rejected: monkey %v, crow %v", rep.Classes[0].Rejected, rep.Classes[2].Rejected)
	}
	header, rows := ReportTable(rep)
	if len(rows) != 3 || len(rows[0]) != len(header) || rows[1][1] != "wild boar" || !strings.Contains(rows[0][6], "unavailable") || !strings.Contains(rows[2][6], "duplicate") {
		t.Errorf("ReportTable: %v %v", header, rows)
	}
	short := &crawl.Report{Classes: []crawl.ClassReport{
		{Class: "a", Kept: 3, Wanted: 5, Exhausted: true},
		{Class: "b", Kept: 3, Wanted: 5, Failed: 2},
		{Class: "c", Kept: 5, Wanted: 5, Failed: 1},
		{Class: "d", Kept: 5, Wanted: 5, Excluded: 1, OtherLicense: 2},
	}}
	_, rows = ReportTable(short)
	for i, want := range []string{"3 / 5 (results ran out)", "3 / 5 (2 downloads failed: run again)", "5 / 5",
		"5 / 5 (+1 excluded) (+2 under other licenses)"} {
		if rows[i][2] != want {
			t.Errorf("ReportTable of class %s: %q, want %q", rows[i][0], rows[i][2], want)
		}
	}
	imgs, captions, groups, err := NearDuplicateImages(filepath.Join(dir, "crow"), 10)
	if err != nil || groups != 1 || len(imgs) != 2 || !strings.HasPrefix(captions[0], "group 1: ") {
		t.Errorf("NearDuplicateImages: %d groups, %v, %v", groups, captions, err)
	}
	md, err := attribution(dir, 0)
	if err != nil || !strings.Contains(md, "Stand-in photographer") || !strings.Contains(md, "crow on a fence") || strings.Count(md, "\n- ") != 18 {
		t.Errorf("attribution: %v\n%s", err, md)
	}
	md, err = attribution(dir, 2)
	if err != nil || strings.Count(md, "\n- ") != 9 || strings.Count(md, "- … and 4 more (all of them: `bin/animalcnn attribution -images "+dir+"`)") != 3 ||
		!strings.Contains(md, "\n#### crow (6 photos)\n") {
		t.Errorf("attribution, 2 per class: %v\n%s", err, md)
	}
	// Each class's list is one Markdown list, its "more" line included (a
	// blank line before it would make the list loose), and the headings sit
	// under the notebook's own ## section.
	if strings.Contains(md, "\n\n- … and") || !strings.HasPrefix(md, "### Photo credits\n") {
		t.Errorf("attribution, 2 per class: a blank line before a \"more\" line, or headings not two levels down:\n%s", md)
	}
	if _, err := standInCrawl(context.Background(), dir, 4); err == nil {
		t.Error("standInCrawl with 4 per class: no error")
	}
}

func TestCrawlWithoutKeyUsesStandIn(t *testing.T) {
	out := captureOutput(t)
	t.Setenv("FLICKR_API_KEY", "")
	p := NewPaths(t.TempDir())
	if HaveFlickrKey() || CrawlDir(p) != filepath.Join(p.Scratch, standInDir) {
		t.Fatalf("without a key: HaveFlickrKey %v, CrawlDir %s", HaveFlickrKey(), CrawlDir(p))
	}
	rep, err := Crawl(context.Background(), p, DefaultSettings(true), 5)
	if err != nil || len(rep.Classes) != 3 || !strings.Contains(out.String(), "STAND-IN") {
		t.Fatalf("Crawl: %v; %s", err, out)
	}
	if md, err := Credits(p, 2); err != nil || !strings.HasPrefix(md, "**STAND-IN**") || !strings.Contains(md, "#### crow (5 photos)") {
		t.Errorf("Credits: %v\n%s", err, md)
	}
	if !strings.Contains(FlickrKeyHelp(), "FLICKR_API_KEY=") {
		t.Error("FlickrKeyHelp does not say how to set the key")
	}
	t.Setenv("FLICKR_API_KEY", "k")
	if !HaveFlickrKey() || CrawlDir(p) != p.Images {
		t.Errorf("with a key: CrawlDir %s", CrawlDir(p))
	}
}

func TestImagesAndCuration(t *testing.T) {
	root := t.TempDir()
	images := filepath.Join(root, "images")
	writeTree(t, images, []string{"a", "b"}, 12)
	if err := dataset.AddExclusions(filepath.Join(images, "a"), "", "p003.png"); err != nil {
		t.Fatal(err)
	}
	counts, err := CountImages(images, []string{"a", "b", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if counts[0].Pictures != 12 || counts[0].Excluded != 1 || counts[2].Pictures != 0 || counts[0].Example != "p000.png, png 20×20" {
		t.Errorf("CountImages: %+v", counts)
	}
	header, rows := ImagesTable(counts)
	if len(rows) != 4 || rows[3][0] != "total" || rows[3][1] != "24" || rows[3][3] != "23" || header[3] != "not excluded" {
		t.Errorf("ImagesTable: %v %v", header, rows)
	}
	imgs, captions, err := ClassSamples(filepath.Join(images, "a"), 4)
	if err != nil || len(imgs) != 4 || slices.Contains(captions, "p003.png") {
		t.Errorf("ClassSamples: %v, %v", captions, err)
	}
	for _, n := range []int{0, -1} {
		if imgs, captions, err := ClassSamples(filepath.Join(images, "a"), n); err != nil || len(imgs) != 0 || len(captions) != 0 {
			t.Errorf("ClassSamples(%d): %v, %v", n, captions, err)
		}
	}
	first, err := FirstPicture(images, "b")
	if err != nil || filepath.Base(first) != "p000.png" {
		t.Errorf("FirstPicture: %s, %v", first, err)
	}

	ex, err := ExclusionDemo(images, filepath.Join(root, "scratch"), "b", 10, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Used != 8 || len(ex.Files) != 10 || !strings.Contains(ex.ExcludeTxt, "p002.png") || !strings.Contains(ex.ExcludeTxt, "p006.png") || ex.Before == nil || ex.After == nil {
		t.Errorf("ExclusionDemo: used %d, files %v, exclude.txt %q", ex.Used, ex.Files, ex.ExcludeTxt)
	}
	if excl, _ := dataset.ReadExclusions(filepath.Join(images, "b")); len(excl) != 0 {
		t.Errorf("ExclusionDemo touched the real folder: %v", excl)
	}
	if ex2, err := ExclusionDemo(images, filepath.Join(root, "scratch"), "b", 10, 1); err != nil || ex2.Used != 9 {
		t.Errorf("second ExclusionDemo does not start afresh: %+v, %v", ex2, err)
	}

	augmented, captions, err := AugmentationSamples(first, 18)
	if err != nil {
		t.Fatal(err)
	}
	if len(augmented) != dataset.SamplesPerPhoto || captions[0] != "-20°" || captions[1] != "-20° mirrored" || captions[8] != "0°" || captions[15] != "+15° mirrored" {
		t.Errorf("AugmentationSamples captions: %q", captions)
	}
	if augmented[0].Bounds().Dx() != 18 {
		t.Errorf("augmented size %v", augmented[0].Bounds())
	}
}

func TestLines(t *testing.T) {
	e := train.Epoch{Epoch: 3, TrainLoss: 0.25, TrainAccuracy: 0.9, Validated: true, ValLoss: 0.3, ValAccuracy: 0.875, ImagesPerSecond: 200, Seconds: 11}
	if got, want := e.Line(10), "epoch  3/10  train loss 0.2500 acc 0.900  |  val loss 0.3000 acc 0.875  |  200 img/s, 11 s"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	unvalidated := train.Epoch{Epoch: 3, TrainLoss: 0.25, TrainAccuracy: 0.9, ImagesPerSecond: 200, Seconds: 11}
	if got, want := unvalidated.Line(10), "epoch  3/10  train loss 0.2500 acc 0.900  |  200 img/s, 11 s"; got != want {
		t.Errorf("Line without validation = %q, want %q", got, want)
	}
	out := captureOutput(t)
	printStart(train.Start{Dir: "ck", Resumed: true, Done: 1, Epochs: 5, Batch: 3, Images: 90, Validation: 10, SamplesPerPhoto: 1}, 0)
	printStart(train.Start{Dir: "ck", Resumed: true, Done: 2, Epochs: 5, Images: 90, Validation: 10, SamplesPerPhoto: 1}, 0)
	if want := "train: resuming the run in ck at epoch 2 of 5, batch 4\ntrain: 90 training images, 10 pictures held out to pick the best epoch\n" +
		"train: resuming the run in ck at epoch 3 of 5\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("printStart of resumed runs:\n%s\nwant it to begin with\n%s", out, want)
	}
	pred := predict.Prediction{Class: "sandal", Probability: 0.97, Probabilities: []float32{0.97, 0.02, 0.01}, Classes: []string{"sandal", "sneaker", "ankle_boot"}}
	if got := predictionLine(pred, 1); got != "sandal (97 %)" {
		t.Errorf("predictionLine(1) = %q", got)
	}
	if got := predictionLine(pred, 3); got != "sandal (97 %), sneaker (2 %), ankle_boot (1 %)" {
		t.Errorf("predictionLine(3) = %q", got)
	}
	loss, acc := HistorySeries([]train.Epoch{unvalidated, e, {Epoch: 4, Validated: true, ValAccuracy: 0.9}})
	if len(loss) != 2 || len(acc) != 2 || acc[1].Name != "validation" || len(acc[1].X) != 2 || acc[1].Y[1] != 0.9 ||
		loss[0].X[0] != 3 || len(loss[0].X) != 3 {
		t.Errorf("HistorySeries: %+v %+v", loss, acc)
	}
	if loss, acc := HistorySeries([]train.Epoch{unvalidated}); len(loss) != 1 || len(acc) != 1 {
		t.Errorf("HistorySeries without validation: %d and %d series, want only training's", len(loss), len(acc))
	}
	header, rows := ModelTable(DefaultSettings(false).ModelConfig())
	if len(header) != 4 || len(rows) != 13 || rows[0][2] != "50×50×32" || rows[12][0] != "total" || rows[12][3] != "4\u2009032\u2009547" {
		t.Errorf("ModelTable: %v %v", header, rows)
	}
	ev, err := eval.New([]string{"a", "b"}, []int32{0, 0, 1}, [][]float32{{0.9, 0.1}, {0.2, 0.8}, {0.3, 0.7}})
	if err != nil {
		t.Fatal(err)
	}
	// One percent format throughout, the command line's: the per-class table
	// sits above the confusion matrix in 04_evaluate.
	header, rows = PerClassTable(&Evaluation{Result: ev})
	if got := strings.Join(rows[0], "|"); got != "a|2|1|100.0 %|50.0 %|66.7 %" {
		t.Errorf("PerClassTable %v: %q", header, got)
	}
	if got := accuracyLine(&Evaluation{Result: ev}); !strings.HasPrefix(got, "accuracy 66.7 % (2/3 test images)") {
		t.Errorf("accuracyLine = %q", got)
	}
	if cm := display.ConfusionMatrixText(ev.Classes, ev.Confusion); !strings.Contains(cm, "50.0 %") || !strings.Contains(cm, "accuracy 66.7 % (2/3)") {
		t.Errorf("confusion matrix:\n%s", cm)
	}
}

// ShowHistory names the epoch that best/ holds: of two epochs with the same
// validation accuracy, Train keeps the one with the lower validation loss.
func TestShowHistoryBestEpoch(t *testing.T) {
	out := captureOutput(t)
	ShowHistory([]train.Epoch{
		{Epoch: 1, Validated: true, ValAccuracy: 0.90, ValLoss: 0.30, TrainAccuracy: 0.8, TrainLoss: 0.5},
		{Epoch: 2, Validated: true, ValAccuracy: 0.95, ValLoss: 0.20, TrainAccuracy: 0.9, TrainLoss: 0.3},
		{Epoch: 3, Validated: true, ValAccuracy: 0.95, ValLoss: 0.15, TrainAccuracy: 0.95, TrainLoss: 0.2},
		{Epoch: 4, Validated: true, ValAccuracy: 0.93, ValLoss: 0.25, TrainAccuracy: 0.97, TrainLoss: 0.1},
	})
	if want := "validation accuracy 0.930 after 4 epochs (best 0.950, epoch 3, kept in best/)"; !strings.Contains(out.String(), want) {
		t.Errorf("ShowHistory: %s\nwant %q", out, want)
	}
	// Both plots mark that epoch (its one point).
	for _, want := range []string{"kept in best/ (epoch 3): 1 point, 0.15 at x=3", "kept in best/ (epoch 3): 1 point, 0.95 at x=3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ShowHistory: %s\nwant the plots to mark epoch 3: %q", out, want)
		}
	}
	out.Reset()
	ShowHistory([]train.Epoch{{Epoch: 1, TrainAccuracy: 0.5}, {Epoch: 2, TrainAccuracy: 0.75}})
	if want := "training accuracy 0.750 after 2 epochs (nothing held out for validation)"; !strings.Contains(out.String(), want) {
		t.Errorf("ShowHistory without validation: %s", out)
	}
}

// The stand-in's near-duplicate pair differs in bytes, so the crawler keeps both.
func TestStandInNearDuplicatePair(t *testing.T) {
	a := flickrtest.Generate("crow on a fence", 150, 150)
	if bytes.Equal(jpegBytes(a, 92), jpegBytes(edited(a), 75)) {
		t.Fatal("the edited copy has the same bytes")
	}
	if b := edited(a).Bounds(); b.Dx() != 144 || b.Dy() != 144 {
		t.Errorf("edited size %v", b)
	}
}

// TestShowDisplayDemo checks the setup notebook's demo of the display
// helpers, through their plain-text rendering outside a notebook.
func TestShowDisplayDemo(t *testing.T) {
	out := captureOutput(t)
	images, epochs, err := ShowDisplayDemo(true)
	if err != nil || images != 6 || epochs != 8 {
		t.Fatalf("ShowDisplayDemo(quick) = %d images, %d epochs, %v; want 6, 8", images, epochs, err)
	}
	if images, epochs, _ := ShowDisplayDemo(false); images != 12 || epochs != 20 {
		t.Errorf("ShowDisplayDemo(full) = %d images, %d epochs; want 12, 20", images, epochs)
	}
	for _, want := range []string{"monkey #2", "crow #1", "Loss (made-up numbers)", "77.8 %", "88.0 %"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's text lacks %q:\n%s", want, out.String())
		}
	}
}

// TestGradientIsBright checks the demo's stand-in pictures: from a pale tint
// of the class colour to the colour itself, never darker (the first version
// faded from black, and the crows looked like pictures that failed to load).
func TestGradientIsBright(t *testing.T) {
	c := color.RGBA{60, 70, 110, 255}
	img := gradient(32, c).(*image.RGBA)
	if got := img.RGBAAt(31, 31); got != c {
		t.Errorf("bottom right %v, want the class colour %v", got, c)
	}
	if got := img.RGBAAt(0, 0); got.R < 200 || got.G < 200 || got.B < 200 {
		t.Errorf("top left %v, want a pale tint (every channel ≥ 200)", got)
	}
}

// TestBackendsTable checks the notebooks' backend table: the default marked,
// the plugin of an installed backend, why another is missing and how to
// install it.
func TestBackendsTable(t *testing.T) {
	infos := []backend.Info{
		{Name: backend.XLACUDA, Note: "no CUDA PJRT plugin found", Install: "bash kernel_setup/pjrt_cuda.sh"},
		{Name: backend.XLACPU, Installed: true, Path: "/p/pjrt_c_api_cpu_plugin.so"},
		{Name: backend.Go, Installed: true, Note: "pure Go"},
	}
	header, rows := BackendsTable(infos, backend.XLACPU)
	want := [][]string{
		{"xla:cuda", "no", "no CUDA PJRT plugin found; install: bash kernel_setup/pjrt_cuda.sh"},
		{"xla:cpu (default)", "yes", "/p/pjrt_c_api_cpu_plugin.so"},
		{"go", "yes", "pure Go"},
	}
	if len(header) != 3 || len(rows) != len(want) {
		t.Fatalf("BackendsTable: %v %v", header, rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
		}
	}
}

// TestMistakes checks Mistakes on an evaluation with chosen probabilities:
// the most confident mistakes first, their pictures, and captions that wrap
// between words only.
func TestMistakes(t *testing.T) {
	captureOutput(t)
	p := NewPaths(t.TempDir())
	classes := []string{"red", "green", "blue"}
	writeTree(t, p.Images, classes, 16)
	ds, err := EnsurePrepared(context.Background(), p, tinySettings(classes...))
	if err != nil {
		t.Fatal(err)
	}
	if ds.Test.N < 8 {
		t.Fatalf("%d test images, want at least 8", ds.Test.N)
	}
	// Every image right with 0.9, except three taken for the next class,
	// with 0.6, 0.8 and 0.7.
	wrong := map[int]float32{1: 0.6, 5: 0.8, 7: 0.7}
	probs := make([][]float32, ds.Test.N)
	for i, l := range ds.Test.Labels {
		probs[i] = []float32{0.05, 0.05, 0.05}
		probs[i][l] = 0.9
		if conf, ok := wrong[i]; ok {
			probs[i] = []float32{0.05, 0.05, 0.05}
			probs[i][(l+1)%3] = conf
			probs[i][l] = 0.95 - conf
		}
	}
	tev, err := eval.New(classes, ds.Test.Labels, probs)
	if err != nil {
		t.Fatal(err)
	}
	ev := &Evaluation{Result: tev, DatasetHash: ds.Meta.Hash}
	images, captions, err := Mistakes(p, ev, 12)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 3 || len(captions) != 3 {
		t.Fatalf("Mistakes: %d images, captions %q; want the 3 mistakes", len(images), captions)
	}
	for k, i := range []int{5, 7, 1} { // most confident first
		l := int(ds.Test.Labels[i])
		want := fmt.Sprintf("%s → %s %.0f\u00a0%%", classes[l], classes[(l+1)%3], 100*wrong[i])
		if captions[k] != want {
			t.Errorf("mistake %d: caption %q, want %q (image %d)", k, captions[k], want, i)
		}
		if got := images[k].(*image.NRGBA).Pix; !bytes.Equal(got, rgbaPixels(ds.Test.Image(i))) {
			t.Errorf("mistake %d is not test image %d", k, i)
		}
	}
	for limit, want := range map[int]int{2: 2, 0: 0, -1: 0} {
		if images, captions, err := Mistakes(p, ev, limit); err != nil || len(images) != want || len(captions) != want {
			t.Errorf("Mistakes with limit %d: %d images, %v; want %d", limit, len(images), err, want)
		}
	}
}

// rgbaPixels returns RGB pixels as RGBA bytes (alpha 255).
func rgbaPixels(rgb []uint8) []uint8 {
	out := make([]uint8, 0, len(rgb)/3*4)
	for i := 0; i+2 < len(rgb); i += 3 {
		out = append(out, rgb[i], rgb[i+1], rgb[i+2], 255)
	}
	return out
}

// cancelWriter cancels when a line containing trigger is written.
type cancelWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	trigger string
	cancel  func()
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.Contains(string(p), w.trigger) {
		w.cancel()
	}
	return w.buf.Write(p)
}

// interruptedEnsureModel runs EnsureModel with s, interrupting it (as a
// kernel interrupt does) once its first epoch's line is printed, and
// returns what it printed and its error; Output is out again afterwards.
func interruptedEnsureModel(out io.Writer, p Paths, s Settings, b backends.Backend) (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cw := &cancelWriter{trigger: fmt.Sprintf("epoch  1/%d", s.Epochs), cancel: cancel}
	Output = cw
	defer func() { Output = out }()
	_, err := EnsureModel(ctx, p, s, b)
	return cw.buf.String(), err
}

// With Settings.Fresh (quick mode), EnsureModel says that it trains an
// unfinished run again from the start, as it does, not that it finishes it.
func TestEnsureModelSaysFreshStartsOver(t *testing.T) {
	out := captureOutput(t)
	classes := []string{"red", "green"}
	p, b := tinyProject(t, classes, 16)
	s := tinySettings(classes...)
	s.Epochs, s.Fresh = 2, true
	if _, err := interruptedEnsureModel(out, p, s, b); err == nil {
		t.Fatal("interrupted EnsureModel succeeded")
	}
	out.Reset()
	meta, err := EnsureModel(context.Background(), p, s, b)
	if err != nil || !strings.Contains(out.String(), "): training a new one (Settings.Fresh)") || strings.Contains(out.String(), "resuming") {
		t.Errorf("EnsureModel with Fresh after an interruption: %v; output:\n%s", err, out)
	}
	if err == nil && meta.Metrics["epochs"] != 2 {
		t.Errorf("%v epochs, want 2", meta.Metrics["epochs"])
	}
}

// TestEnsureModelFinishesOrReplaces: EnsureModel resumes a run that was
// interrupted (it returned the half-trained model, though the interruption
// said "run again to resume"), and trains a new model when the prepared data
// changed since (it kept the old one, whose evaluation then tested on
// pictures it may have trained on).
func TestEnsureModelFinishesOrReplaces(t *testing.T) {
	out := captureOutput(t)
	classes := []string{"red", "green"}
	p, b := tinyProject(t, classes, 24)
	s := tinySettings(classes...)
	s.Epochs = 3
	if printed, err := interruptedEnsureModel(out, p, s, b); err == nil || !strings.Contains(err.Error(), "run again to resume") {
		t.Fatalf("interrupted EnsureModel: %v\n%s", err, printed)
	}
	out.Reset()
	meta, err := EnsureModel(context.Background(), p, s, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, tested := meta.Metrics["test_accuracy"]; !tested || meta.Metrics["epochs"] != 3 || !strings.Contains(out.String(), "): finishing it") {
		t.Errorf("after the interruption: metrics %v, want 3 epochs, tested\n%s", meta.Metrics, out)
	}

	// The same settings, other data: the model is trained again on it.
	other := s
	other.PerClass = 24
	ds, err := EnsurePrepared(context.Background(), p, other)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	meta, err = EnsureModel(context.Background(), p, other, b)
	if err != nil {
		t.Fatal(err)
	}
	if meta.DatasetHash != ds.Meta.Hash || !strings.Contains(out.String(), "trained on other data") {
		t.Errorf("after re-preparing: model of dataset %.8s, data %.8s\n%s", meta.DatasetHash, ds.Meta.Hash, out)
	}
	// And a finished model of the data there is kept as it is.
	out.Reset()
	again, err := EnsureModel(context.Background(), p, other, b)
	if err != nil || again.ModelID != meta.ModelID || strings.Contains(out.String(), "train loss") {
		t.Errorf("a finished model of this data: %v, id %s (was %s)\n%s", err, again.ModelID, meta.ModelID, out)
	}
}

// TestLoadEvaluationNoticesMoreTraining: a run trained on after its
// evaluation keeps its model id, but best/ may then hold another epoch (as
// model.json's best_epoch says): the saved evaluation is refused, not shown
// as the current model's.
func TestLoadEvaluationNoticesMoreTraining(t *testing.T) {
	captureOutput(t)
	classes := []string{"red", "green"}
	p, b := tinyProject(t, classes, 16)
	meta, err := EnsureModel(context.Background(), p, tinySettings(classes...), b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Evaluate(p, b); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEvaluation(p); err != nil {
		t.Fatalf("right after Evaluate: %v", err)
	}
	meta.Metrics["best_epoch"]++ // what more epochs that improved write
	if err := meta.Save(p.Checkpoint); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEvaluation(p); err == nil || !strings.Contains(err.Error(), "run the evaluation again") {
		t.Errorf("best/ holding another epoch: %v, want the evaluation refused", err)
	}
	meta.Metrics["best_epoch"]--
	meta.ModelID = "another-run"
	if err := meta.Save(p.Checkpoint); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEvaluation(p); err == nil {
		t.Error("an evaluation of another run (the model retrained since) accepted")
	}
}

// TestEvaluateDatasetInAnotherOrder: a dataset prepared again with the
// model's classes in another order is evaluated with its labels read in the
// model's order, and LoadEvaluation gives back the same numbers.
func TestEvaluateDatasetInAnotherOrder(t *testing.T) {
	captureOutput(t)
	classes := []string{"red", "green"}
	// Classes of unequal sizes (16 and 24), so that labels read in the
	// wrong order change the confusion matrix even for a model that
	// predicts one class for everything.
	p, b := tinyProject(t, classes, 24)
	for i := 16; i < 24; i++ {
		if err := os.Remove(filepath.Join(p.Images, "red", fmt.Sprintf("p%03d.png", i))); err != nil {
			t.Fatal(err)
		}
	}
	s := tinySettings(classes...)
	s.PerClass = 24
	if _, err := EnsureModel(context.Background(), p, s, b); err != nil {
		t.Fatal(err)
	}
	before, err := Evaluate(p, b)
	if err != nil {
		t.Fatal(err)
	}
	s.Classes = []string{"green", "red"}
	if _, err := EnsurePrepared(context.Background(), p, s); err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(p, b)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadEvaluation(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*Evaluation{ev, loaded} {
		if !slices.Equal(got.Classes, classes) || got.Accuracy != before.Accuracy || !reflect.DeepEqual(got.Confusion, before.Confusion) {
			t.Errorf("evaluation of the dataset in another order: classes %v, accuracy %v, confusion %v; want %v, %v, %v as before",
				got.Classes, got.Accuracy, got.Confusion, classes, before.Accuracy, before.Confusion)
		}
	}
}

// trainedProject returns a tiny two-class project (see tinyProject) with
// its model trained by EnsureModel, the settings it was trained with, and
// its dataset.
func trainedProject(t *testing.T) (Paths, Settings, *dataset.Dataset, backends.Backend) {
	t.Helper()
	classes := []string{"red", "green"}
	p, b := tinyProject(t, classes, 16)
	s := tinySettings(classes...)
	if _, err := EnsureModel(context.Background(), p, s, b); err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Load(p.Processed)
	if err != nil {
		t.Fatal(err)
	}
	return p, s, ds, b
}

// Settings the checkpoint's run cannot be resumed with start a new run,
// saying so: a notebook would otherwise have to set Fresh.
func TestTrainStartsOverWhenItCannotResume(t *testing.T) {
	out := captureOutput(t)
	p, s, ds, b := trainedProject(t)
	out.Reset()
	s.BatchSize, s.Epochs = 4, 2
	res, err := Train(context.Background(), p, s, ds, b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "held a run that resumes only with batch size 8, not 4: moved it to ") || len(res.History) != 2 {
		t.Errorf("%d epochs; output:\n%s\nwant a new run of 2 epochs, said so", len(res.History), out)
	}
	if old := movedAside(t, out.String()); old.Hyperparameters["batch_size"] != 8.0 {
		t.Errorf("the run moved aside has batch size %v, want the one replaced, 8", old.Hyperparameters["batch_size"])
	}
}

// A run Train cannot resume for another reason than its settings (here,
// history.csv behind last/) is moved aside too, and a new run starts; with
// Settings.Fresh the run is replaced instead, and nothing is moved.
func TestTrainMovesAsideARunItCannotResume(t *testing.T) {
	out := captureOutput(t)
	p, s, ds, b := trainedProject(t)
	if err := os.Remove(filepath.Join(p.Checkpoint, train.HistoryFile)); err != nil {
		t.Fatal(err)
	}
	s.Epochs = 2
	out.Reset()
	res, err := Train(context.Background(), p, s, ds, b)
	if err != nil || len(res.History) != 2 || !strings.Contains(out.String(), "so it cannot be resumed exactly: moved it to") {
		t.Fatalf("resuming a run whose history.csv is gone: %v; output:\n%s\nwant it moved aside and a new run of 2 epochs", err, out)
	}
	movedAside(t, out.String())
	entries, _ := os.ReadDir(filepath.Dir(p.Checkpoint))
	s.Fresh, s.Epochs = true, 1
	out.Reset()
	if res, err := Train(context.Background(), p, s, ds, b); err != nil || len(res.History) != 1 || strings.Contains(out.String(), "moved") {
		t.Errorf("with settings.Fresh: %v, want a new run of 1 epoch, nothing moved; output:\n%s", err, out)
	}
	if after, _ := os.ReadDir(filepath.Dir(p.Checkpoint)); len(after) != len(entries) {
		t.Errorf("with settings.Fresh the checkpoints folder went from %d to %d entries", len(entries), len(after))
	}

	// A training that took the folder since (another kernel's): the run
	// is not moved from under it.
	unlock, err := dirlock.Lock(p.Checkpoint, train.LockFile, "a test")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := moveAside(p.Checkpoint); !errors.Is(err, dirlock.ErrBusy) {
		t.Errorf("moveAside of a folder another training holds: %v, want ErrBusy", err)
	}
	if _, err := model.LoadMeta(p.Checkpoint); err != nil {
		t.Errorf("the run was moved though another training holds it: %v", err)
	}
}

// LoadPredictor loads the trained model on the default backend; without
// one, it says so. A picture path that is missing is named in full.
func TestLoadPredictorAndPictureToPredict(t *testing.T) {
	captureOutput(t)
	t.Setenv("GOMLX_BACKEND", "go")
	p, _, _, _ := trainedProject(t)
	pr, err := LoadPredictor(p)
	if err != nil || pr.Backend() != "go" || !slices.Equal(pr.Classes(), []string{"red", "green"}) {
		t.Fatalf("LoadPredictor: %v, %v", pr, err)
	}
	if _, err := LoadPredictor(NewPaths(t.TempDir())); err == nil {
		t.Error("LoadPredictor without a trained model: no error")
	}
	abs, err := filepath.Abs("no-such.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PictureToPredict(p, "no-such.jpg"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), abs) {
		t.Errorf("PictureToPredict of a missing file: %v, want it named in full (%s)", err, abs)
	}
	if _, err := PictureToPredict(p, abs); !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "relative") {
		t.Errorf("PictureToPredict of a missing file given in full: %v, want no word on relative paths", err)
	}
}
