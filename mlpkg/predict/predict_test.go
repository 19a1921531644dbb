package predict

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

func TestTopK(t *testing.T) {
	p := newPrediction([]string{"a", "b", "c"}, []float32{0.2, 0.5, 0.3})
	if p.Class != "b" || p.Probability != 0.5 {
		t.Fatalf("top class %q %v", p.Class, p.Probability)
	}
	top := p.TopK(2)
	if len(top) != 2 || top[0].Class != "b" || top[1].Class != "c" {
		t.Fatalf("TopK(2) = %v", top)
	}
	if all := p.TopK(0); len(all) != 3 || all[2].Class != "a" {
		t.Fatalf("TopK(0) = %v", all)
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.png", "a.JPG", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ExpandPaths(dir, filepath.Join(dir, "notes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.JPG"), filepath.Join(dir, "b.png"), filepath.Join(dir, "notes.txt")}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if _, err := ExpandPaths(filepath.Join(dir, "missing.png")); err == nil {
		t.Error("missing file accepted")
	}
	if _, err := ExpandPaths(t.TempDir()); err == nil {
		t.Error("empty directory accepted")
	}
	if _, err := ExpandPaths(); err == nil {
		t.Error("no paths accepted")
	}
}

// TestPredictUsesTrainingPreprocessing trains a tiny model, then checks that
// Predict on decoded images, PredictFiles on files and the raw classifier on
// imageio.ToRGB pixels all agree, and that a bad file is reported alone.
func TestPredictUsesTrainingPreprocessing(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	const size = 18
	ds := &dataset.Dataset{}
	ds.Meta.Classes, ds.Meta.ImageSize = []string{"dark", "light"}, size
	var imgs []image.Image
	for i := range 64 {
		v := uint8(20 + i%10)
		if i%2 == 1 {
			v = 220 - uint8(i%10)
		}
		img := image.NewGray(image.Rect(0, 0, 30, 24)) // not square, grayscale: preprocessing must cope
		for p := range img.Pix {
			img.Pix[p] = v
		}
		imgs = append(imgs, img)
		ds.Train.Images = append(ds.Train.Images, imageio.ToRGB(img, size)...)
		ds.Train.Labels = append(ds.Train.Labels, int32(i%2))
	}
	ds.Train.N, ds.Train.Size = 64, size
	ds.Test = ds.Train
	ds.Meta.Hash = dataset.HashArrays(ds.Meta.Classes, size, &ds.Train, &ds.Test)
	b, err := backend.New(backend.Go)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.CheckpointDir, cfg.Epochs, cfg.LearningRate = t.TempDir(), 2, 1e-3
	cfg.Model.DenseUnits, cfg.Model.Filters1, cfg.Model.Filters2 = 8, 4, 4
	if _, err := train.Train(context.Background(), cfg, ds, train.Options{Backend: b, BackendName: "go"}); err != nil {
		t.Fatal(err)
	}

	p, err := Load(cfg.CheckpointDir, b, "go")
	if err != nil {
		t.Fatal(err)
	}
	if p.Backend() != "go" || len(p.Classes()) != 2 || p.Meta().ImageSize != size {
		t.Fatalf("backend %q classes %v size %d", p.Backend(), p.Classes(), p.Meta().ImageSize)
	}
	preds, err := p.Predict(imgs[:4]...)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := p.PredictPixels(ds.Train.Images[:4*size*size*3], 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range preds {
		for j := range preds[i].Probabilities {
			if preds[i].Probabilities[j] != raw[i].Probabilities[j] {
				t.Fatalf("image %d: Predict %v, pixels %v", i, preds[i].Probabilities, raw[i].Probabilities)
			}
		}
	}

	dir := t.TempDir()
	f, _ := os.Create(filepath.Join(dir, "a.png"))
	if err := png.Encode(f, imgs[0]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, "b.jpg"), []byte("<html>not a photo</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	results, err := p.PredictFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Err != nil || results[1].Err == nil {
		t.Fatalf("results %+v", results)
	}
	// The error says why, and leaves the path to FileResult.Path.
	if msg := results[1].Err.Error(); !errors.Is(results[1].Err, imageio.ErrNotImage) || strings.Contains(msg, "b.jpg") {
		t.Errorf("error of a non-image: %q, want ErrNotImage without the path", msg)
	}
	if got, want := results[0].Prediction.Probabilities, preds[0].Probabilities; got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("file prediction %v, image prediction %v", got, want)
	}
}
