package train_test

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
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

// prepareTiny writes 16 small pictures of each of two classes (dark and
// light) under root/images and prepares them at 18×18 into root/processed.
func prepareTiny(root string) string {
	cfg := dataset.DefaultConfig()
	cfg.ImagesDir = filepath.Join(root, "images")
	cfg.DataDir = filepath.Join(root, "processed")
	cfg.ImageSize = 18 // model.CheckImageSize: the smallest size the CNN takes is 14
	for label, class := range []string{"dark", "light"} {
		dir := filepath.Join(cfg.ImagesDir, class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		for i := range 16 {
			img := image.NewGray(image.Rect(0, 0, 24, 24))
			for y := range 24 {
				for x := range 24 {
					img.SetGray(x, y, color.Gray{Y: uint8(20 + 160*label + (x*i+y*3)%70)})
				}
			}
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%02d.png", i)))
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
	}
	if _, err := dataset.Prepare(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
	return cfg.DataDir
}

// Training a (much reduced) CNN for two epochs on a prepared dataset with
// the pure-Go backend. The checkpoint directory then holds everything
// prediction needs (package predict); training again with the same
// directory and more epochs resumes.
func ExampleTrain() {
	root, err := os.MkdirTemp("", "train-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	ds, err := dataset.Load(prepareTiny(root))
	if err != nil {
		log.Fatal(err)
	}
	b, err := backend.New(backend.Go) // or backend.New("") for the fastest installed
	if err != nil {
		log.Fatal(err)
	}

	cfg := train.DefaultConfig()
	cfg.CheckpointDir = filepath.Join(root, "checkpoints")
	cfg.Epochs, cfg.BatchSize, cfg.LearningRate = 2, 8, 1e-3
	cfg.ValidationFraction = 0.25
	cfg.Model.Filters1, cfg.Model.Filters2, cfg.Model.DenseUnits = 4, 4, 8 // the course's: 32, 64, 512
	res, err := train.Train(context.Background(), cfg, ds, train.Options{
		Backend: b,
		OnStart: func(s train.Start) { fmt.Println(s.Split()) },
		OnEpoch: func(e train.Epoch) { fmt.Println("epoch", e.Epoch, "validated:", e.Validated) },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)), // nil: slog.Default()
	})
	if err != nil {
		log.Fatal(err)
	}
	// res.Summary() says which epoch best/ holds and its test accuracy.
	fmt.Println("finished:", train.Finished(res.Meta), "classes:", res.Meta.Classes)
	fmt.Println("tested on", res.Test.N, "test images")
	for _, name := range []string{model.MetaFile, train.HistoryFile, model.BestDir, model.LastDir} {
		_, err := os.Stat(filepath.Join(cfg.CheckpointDir, name))
		fmt.Println(name, err == nil)
	}
	// Output:
	// 18 training images, 6 pictures held out to pick the best epoch
	// epoch 1 validated: true
	// epoch 2 validated: true
	// finished: true classes: [dark light]
	// tested on 8 test images
	// model.json true
	// history.csv true
	// best true
	// last true
}

// The progress line of an epoch, as Options.OnEpoch receives it.
func ExampleEpoch_Line() {
	e := train.Epoch{Epoch: 3, TrainLoss: 0.25, TrainAccuracy: 0.9,
		Validated: true, ValLoss: 0.3, ValAccuracy: 0.875,
		ImagesPerSecond: 200, Seconds: 11, NewBest: true}
	fmt.Println(e.Line(10))
	// Output:
	// epoch  3/10  train loss 0.2500 acc 0.900  |  val loss 0.3000 acc 0.875  |  200 img/s, 11 s  ← best
}
