// Package fashion imports the built-in default dataset: Zalando's
// Fashion-MNIST (28×28 grayscale pictures of clothes in 10 classes), as
// shipped by Debian's dataset-fashion-mnist package, into the same
// folder-per-class layout as crawled photos (data/images/<class>/*.png), so a
// default run goes through exactly the same preparation path as photos.
//
// The pictures are written as they are stored: light garments on a black
// background (pixel value 0).
package fashion

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
	"github.com/animalcnn/animalcnn/mlpkg/internal/flagvalue"
	"github.com/animalcnn/animalcnn/mlpkg/internal/fserr"
)

// classNames are Fashion-MNIST's class names; label i is classNames[i].
var classNames = []string{"tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"}

// Classes returns Fashion-MNIST's ten class names in label order (label i
// is Classes()[i]); the slice is the caller's.
func Classes() []string { return slices.Clone(classNames) }

// IsClass reports whether name is one of Fashion-MNIST's class names.
func IsClass(name string) bool { return slices.Contains(classNames, name) }

// DefaultClasses returns the three footwear classes, sandal, sneaker and
// ankle_boot: similar enough not to be trivial, distinct enough for the
// course's small CNN. The slice is the caller's.
func DefaultClasses() []string { return []string{"sandal", "sneaker", "ankle_boot"} }

// DefaultSourceDir is where Debian's dataset-fashion-mnist package installs
// the idx files.
const DefaultSourceDir = "/usr/share/datasets/fashion-mnist"

// DefaultPerClass is the default number of pictures imported per class.
const DefaultPerClass = 1000

// splits are the two parts of Fashion-MNIST, read in this order; each
// picture's file name starts with its part's name.
var splits = []string{"train", "t10k"}

// MaxPerClass is the number of pictures per class in the two parts together.
const MaxPerClass = 7000

const (
	side       = 28
	imageMagic = 0x00000803
	labelMagic = 0x00000801
)

// Config holds the settings of Import.
type Config struct {
	// SourceDir holds {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
	SourceDir string
	// ImagesDir is the images folder; pictures go to ImagesDir/<class>/.
	ImagesDir string
	// Classes to import, by name (see Classes).
	Classes []string
	// PerClass is how many pictures to import per class (at most
	// MaxPerClass): the first ones of the training part, then of the test part.
	PerClass int
	// Progress, if set, is called with the number of pictures handled so
	// far (written or already there) and the total: after each picture
	// written, and once for all the pictures of a part (train, t10k) that
	// were already there.
	Progress func(done, total int)
	// Logger receives Import's closing line; nil: slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns Debian's source folder, data/images, the three
// footwear classes and 1000 pictures per class.
func DefaultConfig() Config {
	return Config{
		SourceDir: DefaultSourceDir,
		ImagesDir: dataset.DefaultImagesDir,
		Classes:   DefaultClasses(),
		PerClass:  DefaultPerClass,
	}
}

// RegisterFlags defines -src, -images, -classes and -per-class on fs, writing
// into c; the current values of c are the defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.SourceDir, "src", c.SourceDir, "folder with the Fashion-MNIST idx .gz files (Debian: apt-get install dataset-fashion-mnist)")
	fs.StringVar(&c.ImagesDir, "images", c.ImagesDir, "images folder to write <class>/<part>-<index>.png into (what prepare -images reads)")
	fs.Var((*flagvalue.List)(&c.Classes), "classes", "comma-separated `classes` to import, of: "+strings.Join(classNames, ","))
	fs.IntVar(&c.PerClass, "per-class", c.PerClass, fmt.Sprintf("pictures per class (at most %d)", MaxPerClass))
}

// ClassCount is what Import did for one class.
type ClassCount struct {
	// Class name.
	Class string
	// Written is the number of new PNG files.
	Written int
	// Existing is the number of files that were already there.
	Existing int
	// Earlier is the number of other pictures of an earlier import (with a
	// larger PerClass, or other pictures chosen) in the class folder. Import
	// does not remove them, and prepare uses them too.
	Earlier int
}

// Summary is what Import did.
type Summary struct {
	// ImagesDir is the images folder written into.
	ImagesDir string
	// Counts has one entry per imported class, in the configured order.
	Counts []ClassCount
}

