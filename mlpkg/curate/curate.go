// Package curate helps a person clean a class folder of pictures (any
// folder of the data/images/<class>/ layout: crawled photos, the default
// Fashion-MNIST pictures or one's own) before the dataset is prepared:
//
//   - ContactSheet draws the pictures Prepare would read
//     (dataset.ClassFiles: every file but hidden, temporary and sidecar
//     files) as one numbered grid, and ExcludeByNumber adds
//     the numbers a person picked on it to the folder's exclude.txt (whose
//     format package dataset owns);
//   - NearDuplicates groups visually similar pictures (perceptual hashes),
//     for review.
//
// Nothing here deletes a picture: exclude.txt only leaves it out.
package curate

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/corona10/goimagehash"
	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// SheetOptions configures ContactSheet.
type SheetOptions struct {
	// Thumb is the side of each thumbnail in pixels (default 96).
	Thumb int
	// Columns is the number of thumbnails per row (default 10).
	Columns int
	// Offset and Limit select a window of the sorted photo list, for
	// classes too large for one sheet: Limit photos from number Offset+1
	// (Limit 0: DefaultSheetLimit; a negative Limit: all the rest, which for
	// thousands of photos is an image of hundreds of megabytes).
	Offset, Limit int
	// IncludeExcluded also shows photos already in exclude.txt, crossed
	// out; by default they are left out.
	IncludeExcluded bool
}

// DefaultSheetLimit is the number of photos on a contact sheet when
// SheetOptions.Limit is 0: ten rows of the default ten columns.
const DefaultSheetLimit = 100

// Sheet colours.
var (
	sheetBackground = color.RGBA{0x30, 0x30, 0x30, 0xff}
	labelBackground = color.RGBA{0, 0, 0, 0xc0}
	crossColour     = color.RGBA{0xe0, 0x20, 0x20, 0xff}
	brokenColour    = color.RGBA{0x60, 0x10, 0x10, 0xff}
)

// ContactSheet draws a class folder's photos as one image: a grid of
// thumbnails numbered from 1, for a person to pick the ones to exclude. It
// draws at most opts.Limit photos (DefaultSheetLimit, 100, unless set):
// dataset.ClassFiles counts them all, and opts.Offset pages through them.
// files[n-1] is the file (base name) shown as number n; pass the numbers to
// ExcludeByNumber. Files that do not decode get a dark red cell with "?".
func ContactSheet(classDir string, opts SheetOptions) (image.Image, []string, error) {
	if opts.Thumb <= 0 {
		opts.Thumb = 96
	}
	if opts.Columns <= 0 {
		opts.Columns = 10
	}
	all, err := dataset.ClassFiles(classDir)
	if err != nil {
		return nil, nil, fmt.Errorf("contact sheet: %w", err)
	}
	excl, err := dataset.ReadExclusions(classDir)
	if err != nil {
		return nil, nil, fmt.Errorf("contact sheet: %w", err)
	}
	var files []string
	for _, f := range all {
		if opts.IncludeExcluded || !dataset.Excluded(excl, f) {
			files = append(files, f)
		}
	}
	files = files[min(max(opts.Offset, 0), len(files)):]
	if opts.Limit == 0 {
		opts.Limit = DefaultSheetLimit
	}
	if opts.Limit > 0 && opts.Limit < len(files) {
		files = files[:opts.Limit]
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("contact sheet: no photos in %s", classDir)
	}

	const gap = 4
	cell := opts.Thumb + gap
	cols := min(opts.Columns, len(files))
	rows := (len(files) + cols - 1) / cols
	sheet := image.NewRGBA(image.Rect(0, 0, cols*cell+gap, rows*cell+gap))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(sheetBackground), image.Point{}, draw.Src)
	for i, f := range files {
		x0, y0 := gap+(i%cols)*cell, gap+(i/cols)*cell
		box := image.Rect(x0, y0, x0+opts.Thumb, y0+opts.Thumb)
		img, err := imageio.Load(filepath.Join(classDir, f))
		if err != nil {
			draw.Draw(sheet, box, image.NewUniform(brokenColour), image.Point{}, draw.Src)
			drawText(sheet, box.Min.Add(image.Pt(opts.Thumb/2-3, opts.Thumb/2-6)), "?")
		} else {
			th := imaging.Fit(img, opts.Thumb, opts.Thumb, imaging.Linear)
			off := image.Pt((opts.Thumb-th.Bounds().Dx())/2, (opts.Thumb-th.Bounds().Dy())/2)
			draw.Draw(sheet, th.Bounds().Add(box.Min.Add(off)), th, th.Bounds().Min, draw.Src)
		}
		if dataset.Excluded(excl, f) {
			drawCross(sheet, box)
		}
		label := strconv.Itoa(i + 1)
		lb := image.Rect(x0, y0, x0+7*len(label)+4, y0+15)
		draw.Draw(sheet, lb, image.NewUniform(labelBackground), image.Point{}, draw.Over)
		drawText(sheet, image.Pt(x0+2, y0+1), label)
	}
	return sheet, files, nil
}

