package dataset

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/animalcnn/animalcnn/mlpkg/internal/flagvalue"
)

// Config holds every setting of Prepare. DefaultConfig gives the course's
// values; RegisterFlags exposes the fields as command-line flags, so the CLI
// and notebooks use the same names.
type Config struct {
	// ImagesDir is the folder-per-class tree: ImagesDir/<class>/<photo>.
	ImagesDir string `json:"images_dir"`
	// DataDir receives the .npy arrays and dataset.json.
	DataDir string `json:"data_dir"`
	// Classes in label order. Empty means every sub-folder of ImagesDir,
	// sorted by name.
	Classes []string `json:"classes,omitempty"`
	// ImageSize is the side of the square RGB images (the course's 50).
	// Validate accepts 4 to 1024; the project's CNN takes only sizes of
	// 14 or more that leave 2 when divided by 4 (model.CheckImageSize,
	// which the CLI and package pipeline check before preparing).
	ImageSize int `json:"image_size"`
	// TestFraction is the share of each class's photos put in the test split,
	// chosen at random (stratified, seeded). Used when TestPerClass is 0.
	TestFraction float64 `json:"test_fraction"`
	// TestPerClass, when positive, selects the course's other split: the
	// first TestPerClass photos of each class (in file-name order) are the
	// test split, the rest the training split.
	TestPerClass int `json:"test_per_class,omitempty"`
	// MaxPerClass, when positive, keeps only the first MaxPerClass usable
	// photos of each class (in file-name order).
	MaxPerClass int `json:"max_per_class,omitempty"`
	// MinPerClass is the fewest usable photos a class may have.
	MinPerClass int `json:"min_per_class"`
	// Augment adds, for each training photo, its rotations by AugmentAngles
	// and the mirror image of each (SamplesPerPhoto samples per photo).
	// The test split is never augmented.
	Augment bool `json:"augment"`
	// Seed makes the random split reproducible.
	Seed int64 `json:"seed"`
	// Workers is the number of photos decoded in parallel; 0 means
	// runtime.NumCPU().
	Workers int `json:"workers,omitempty"`
	// Progress, if set, is called from one goroutine after each photo is
	// decoded, with the number done and the total.
	Progress func(done, total int) `json:"-"`
	// Logger receives Prepare's start and end lines and its notes (the
	// temporary files of an interrupted prepare removed); nil:
	// slog.Default().
	Logger *slog.Logger `json:"-"`
}

// logger returns c.Logger, or slog.Default() when it is nil.
func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// ImagesLockFile is the lock that a program writing an images folder (a
// crawl, a fashion import) holds in it while it runs, so that a second one
// fails at once instead of deleting the first one's files in progress.
// Prepare holds it shared while it reads the folder: it fails while a
// writer runs (it would prepare part of the photos), and writers fail while
// it runs. The system releases it when the process ends, however it ends.
const ImagesLockFile = ".images.lock"

// Default values of Config, as in the course where it had one.
const (
	DefaultImagesDir    = "data/images"
	DefaultDataDir      = "data/processed"
	DefaultImageSize    = 50
	DefaultTestFraction = 0.25
	DefaultMinPerClass  = 10
	DefaultSeed         = 1
)

// DefaultConfig returns the course's settings: 50×50 images, a stratified
// random 25% test split with seed 1, no augmentation, at least 10 photos per
// class, reading data/images and writing data/processed.
func DefaultConfig() Config {
	return Config{
		ImagesDir:    DefaultImagesDir,
		DataDir:      DefaultDataDir,
		ImageSize:    DefaultImageSize,
		TestFraction: DefaultTestFraction,
		MinPerClass:  DefaultMinPerClass,
		Seed:         DefaultSeed,
	}
}

// RegisterFlags defines one flag per setting on fs, writing into c; the
// current values of c are the flags' defaults. Flags: -images, -data,
// -classes, -size, -test-fraction, -test-per-class, -max-per-class,
// -min-per-class, -augment, -seed, -workers.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.ImagesDir, "images", c.ImagesDir, "folder with one sub-folder of photos per class")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "prepared dataset folder to write: the .npy arrays and dataset.json (what train -data reads)")
	fs.Var((*flagvalue.List)(&c.Classes), "classes", "comma-separated `classes` in label order (default: every sub-folder, sorted)")
	fs.IntVar(&c.ImageSize, "size", c.ImageSize, "side of the square RGB images, in pixels")
	fs.Float64Var(&c.TestFraction, "test-fraction", c.TestFraction, "share of each class put in the test split at random (stratified, seeded)")
	fs.IntVar(&c.TestPerClass, "test-per-class", c.TestPerClass, "if > 0, the first N photos of each class (file-name order) are the test split instead")
	fs.IntVar(&c.MaxPerClass, "max-per-class", c.MaxPerClass, "if > 0, use at most N photos per class (the first in file-name order)")
	fs.IntVar(&c.MinPerClass, "min-per-class", c.MinPerClass, "fail if a class has fewer usable photos")
	fs.BoolVar(&c.Augment, "augment", c.Augment, "add rotated (-20..+15 degrees) and mirrored copies of each training photo (16 per photo)")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "random seed of the split")
	fs.IntVar(&c.Workers, "workers", c.Workers, "photos decoded in parallel (0: one per CPU)")
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if err := c.validateSettings(); err != nil {
		return err
	}
	return checkClassCount(c.Classes)
}

