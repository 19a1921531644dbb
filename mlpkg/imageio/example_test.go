package imageio_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// Loading a photo file and turning it into the 50×50 RGB array the model
// reads. The format is recognised by the file's bytes: this PNG is named
// .jpg on purpose.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "imageio-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A 120×80 picture, red on the left half, blue on the right.
	pic := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := range 80 {
		for x := range 120 {
			c := color.RGBA{R: 200, A: 255}
			if x >= 60 {
				c = color.RGBA{B: 200, A: 255}
			}
			pic.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, pic); err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}

	img, err := imageio.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	pix := imageio.ToRGB(img, 50) // squashed to 50×50, HWC, RGB
	fmt.Println("decoded:", img.Bounds().Dx(), "×", img.Bounds().Dy())
	fmt.Println("array:", len(pix), "bytes =", 50, "×", 50, "× 3")
	fmt.Println("top-left pixel:", pix[0:3])
	fmt.Println("top-right pixel:", pix[49*3:50*3])
	// Output:
	// decoded: 120 × 80
	// array: 7500 bytes = 50 × 50 × 3
	// top-left pixel: [200 0 0]
	// top-right pixel: [0 0 200]
}

// Transparent pixels are composited over white, as the model saw them in
// training.
func ExampleToRGB() {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4)) // fully transparent
	pix := imageio.ToRGB(img, 2)
	fmt.Println(pix)
	// Output:
	// [255 255 255 255 255 255 255 255 255 255 255 255]
}

// Decoding an upload held in memory; data that is no image is refused with
// ErrNotImage.
func ExampleDecodeBytes() {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 30, 20))); err != nil {
		log.Fatal(err)
	}
	img, format, err := imageio.DecodeBytes(buf.Bytes())
	fmt.Println(format, img.Bounds().Size(), err)

	_, _, err = imageio.DecodeBytes([]byte("<html>not a picture</html>"))
	fmt.Println(errors.Is(err, imageio.ErrNotImage))
	// Output:
	// png (30,20) <nil>
	// true
}

// Recognising a file's format from its first bytes, never its name.
func ExampleSniff() {
	format, ok := imageio.Sniff([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	fmt.Println(format, ok, imageio.Ext(format))
	_, ok = imageio.Sniff([]byte("hello"))
	fmt.Println(ok)
	// Output:
	// png true .png
	// false
}
