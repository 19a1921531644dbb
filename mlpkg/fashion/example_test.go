package fashion_test

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"image/color"
	"log"
	"os"
	"path/filepath"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/fashion"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// writeSource writes a stand-in for Debian's Fashion-MNIST files, so that
// the example runs where dataset-fashion-mnist is not installed: the same
// four gzipped idx files, with n 28×28 pictures in each part, picture i of
// label i%10.
func writeSource(dir string, n int) {
	write := func(name string, header []uint32, data []byte) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			log.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		if err := binary.Write(zw, binary.BigEndian, header); err != nil {
			log.Fatal(err)
		}
		if _, err := zw.Write(data); err != nil {
			log.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	labels, pixels := make([]byte, n), make([]byte, n*28*28)
	for i := range n {
		labels[i] = byte(i % 10)
		for j := range 28 * 28 {
			pixels[i*28*28+j] = byte(i + j%28)
		}
	}
	for _, part := range []string{"train", "t10k"} {
		write(part+"-labels-idx1-ubyte.gz", []uint32{0x801, uint32(n)}, labels)
		write(part+"-images-idx3-ubyte.gz", []uint32{0x803, uint32(n), 28, 28}, pixels)
	}
}

// Importing three pictures of each of the default classes as PNG files in
// the folder-per-class layout that dataset.Prepare reads. Importing again
// writes nothing.
func ExampleImport() {
	root, err := os.MkdirTemp("", "fashion-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)

	cfg := fashion.DefaultConfig() // Debian's files, 1000 sandals, sneakers and ankle boots
	cfg.SourceDir = filepath.Join(root, "fashion-mnist")
	if err := os.Mkdir(cfg.SourceDir, 0o755); err != nil {
		log.Fatal(err)
	}
	writeSource(cfg.SourceDir, 50)
	cfg.ImagesDir = filepath.Join(root, "images")
	cfg.PerClass = 3
	for range 2 {
		sum, err := fashion.Import(context.Background(), cfg)
		if err != nil {
			log.Fatal(err)
		}
		// fmt.Print(sum) prints the same, with the images folder.
		for _, c := range sum.Counts {
			fmt.Printf("%s: %d written, %d already there\n", c.Class, c.Written, c.Existing)
		}
	}

	names, err := dataset.ClassFiles(filepath.Join(cfg.ImagesDir, "sneaker"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(names)
	img, err := imageio.Load(filepath.Join(cfg.ImagesDir, "sneaker", names[0]))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Size(), "grayscale:", img.ColorModel() == color.GrayModel)
	// Output:
	// sandal: 3 written, 0 already there
	// sneaker: 3 written, 0 already there
	// ankle_boot: 3 written, 0 already there
	// sandal: 0 written, 3 already there
	// sneaker: 0 written, 3 already there
	// ankle_boot: 0 written, 3 already there
	// [train-00007.png train-00017.png train-00027.png]
	// (28,28) grayscale: true
}

// Fashion-MNIST's classes, in label order.
func ExampleClasses() {
	fmt.Println(fashion.Classes())
	fmt.Println(fashion.DefaultClasses(), fashion.IsClass("sneaker"))
	// Output:
	// [tshirt_top trouser pullover dress coat sandal shirt sneaker bag ankle_boot]
	// [sandal sneaker ankle_boot] true
}