// String returns one line per class, the images folder, and says if
// pictures of an earlier import are still there.
func (s *Summary) String() string {
	var b strings.Builder
	earlier := 0
	for _, c := range s.Counts {
		fmt.Fprintf(&b, "%-12s %5d written, %5d already there\n", c.Class, c.Written, c.Existing)
		earlier += c.Earlier
	}
	fmt.Fprintf(&b, "pictures in %s\n", s.ImagesDir)
	if earlier > 0 {
		var parts []string
		for _, c := range s.Counts {
			if c.Earlier > 0 {
				parts = append(parts, fmt.Sprintf("%d in %s", c.Earlier, filepath.Join(s.ImagesDir, c.Class)))
			}
		}
		fmt.Fprintf(&b, "%d more pictures from an earlier import are still there (%s), and prepare uses them too; to use only the pictures of this import, delete those folders and import again\n",
			earlier, strings.Join(parts, ", "))
	}
	return b.String()
}

// FileName is the name of picture index (0-based) of part split
// ("train" or "t10k"), e.g. "train-00042.png".
func FileName(split string, index int) string {
	return fmt.Sprintf("%s-%05d.png", split, index)
}

// isPictureName reports whether name is a FileName.
func isPictureName(name string) bool {
	split, num, ok := strings.Cut(strings.TrimSuffix(name, ".png"), "-")
	if !ok || !slices.Contains(splits, split) || len(num) != 5 || !strings.HasSuffix(name, ".png") {
		return false
	}
	return strings.Trim(num, "0123456789") == ""
}

// Validate reports the first invalid setting: no source or output folder,
// no classes, a class that is not one of Classes or is listed twice,
// PerClass outside 1..MaxPerClass. Import calls it; the source files are
// checked there.
func (c *Config) Validate() error {
	switch {
	case c.SourceDir == "":
		return errors.New("import fashion-mnist: no source folder given (Debian's is " + DefaultSourceDir + ")")
	case c.ImagesDir == "":
		return errors.New("import fashion-mnist: no output folder given")
	case len(c.Classes) == 0:
		return errors.New("import fashion-mnist: no classes given")
	}
	for i, name := range c.Classes {
		if !IsClass(name) {
			return fmt.Errorf("import fashion-mnist: unknown class %q (known: %s)", name, strings.Join(classNames, ", "))
		}
		if slices.Contains(c.Classes[:i], name) {
			return fmt.Errorf("import fashion-mnist: class %q listed twice", name)
		}
	}
	if c.PerClass < 1 || c.PerClass > MaxPerClass {
		return fmt.Errorf("import fashion-mnist: per class must be in 1..%d, got %d", MaxPerClass, c.PerClass)
	}
	return nil
}

