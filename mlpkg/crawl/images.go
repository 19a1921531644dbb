package crawl

import (
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// decodeImage decodes b with imageio, the decoder training and prediction
// use: the header is checked first (at most maxPixels pixels), then all of
// b is decoded, so a truncated file fails.
func decodeImage(b []byte, maxPixels int64) (image.Image, string, error) {
	img, format, err := imageio.DecodeBytesLimit(b, maxPixels)
	switch {
	case errors.Is(err, imageio.ErrNotImage):
		return nil, "", fmt.Errorf("not an image (%s)", describeBody(b))
	case err != nil:
		return nil, format, err
	}
	return img, format, nil
}

// findByID returns the photo files in classDir named <id>.<image ext>.
// Names that are not valid UTF-8 are left out: a manifest entry (JSON)
// cannot record them, and would name another file when read back.
func findByID(classDir, id string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(classDir, globEscape(id)+".*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if imageio.HasImageExt(m) && utf8.ValidString(filepath.Base(m)) {
			out = append(out, m)
		}
	}
	return out, nil
}

// globEscape escapes glob metacharacters.
func globEscape(s string) string {
	return strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`).Replace(s)
}
