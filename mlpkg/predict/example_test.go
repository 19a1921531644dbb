package predict_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

// picture is a 24×24 grey picture with a fainter diagonal, dark for label
// 0, light for label 1; i makes each different.
func picture(label, i int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 24, 24))
	for y := range 24 {
		for x := range 24 {
			v := 30 + 160*label + i
			if x == y {
				v += 20
			}
			img.SetGray(x, y, color.Gray{Y: uint8(v)})
		}
	}
	return img
}

func writePNG(path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// trainTiny stands for a checkpoint made earlier by train.Train (the CLI's
// "train" command, or the training notebook): it prepares 16 pictures of
// each of two classes, trains a tiny CNN on them (a second), and returns
// the checkpoint directory.
func trainTiny(root string) string {
	pcfg := dataset.DefaultConfig()
	pcfg.ImagesDir, pcfg.DataDir = filepath.Join(root, "images"), filepath.Join(root, "processed")
	pcfg.ImageSize = 14 // the smallest the CNN takes (model.CheckImageSize); the course's is 50
	for label, class := range []string{"dark", "light"} {
		dir := filepath.Join(pcfg.ImagesDir, class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		for i := range 16 {
			writePNG(filepath.Join(dir, fmt.Sprintf("%02d.png", i)), picture(label, i))
		}
	}
	if _, err := dataset.Prepare(context.Background(), pcfg); err != nil {
		log.Fatal(err)
	}
	ds, err := dataset.Load(pcfg.DataDir)
	if err != nil {
		log.Fatal(err)
	}
	b, err := backend.New(backend.Go)
	if err != nil {
		log.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.CheckpointDir = filepath.Join(root, "checkpoint")
	cfg.Epochs, cfg.BatchSize, cfg.LearningRate, cfg.ValidationFraction = 20, 8, 3e-3, 0
	cfg.Model.Filters1, cfg.Model.Filters2, cfg.Model.DenseUnits = 8, 8, 16
	cfg.Model.ConvDropout, cfg.Model.DenseDropout = 0, 0
	opts := train.Options{Backend: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := train.Train(context.Background(), cfg, ds, opts); err != nil {
		log.Fatal(err)
	}
	return cfg.CheckpointDir
}

// Loading a checkpoint once, then classifying image files: a folder stands
// for the pictures in it, and a file that is not a picture gets its own
// error without stopping the others.
func ExampleLoad() {
	root, err := os.MkdirTemp("", "predict-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	checkpoint := trainTiny(root)
	photos := filepath.Join(root, "new-photos")
	if err := os.Mkdir(photos, 0o755); err != nil {
		log.Fatal(err)
	}
	writePNG(filepath.Join(photos, "a.png"), picture(0, 20))
	writePNG(filepath.Join(photos, "b.png"), picture(1, 21))
	notes := filepath.Join(root, "notes.jpg")
	if err := os.WriteFile(notes, []byte("not a photo"), 0o644); err != nil {
		log.Fatal(err)
	}

	b, err := backend.New(backend.Go) // backend.New("") picks the fastest installed
	if err != nil {
		log.Fatal(err)
	}
	p, err := predict.Load(checkpoint, b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("classes:", p.Classes(), "image size:", p.Meta().ImageSize)

	results, err := p.PredictFiles(photos, notes)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		name := filepath.Base(r.Path)
		if r.Err != nil {
			fmt.Println(name, "error:", r.Err)
			continue
		}
		// The exact probability varies a little with the machine.
		fmt.Printf("%s: %s (over 0.9: %t)\n", name, r.Prediction.Class, r.Prediction.Probability > 0.9)
	}
	// Output:
	// classes: [dark light] image size: 14
	// a.png: dark (over 0.9: true)
	// b.png: light (over 0.9: true)
	// notes.jpg error: decode image header: not a supported image (jpeg, png, gif, bmp, webp, tiff): it starts with "not a photo"
}

// Classifying decoded images (from an upload, a camera…), with the
// preprocessing of training.
func ExamplePredictor_Predict() {
	root, err := os.MkdirTemp("", "predict-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	b, err := backend.New(backend.Go)
	if err != nil {
		log.Fatal(err)
	}
	p, err := predict.Load(trainTiny(root), b)
	if err != nil {
		log.Fatal(err)
	}

	preds, err := p.Predict(picture(0, 30), picture(1, 31), image.NewGray(image.Rect(0, 0, 640, 480)))
	if err != nil {
		log.Fatal(err)
	}
	for _, pr := range preds[:2] {
		fmt.Println(pr.Class, len(pr.Probabilities), "probabilities, in the order of", pr.Classes)
	}
	// A black picture is darker than any the model saw: its answer is "dark".
	fmt.Println(preds[2].Class)
	// Output:
	// dark 2 probabilities, in the order of [dark light]
	// light 2 probabilities, in the order of [dark light]
	// dark
}

// The most probable classes of a prediction, most probable first.
func ExamplePrediction_TopK() {
	p := predict.Prediction{
		Class: "crow", Probability: 0.7,
		Classes:       []string{"monkey", "boar", "crow"},
		Probabilities: []float32{0.2, 0.1, 0.7},
	}
	for _, s := range p.TopK(2) {
		fmt.Printf("%s %.1f\n", s.Class, s.Probability)
	}
	// Output:
	// crow 0.7
	// monkey 0.2
}
