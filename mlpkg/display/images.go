package display

import (
	"fmt"
	"image"
	"regexp"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"golang.org/x/image/draw"
)

// Default layout of ImageGridHTML.
const (
	// DefaultColumns is the number of images per grid row when columns is 0.
	DefaultColumns = 8
	// DefaultThumbSize is the thumbnail box in pixels when size is 0.
	DefaultThumbSize = 96
)

// ImageGridHTML renders images as an HTML table of <figure>s, columns per
// row, each image fitted into a size×size pixel box and embedded as a PNG
// data URL, with captions[i] (HTML-escaped; a long file name may break before its
// extension) under image i, as wide as the box. Images larger than
// the box are downscaled before embedding, so the saved notebook stays small;
// smaller ones are embedded as they are and enlarged by the browser without
// smoothing, by a whole factor (2×, 3×, …; a 50×50 image in a 96 box stays
// 50×50, in a 100 box it is shown 100×100). columns or size 0 take
// DefaultColumns and DefaultThumbSize.
// Missing captions are left empty; nil images show as an empty cell.
func ImageGridHTML(images []image.Image, captions []string, columns, size int) (string, error) {
	if columns <= 0 {
		columns = DefaultColumns
	}
	if size <= 0 {
		size = DefaultThumbSize
	}
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse">`)
	for start := 0; start < len(images); start += columns {
		b.WriteString("<tr>")
		for i := start; i < start+columns && i < len(images); i++ {
			b.WriteString(`<td style="padding:2px;vertical-align:top;text-align:center">`)
			caption := ""
			if i < len(captions) {
				caption = captions[i]
			}
			if err := writeFigure(&b, images[i], caption, size); err != nil {
				return "", fmt.Errorf("image grid: image %d: %w", i, err)
			}
			b.WriteString("</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String(), nil
}

// writeFigure writes one <figure> with its thumbnail and caption.
func writeFigure(b *strings.Builder, img image.Image, caption string, size int) error {
	b.WriteString(`<figure style="margin:0">`)
	if img != nil && !img.Bounds().Empty() {
		thumb := thumbnail(img, size)
		src, err := gonbui.EmbedImageAsPNGSrc(thumb)
		if err != nil {
			return err
		}
		w, h := shownSize(img.Bounds().Dx(), img.Bounds().Dy(), size)
		fmt.Fprintf(b, `<img src="%s" width="%d" height="%d" style="image-rendering:pixelated" alt="%s">`,
			src, w, h, esc(caption))
	}
	if caption != "" {
		fmt.Fprintf(b, `<figcaption style="font-size:small;max-width:%dpx;overflow-wrap:break-word">%s</figcaption>`,
			size, captionHTML(caption))
	}
	b.WriteString("</figure>")
	return nil
}

// extension matches a file name's extension: ".jpg" in "50000000031.jpg".
var extension = regexp.MustCompile(`\.[A-Za-z][A-Za-z0-9]{1,4}\b`)

// captionHTML escapes a caption and lets a file name that does not fit on
// one line break before its extension ("50000000031" / ".jpg"). Other words
// break only at spaces and hyphens, and mid-word only where a word is wider
// than the caption (overflow-wrap:break-word); keep two words together with
// a no-break space ("97\u00a0%").
func captionHTML(caption string) string {
	return extension.ReplaceAllString(esc(caption), "<wbr>$0")
}

// thumbnail returns img scaled down (keeping its aspect ratio) to fit a
// size×size box, or img itself where it already fits.
func thumbnail(img image.Image, size int) image.Image {
	bounds := img.Bounds()
	if bounds.Dx() <= size && bounds.Dy() <= size {
		return img
	}
	w, h := fit(bounds.Dx(), bounds.Dy(), size)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, bounds, draw.Src, nil)
	return dst
}

// shownSize returns the size at which a w×h image is shown in a size×size
// box: scaled down to fit (thumbnail does it before embedding, so it is shown
// at its own size), or, when it is smaller, enlarged by the largest whole
// number that keeps it in the box. A pixelated enlargement by 1.2 or 1.9
// would make some pixels one screen pixel wider than others.
func shownSize(w, h, size int) (int, int) {
	if w > size || h > size {
		return fit(w, h, size)
	}
	k := size / max(w, h)
	return w * k, h * k
}

// fit returns the size of a w×h rectangle scaled to fit a size×size box
// (up or down), at least 1×1.
func fit(w, h, size int) (int, int) {
	if w <= 0 || h <= 0 {
		return size, size
	}
	if w >= h {
		return size, max(1, h*size/w)
	}
	return max(1, w*size/h), size
}

// ImageGridText is the plain-text stand-in for an image grid: the number of
// images and their captions.
func ImageGridText(images []image.Image, captions []string) string {
	n := min(len(captions), len(images))
	text := "[1 image]"
	if len(images) != 1 {
		text = fmt.Sprintf("[%d images]", len(images))
	}
	if n > 0 {
		text += " " + strings.Join(captions[:n], ", ")
	}
	return text
}
