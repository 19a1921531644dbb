package dataset_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
)

// writePhotos makes an images folder as a crawl leaves it: one folder per
// class, n different PNG pictures in each (dark ones for "cat", light ones
// for "dog").
func writePhotos(imagesDir string, n int) {
	for label, class := range []string{"cat", "dog"} {
		dir := filepath.Join(imagesDir, class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		for i := range n {
			img := image.NewGray(image.Rect(0, 0, 40, 30))
			for y := range 30 {
				for x := range 40 {
					img.SetGray(x, y, color.Gray{Y: uint8(30 + 150*label + (x*i+y)%60)})
				}
			}
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s%02d.png", class, i)))
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
}

// Preparing a folder-per-class tree of photos into the arrays the model
// trains on. Files that are no pictures are skipped and reported, and
// exclude.txt leaves out the photos curation rejected.
func ExamplePrepare() {
	root, err := os.MkdirTemp("", "dataset-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	images := filepath.Join(root, "images")
	writePhotos(images, 13)
	if err := os.WriteFile(filepath.Join(images, "cat", "broken.jpg"), []byte("<html>404</html>"), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := dataset.AddExclusions(filepath.Join(images, "dog"), "blurry", "dog07"); err != nil {
		log.Fatal(err)
	}

	cfg := dataset.DefaultConfig()
	cfg.ImagesDir = images
	cfg.DataDir = filepath.Join(root, "processed")
	cfg.ImageSize = 18 // the course's is 50
	sum, err := dataset.Prepare(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	// fmt.Print(sum) prints a report; the same figures, field by field:
	for _, c := range sum.Meta.Counts {
		fmt.Printf("%s (label %d): %d files, %d excluded, %d skipped, %d train, %d test\n",
			c.Class, c.Label, c.Files, c.Excluded, c.Skipped, c.Train, c.Test)
	}
	for _, sk := range sum.Meta.Skipped {
		fmt.Printf("skipped %s: %s\n", sk.Path, sk.Reason)
	}
	// Output:
	// cat (label 0): 14 files, 0 excluded, 1 skipped, 9 train, 4 test
	// dog (label 1): 13 files, 1 excluded, 0 skipped, 9 train, 3 test
	// skipped cat/broken.jpg: decode image header: not a supported image (jpeg, png, gif, bmp, webp, tiff): it starts with "<html>404</html>"
}

// Reading a prepared dataset back: the images of each split as one byte
// array (n × size × size × 3, RGB) with their labels.
func ExampleLoad() {
	root, err := os.MkdirTemp("", "dataset-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	cfg := dataset.DefaultConfig()
	cfg.ImagesDir = filepath.Join(root, "images")
	cfg.DataDir = filepath.Join(root, "processed")
	cfg.ImageSize = 18
	cfg.Augment = true // each training photo rotated and mirrored: 16 samples
	writePhotos(cfg.ImagesDir, 12)
	if _, err := dataset.Prepare(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}

	ds, err := dataset.Load(cfg.DataDir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("classes:", ds.Meta.Classes)
	fmt.Println("train:", ds.Train.N, "samples of", ds.Train.Size, "×", ds.Train.Size, "×", 3, "=", len(ds.Train.Images), "bytes")
	fmt.Println("test:", ds.Test.N, "samples, labels", ds.Test.Labels)
	fmt.Println("first sample:", ds.Train.Files[0], "label", ds.Train.Labels[0], len(ds.Train.Image(0)), "bytes")
	// Output:
	// classes: [cat dog]
	// train: 288 samples of 18 × 18 × 3 = 279936 bytes
	// test: 6 samples, labels [0 0 0 1 1 1]
	// first sample: cat/cat01.png label 0 972 bytes
}