// Import writes cfg.PerClass pictures of each of cfg.Classes as PNG files
// into cfg.ImagesDir/<class>/<part>-<index>.png. It is idempotent: pictures
// already there are left alone, unless a file is not a whole 28×28 PNG
// picture (empty or damaged, e.g. by a crash), which is written again.
// Pictures of an earlier import with a larger PerClass are not removed: they
// are counted in the summary (ClassCount.Earlier). Each picture is written
// under a temporary name and renamed when complete, and all are synced to
// the disk before Import returns, even when it fails or is cancelled. It
// holds the images folder's lock (dataset.ImagesLockFile) while it writes:
// an import or crawl into the same folder meanwhile fails at once.
func Import(ctx context.Context, cfg Config) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	want := map[int]int{} // label → position in cfg.Classes
	for i, c := range cfg.Classes {
		want[slices.Index(classNames, c)] = i
	}
	for _, split := range splits {
		for _, kind := range []string{"images-idx3", "labels-idx1"} {
			p := filepath.Join(cfg.SourceDir, split+"-"+kind+"-ubyte.gz")
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("import fashion-mnist: %s: %w (apt-get install dataset-fashion-mnist, or give the folder of its files: -src, Config.SourceDir)", p, fserr.WithoutPath(err))
			}
		}
	}
	// One writer of the images folder at a time (see dataset.ImagesLockFile).
	unlock, err := dataset.LockImagesForWriting(cfg.ImagesDir)
	if err != nil {
		return nil, fmt.Errorf("import fashion-mnist: %w", err)
	}
	defer unlock()
	sum := &Summary{ImagesDir: cfg.ImagesDir, Counts: make([]ClassCount, len(cfg.Classes))}
	for i, c := range cfg.Classes {
		sum.Counts[i].Class = c
		if err := os.MkdirAll(filepath.Join(cfg.ImagesDir, c), 0o755); err != nil {
			return nil, fmt.Errorf("import fashion-mnist: %w", err)
		}
		// Temporary files of an import that was killed (holding the lock,
		// no other import is writing any).
		stale, _ := filepath.Glob(filepath.Join(cfg.ImagesDir, c, tmpPattern))
		for _, p := range stale {
			os.Remove(p)
		}
	}
	w := &pngWriter{enc: png.Encoder{BufferPool: &encoderPool{}}}
	chosen := make([]map[string]bool, len(cfg.Classes)) // file names, per class
	for i := range chosen {
		chosen[i] = make(map[string]bool, cfg.PerClass)
	}
	err = importParts(ctx, cfg, want, chosen, w, sum)
	// Whatever happened, make the pictures written so far durable.
	if serr := w.sync(); serr != nil && err == nil {
		err = fmt.Errorf("import fashion-mnist: %w", serr)
	}
	if err != nil {
		return nil, err
	}
	for i, c := range cfg.Classes {
		entries, err := os.ReadDir(filepath.Join(cfg.ImagesDir, c))
		if err != nil {
			return nil, fmt.Errorf("import fashion-mnist: %w", err)
		}
		for _, e := range entries {
			if isPictureName(e.Name()) && !chosen[i][e.Name()] {
				sum.Counts[i].Earlier++
			}
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log.Info("import fashion-mnist: done", "out", cfg.ImagesDir, "classes", len(cfg.Classes), "per_class", cfg.PerClass)
	return sum, nil
}

// importParts writes the missing pictures of Import with w, counting them
// in sum, and records the names of the pictures of each class in chosen.
func importParts(ctx context.Context, cfg Config, want map[int]int, chosen []map[string]bool, w *pngWriter, sum *Summary) error {
	total := cfg.PerClass * len(cfg.Classes)
	done := 0
	taken := make([]int, len(cfg.Classes)) // pictures chosen per class so far
	for _, split := range splits {
		if slices.Min(taken) == cfg.PerClass {
			break
		}
		labels, err := readLabels(filepath.Join(cfg.SourceDir, split+"-labels-idx1-ubyte.gz"))
		if err != nil {
			return fmt.Errorf("import fashion-mnist: %w", err)
		}
		// Choose the pictures of this part; find which are missing on disk.
		missing := map[int]string{} // index → class
		existing := 0
		for idx, l := range labels {
			pos, ok := want[int(l)]
			if !ok || taken[pos] == cfg.PerClass {
				continue
			}
			taken[pos]++
			class := cfg.Classes[pos]
			chosen[pos][FileName(split, idx)] = true
			if readablePNG(filepath.Join(cfg.ImagesDir, class, FileName(split, idx))) {
				sum.Counts[pos].Existing++
				existing++
				continue
			}
			missing[idx] = class
		}
		done += existing
		if cfg.Progress != nil && existing > 0 {
			cfg.Progress(done, total)
		}
		if len(missing) == 0 {
			continue
		}
		err = eachImage(ctx, filepath.Join(cfg.SourceDir, split+"-images-idx3-ubyte.gz"), len(labels), func(idx int, pix []byte) (bool, error) {
			class, ok := missing[idx]
			if !ok {
				return true, nil
			}
			if err := w.write(filepath.Join(cfg.ImagesDir, class), FileName(split, idx), pix); err != nil {
				return false, err
			}
			sum.Counts[slices.Index(cfg.Classes, class)].Written++
			delete(missing, idx)
			done++
			if cfg.Progress != nil {
				cfg.Progress(done, total)
			}
			return len(missing) > 0, nil
		})
		if err != nil {
			return fmt.Errorf("import fashion-mnist: %w", err)
		}
	}
	for i, n := range taken {
		if n < cfg.PerClass {
			return fmt.Errorf("import fashion-mnist: only %d pictures of class %q in %s, want %d", n, cfg.Classes[i], cfg.SourceDir, cfg.PerClass)
		}
	}
	return nil
}

// openGzip opens a gzip-compressed file.
func openGzip(path string) (*os.File, *gzip.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, zr, nil
}

// readLabels reads an idx1 label file.
func readLabels(path string) ([]byte, error) {
	f, zr, err := openGzip(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var hdr [2]uint32
	if err := binary.Read(zr, binary.BigEndian, &hdr); err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	if hdr[0] != labelMagic || hdr[1] > 1_000_000 {
		return nil, fmt.Errorf("%s: not an idx1 label file (magic %#x, %d items)", path, hdr[0], hdr[1])
	}
	labels := make([]byte, hdr[1])
	if _, err := io.ReadFull(zr, labels); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, l := range labels {
		if int(l) >= len(classNames) {
			return nil, fmt.Errorf("%s: label %d of item %d out of range", path, l, i)
		}
	}
	return labels, nil
}

// eachImage streams a 28×28 idx3 image file, calling fn with each picture's
// index and pixels (valid only during the call) until fn returns false.
func eachImage(ctx context.Context, path string, n int, fn func(idx int, pix []byte) (bool, error)) error {
	f, zr, err := openGzip(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var hdr [4]uint32
	if err := binary.Read(zr, binary.BigEndian, &hdr); err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	if hdr[0] != imageMagic || hdr[2] != side || hdr[3] != side {
		return fmt.Errorf("%s: not a 28×28 idx3 image file (magic %#x, %d×%d)", path, hdr[0], hdr[2], hdr[3])
	}
	if int(hdr[1]) != n {
		return fmt.Errorf("%s: %d images for %d labels", path, hdr[1], n)
	}
	pix := make([]byte, side*side)
	for idx := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := io.ReadFull(zr, pix); err != nil {
			return fmt.Errorf("%s: image %d: %w", path, idx, err)
		}
		more, err := fn(idx, pix)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// tmpPattern names the temporary files of pngWriter (hidden: Prepare
// ignores them).
const tmpPattern = ".fashion-*.tmp"

// pngWriter writes the pictures of one Import. Each file is written under a
// temporary name and renamed when complete, so that a picture's name never
// holds a part of it; but without an fsync each (3000 fsyncs took 3.75 s of
// a 10 s import): sync makes them all durable at the end. Should the machine
// crash before that, a picture may be left empty or damaged, and the next
// Import writes it again (see readablePNG).
type pngWriter struct {
	enc     png.Encoder
	buf     bytes.Buffer
	written []string        // files to sync
	dirs    map[string]bool // their folders
}

// write writes a 28×28 grayscale picture to dir/name.
func (w *pngWriter) write(dir, name string, pix []byte) error {
	img := &image.Gray{Pix: pix, Stride: side, Rect: image.Rect(0, 0, side, side)}
	w.buf.Reset()
	if err := w.enc.Encode(&w.buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, tmpPattern)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	err = f.Chmod(0o644) // CreateTemp makes 0600 files
	if err == nil {
		_, err = f.Write(w.buf.Bytes())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	w.written = append(w.written, path)
	if w.dirs == nil {
		w.dirs = map[string]bool{}
	}
	w.dirs[dir] = true
	return nil
}

// sync flushes the files written, then their folders (the new names), to
// the disk.
func (w *pngWriter) sync() error {
	paths := w.written
	for dir := range w.dirs {
		paths = append(paths, dir)
	}
	if err := atomicfile.Sync(paths...); err != nil {
		return err
	}
	w.written, w.dirs = nil, nil
	return nil
}

// encoderPool keeps png.Encoder's buffers (a zlib writer: most of the cost
// of encoding a small picture) from one picture to the next. Import writes
// from one goroutine.
type encoderPool struct{ b *png.EncoderBuffer }

func (p *encoderPool) Get() *png.EncoderBuffer  { return p.b }
func (p *encoderPool) Put(b *png.EncoderBuffer) { p.b = b }

// readablePNG reports whether path holds a whole 28×28 PNG picture. A file
// that does not (empty or damaged by a crash before Import synced it, not a
// picture, a picture of another size, or not a regular file: a named pipe is
// not waited on) is written again. Only a 28×28 picture is decoded: a header
// that claims a larger one is not taken at its word (30000×30000 pixels
// would take gigabytes).
func readablePNG(path string) bool {
	f, err := imageio.OpenRegular(path)
	if err != nil {
		return false
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(bufio.NewReader(f))
	if err != nil || cfg.Width != side || cfg.Height != side {
		return false
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false
	}
	_, err = png.Decode(bufio.NewReader(f))
	return err == nil
}

// Installed reports whether the Fashion-MNIST files are in dir.
func Installed(dir string) bool {
	for _, split := range splits {
		for _, kind := range []string{"images-idx3", "labels-idx1"} {
			if _, err := os.Stat(filepath.Join(dir, split+"-"+kind+"-ubyte.gz")); err != nil {
				return false
			}
		}
	}
	return true
}
