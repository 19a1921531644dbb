package pipeline

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/animalcnn/animalcnn/mlpkg/curate"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// ClassImages describes one class folder of the images tree.
type ClassImages struct {
	// Class is the folder's name.
	Class string
	// Dir is the folder.
	Dir string
	// Pictures counts the files Prepare reads as photos (dataset.ClassFiles:
	// every file but the sidecars, whatever its extension), excluded ones
	// included.
	Pictures int
	// Excluded counts the pictures listed in the folder's exclude.txt.
	Excluded int
	// Example describes the first picture: "train-00000.png, png 28×28".
	Example string
}

// CountImages counts the pictures of each class folder under imagesDir; a
// missing folder counts zero.
func CountImages(imagesDir string, classes []string) ([]ClassImages, error) {
	out := make([]ClassImages, len(classes))
	for i, class := range classes {
		c := ClassImages{Class: class, Dir: filepath.Join(imagesDir, class)}
		files, err := dataset.ClassFiles(c.Dir)
		if errors.Is(err, fs.ErrNotExist) {
			out[i] = c
			continue
		}
		if err != nil {
			return nil, err
		}
		excl, err := dataset.ReadExclusions(c.Dir)
		if err != nil {
			return nil, err
		}
		c.Pictures = len(files)
		for _, f := range files {
			if dataset.Excluded(excl, f) {
				c.Excluded++
			}
		}
		if len(files) > 0 {
			c.Example = describeFile(filepath.Join(c.Dir, files[0]))
		}
		out[i] = c
	}
	return out, nil
}

// describeFile returns "name, format W×H" from the image header, or the
// name and why it cannot be read.
func describeFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("%s (%v)", filepath.Base(path), err)
	}
	defer f.Close()
	cfg, format, err := imageio.DecodeConfig(f)
	if err != nil {
		return fmt.Sprintf("%s (not readable: %v)", filepath.Base(path), err)
	}
	return fmt.Sprintf("%s, %s %d×%d", filepath.Base(path), format, cfg.Width, cfg.Height)
}

// ImagesTable lays out counts as a table for display.Table. Its "not
// excluded" column is pictures minus exclusions: what Prepare may use, not
// what it uses, for Prepare also leaves out copies of a picture and takes at
// most Settings.PerClass of each class (its summary, and dataset.json, give
// those numbers).
func ImagesTable(counts []ClassImages) (header []string, rows [][]string) {
	header = []string{"class", "pictures", "excluded", "not excluded", "first picture"}
	total := [3]int{}
	for _, c := range counts {
		rows = append(rows, []string{c.Class, strconv.Itoa(c.Pictures), strconv.Itoa(c.Excluded), strconv.Itoa(c.Pictures - c.Excluded), c.Example})
		total[0] += c.Pictures
		total[1] += c.Excluded
		total[2] += c.Pictures - c.Excluded
	}
	rows = append(rows, []string{"total", strconv.Itoa(total[0]), strconv.Itoa(total[1]), strconv.Itoa(total[2]), ""})
	return header, rows
}

// ClassSamples returns n pictures of a class folder, spread evenly over its
// (sorted) files, with their file names as captions (none when n ≤ 0).
// Excluded files are left out.
func ClassSamples(classDir string, n int) ([]image.Image, []string, error) {
	files, err := dataset.UsableFiles(classDir)
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("class samples: no pictures in %s", classDir)
	}
	n = min(max(n, 0), len(files))
	images := make([]image.Image, n)
	captions := make([]string, n)
	for i := range n {
		name := files[i*len(files)/n]
		img, err := imageio.Load(filepath.Join(classDir, name))
		if err != nil {
			return nil, nil, fmt.Errorf("class samples: %w", err)
		}
		images[i], captions[i] = img, name
	}
	return images, captions, nil
}

// FirstPicture returns the path of the first usable picture of a class
// folder (in file-name order).
func FirstPicture(imagesDir, class string) (string, error) {
	dir := filepath.Join(imagesDir, class)
	files, err := dataset.UsableFiles(dir)
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("first picture: no pictures in %s", dir)
	}
	return filepath.Join(dir, files[0]), nil
}

// AugmentationSamples loads a picture, squashes it to size×size like Prepare
// and returns the course's augmentation of it (dataset.Augment: each rotation
// and its mirror image) with captions such as "-20°" and "-20° mirrored".
func AugmentationSamples(path string, size int) ([]image.Image, []string, error) {
	img, err := imageio.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("augmentation: %w", err)
	}
	square := imageio.RGBImage(imageio.ToRGB(img, size), size, size)
	images := dataset.Augment(square)
	captions := make([]string, len(images))
	for i := range images {
		angle, mirrored := dataset.AugmentSample(i)
		captions[i] = fmt.Sprintf("%+g°", angle)
		if angle == 0 {
			captions[i] = "0°"
		}
		if mirrored {
			captions[i] += " mirrored"
		}
	}
	return images, captions, nil
}

// ExclusionExample is what ExclusionDemo did, for a notebook to show.
type ExclusionExample struct {
	// Dir is the scratch class folder the example worked on.
	Dir string
	// Files are the pictures in the order the contact sheets number them.
	Files []string
	// Before is the numbered contact sheet before excluding; After shows
	// the same pictures with the excluded ones crossed out.
	Before, After image.Image
	// ExcludeTxt is the content of exclude.txt afterwards.
	ExcludeTxt string
	// Used is the number of pictures left for Prepare afterwards: those not
	// excluded (Prepare may still skip one that does not decode, or a
	// duplicate).
	Used int
}

// ExclusionDemo shows how curation works without touching real data: it
// copies the first n pictures of imagesDir/class into a fresh scratch folder
// (scratchDir/exclude-demo/class), draws its numbered contact sheet, excludes
// the pictures shown with numbers (curate.ExcludeByNumber writes exclude.txt)
// and draws the sheet again with the excluded pictures crossed out.
func ExclusionDemo(imagesDir, scratchDir, class string, n int, numbers ...int) (*ExclusionExample, error) {
	src := filepath.Join(imagesDir, class)
	files, err := dataset.ClassFiles(src)
	if err != nil {
		return nil, fmt.Errorf("exclusion demo: %w", err)
	}
	dir := filepath.Join(scratchDir, "exclude-demo", class)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("exclusion demo: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("exclusion demo: %w", err)
	}
	for _, f := range files[:min(n, len(files))] {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return nil, fmt.Errorf("exclusion demo: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			return nil, fmt.Errorf("exclusion demo: %w", err)
		}
	}
	ex := &ExclusionExample{Dir: dir}
	opts := curate.SheetOptions{Thumb: 32, Columns: 10}
	if ex.Before, ex.Files, err = curate.ContactSheet(dir, opts); err != nil {
		return nil, err
	}
	if err := curate.ExcludeByNumber(dir, ex.Files, "picked on the contact sheet (exclusion example)", numbers...); err != nil {
		return nil, err
	}
	opts.IncludeExcluded = true
	if ex.After, _, err = curate.ContactSheet(dir, opts); err != nil {
		return nil, err
	}
	txt, err := os.ReadFile(filepath.Join(dir, dataset.ExcludeFile))
	if err != nil {
		return nil, fmt.Errorf("exclusion demo: %w", err)
	}
	ex.ExcludeTxt = string(txt)
	used, err := dataset.UsableFiles(dir)
	if err != nil {
		return nil, err
	}
	ex.Used = len(used)
	return ex, nil
}
