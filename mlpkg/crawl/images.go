package crawl

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// decodeImage decodes b with imageio, the decoder training and prediction
// use: the header is checked first (at most imageio.MaxPixels pixels), then
// all of b is decoded, so a truncated file fails.
func decodeImage(b []byte) (image.Image, string, error) {
	img, format, err := imageio.DecodeBytes(b)
	switch {
	case errors.Is(err, imageio.ErrNotImage):
		return nil, "", fmt.Errorf("not an image (%s)", describeBody(b))
	case err != nil:
		return nil, format, err
	}
	return img, format, nil
}

// loadImage reads and decodes a file.
func loadImage(path string) (image.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, _, err := decodeImage(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return img, nil
}

// ListImages returns the base names of the photos in classDir (by
// extension, leaving out the hidden and temporary files that Prepare leaves
// out: dataset.IsSidecar), sorted.
func ListImages(classDir string) ([]string, error) {
	ents, err := os.ReadDir(classDir)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || dataset.IsSidecar(n) || !imageio.HasImageExt(n) {
			continue
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// findByID returns the photo files in classDir named <id>.<image ext>.
func findByID(classDir, id string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(classDir, globEscape(id)+".*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if imageio.HasImageExt(m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// globEscape escapes glob metacharacters.
func globEscape(s string) string {
	return strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`).Replace(s)
}