// drawText writes s in white with basicfont's 7×13 face, top-left at p.
func drawText(dst draw.Image, p image.Point, s string) {
	d := font.Drawer{Dst: dst, Src: image.White, Face: basicfont.Face7x13,
		Dot: fixed.P(p.X, p.Y+basicfont.Face7x13.Ascent)}
	d.DrawString(s)
}

// drawCross draws a red X and border over box.
func drawCross(dst *image.RGBA, box image.Rectangle) {
	n := box.Dx()
	for i := range n {
		for t := range 2 {
			dst.Set(box.Min.X+i, box.Min.Y+min(i+t, n-1), crossColour)
			dst.Set(box.Max.X-1-i, box.Min.Y+min(i+t, n-1), crossColour)
			dst.Set(box.Min.X+i, box.Min.Y+t, crossColour)
			dst.Set(box.Min.X+i, box.Max.Y-1-t, crossColour)
			dst.Set(box.Min.X+t, box.Min.Y+i, crossColour)
			dst.Set(box.Max.X-1-t, box.Min.Y+i, crossColour)
		}
	}
}

// ExcludeByNumber adds the photos shown with these numbers on a contact
// sheet (files as ContactSheet returned them) to classDir's exclude.txt,
// with reason as a comment.
func ExcludeByNumber(classDir string, files []string, reason string, numbers ...int) error {
	names := make([]string, 0, len(numbers))
	for _, n := range numbers {
		if n < 1 || n > len(files) {
			return fmt.Errorf("exclude: number %d is not on the sheet (1 to %d)", n, len(files))
		}
		names = append(names, files[n-1])
	}
	if err := dataset.AddExclusions(classDir, reason, names...); err != nil {
		return fmt.Errorf("exclude from %s: %w", classDir, err)
	}
	return nil
}

// NearDuplicates groups a class folder's photos whose perceptual hashes
// (goimagehash's pHash, 64 bits) differ in at most maxDistance bits, for a
// person to review: 0 finds re-encodings of the same picture, around 10
// also resized or lightly edited copies. Photos in exclude.txt and files
// that do not decode are left out. Groups hold base names, sorted, and are
// sorted by their first name.
func NearDuplicates(classDir string, maxDistance int) ([][]string, error) {
	if maxDistance < 0 || maxDistance > 64 {
		return nil, fmt.Errorf("near duplicates: distance %d is not between 0 and 64", maxDistance)
	}
	files, err := dataset.UsableFiles(classDir)
	if err != nil {
		return nil, fmt.Errorf("near duplicates: %w", err)
	}
	var names []string
	var hashes []*goimagehash.ImageHash
	for _, f := range files {
		img, err := imageio.Load(filepath.Join(classDir, f))
		if err != nil {
			slog.Warn("near duplicates: skipping a file that does not decode", "file", f, "error", err)
			continue
		}
		h, err := goimagehash.PerceptionHash(img)
		if err != nil {
			return nil, fmt.Errorf("near duplicates: hash %s: %w", f, err)
		}
		names = append(names, f)
		hashes = append(hashes, h)
	}
	parent := make([]int, len(names))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range hashes {
		for j := i + 1; j < len(hashes); j++ {
			d, err := hashes[i].Distance(hashes[j])
			if err != nil {
				return nil, fmt.Errorf("near duplicates: compare %s and %s: %w", names[i], names[j], err)
			}
			if d <= maxDistance {
				parent[find(j)] = find(i)
			}
		}
	}
	byRoot := map[int][]string{}
	for i, n := range names {
		r := find(i)
		byRoot[r] = append(byRoot[r], n)
	}
	var groups [][]string
	for _, g := range byRoot {
		if len(g) > 1 {
			sort.Strings(g)
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i][0] < groups[j][0] })
	return groups, nil
}