// validateSettings is Validate without the check that at least two classes
// are listed, which Prepare makes after checking the listed folders exist,
// so that a lone misspelt class is reported as a missing folder.
func (c *Config) validateSettings() error {
	switch {
	case c.ImagesDir == "":
		return errors.New("no images folder given")
	case c.DataDir == "":
		return errors.New("no output folder given")
	case isWithin(c.DataDir, c.ImagesDir):
		return fmt.Errorf("the output folder %s is in the images folder %s: the arrays go in a folder of their own", c.DataDir, c.ImagesDir)
	case c.ImageSize < 4 || c.ImageSize > 1024:
		return fmt.Errorf("image size must be in 4..1024, got %d", c.ImageSize)
	case c.TestPerClass < 0:
		return fmt.Errorf("test per class must be 0 (use the test fraction) or more, got %d", c.TestPerClass)
	case c.TestPerClass == 0 && !(c.TestFraction >= 0 && c.TestFraction < 1): // NaN too
		return fmt.Errorf("test fraction must be in [0, 1), got %g", c.TestFraction)
	case c.MaxPerClass < 0:
		return fmt.Errorf("max per class must be 0 (no cap) or more, got %d", c.MaxPerClass)
	case c.MinPerClass < 1:
		return fmt.Errorf("min per class must be at least 1, got %d", c.MinPerClass)
	case c.MaxPerClass > 0 && c.MaxPerClass < c.MinPerClass:
		return fmt.Errorf("max per class %d is below min per class %d", c.MaxPerClass, c.MinPerClass)
	case c.Workers < 0:
		return fmt.Errorf("workers must be 0 (one per CPU) or more, got %d", c.Workers)
	}
	seen := map[string]bool{}
	for _, name := range c.Classes {
		if err := CheckClassName(name); err != nil {
			return err
		}
		if seen[name] {
			return fmt.Errorf("class %q listed twice", name)
		}
		seen[name] = true
	}
	return nil
}

// workerCount is the number of goroutines Prepare decodes and augments on:
// Workers, or one per CPU.
func (c *Config) workerCount() int {
	if c.Workers == 0 {
		return runtime.NumCPU()
	}
	return c.Workers
}

// samplesPerPhoto is the number of training samples made of each training
// photo: SamplesPerPhoto with augmentation, else 1.
func (c *Config) samplesPerPhoto() int {
	if c.Augment {
		return SamplesPerPhoto
	}
	return 1
}

// splitInfo describes the split the settings ask for, as recorded in
// dataset.json.
func (c *Config) splitInfo() SplitInfo {
	if c.TestPerClass > 0 {
		return SplitInfo{Mode: SplitFirstN, TestPerClass: c.TestPerClass, Seed: c.Seed}
	}
	return SplitInfo{Mode: SplitRandom, TestFraction: c.TestFraction, Seed: c.Seed}
}

// checkClassCount rejects a list of exactly one class (an empty list means
// every sub-folder).
func checkClassCount(classes []string) error {
	if len(classes) == 1 {
		return fmt.Errorf("need at least 2 classes, got only %q", classes[0])
	}
	return nil
}

// CheckClassName rejects a class name that is not a plain folder name the
// dataset reads: empty, "." or "..", one with a path separator (/ or \\),
// one starting with "." (a hidden folder, which Prepare leaves out when it
// looks for class folders) or one that is not valid UTF-8 (dataset.json
// could not record it). The crawler checks the class folders it makes with
// it too.
func CheckClassName(name string) error {
	switch {
	case name == "":
		return errors.New("invalid class name: empty")
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`):
		return fmt.Errorf("invalid class name %q: not a plain folder name", name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("invalid class name %q: a name starting with '.' is a hidden folder, which the dataset leaves out", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("invalid class name %q: not valid UTF-8", name)
	}
	return nil
}

// isWithin reports whether path is dir or a folder inside it, however the
// two are spelt (relative or absolute, with "." or ".." parts, through
// symbolic links).
func isWithin(path, dir string) bool {
	p, d := resolved(path), resolved(dir)
	if p == "" || d == "" {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolved returns path absolute, with the symbolic links of its longest
// existing part resolved (the rest may not exist yet); "" when it cannot.
func resolved(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	var missing []string
	for p := abs; ; p = filepath.Dir(p) {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{real}, missing...)...)
		}
		if filepath.Dir(p) == p {
			return abs
		}
		missing = append([]string{filepath.Base(p)}, missing...)
	}
}
