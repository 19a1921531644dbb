package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirent"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
	"github.com/animalcnn/animalcnn/mlpkg/internal/textwidth"
)

// Summary is what Prepare did.
type Summary struct {
	// DataDir is where the files were written.
	DataDir string
	// Meta is the content of the dataset.json written.
	Meta Meta
	// Ignored lists entries of the class folders that were not considered
	// photos (sidecar files such as manifest.jsonl, hidden and temporary
	// files, sub-folders), as "<class>/<name>".
	Ignored []string
	// Conflicts lists the pictures found in more than one class (the same
	// pixels at the training size), each as the "<class>/<name>" paths of its
	// copies. No copy of them was used; each is also in Meta.Skipped.
	Conflicts [][]string
	// Elapsed is how long Prepare took.
	Elapsed time.Duration
}

// String returns a short report: the dataset's settings, a table of counts
// per class, the files skipped and the pictures found in several classes,
// then where it was written, in how long, and the dataset's hash.
func (s *Summary) String() string {
	m := &s.Meta
	var b strings.Builder
	split := fmt.Sprintf("random %g %% test (seed %d)", 100*m.Split.TestFraction, m.Split.Seed)
	if m.Split.Mode == SplitFirstN {
		split = fmt.Sprintf("first %d per class as test", m.Split.TestPerClass)
	}
	aug := "off"
	if m.Augment {
		aug = fmt.Sprintf("on, %d samples per training photo", m.SamplesPerPhoto)
	}
	fmt.Fprintf(&b, "%d classes, %d×%d RGB, split: %s, augmentation: %s\n", len(m.Classes), m.ImageSize, m.ImageSize, split, aug)
	w := 16
	for _, c := range m.Counts {
		w = max(w, textwidth.Width(c.Class))
	}
	fmt.Fprintf(&b, "%s %7s %9s %8s %7s %6s %6s %14s\n", textwidth.PadRight("class", w), "files", "excluded", "skipped", "unused", "train", "test", "train samples")
	row := func(name string, c ClassCounts) {
		fmt.Fprintf(&b, "%s %7d %9d %8d %7d %6d %6d %14d\n", textwidth.PadRight(name, w), c.Files, c.Excluded, c.Skipped, c.Unused, c.Train, c.Test, c.TrainSamples)
	}
	var tot ClassCounts
	for _, c := range m.Counts {
		row(c.Class, c)
		tot.Files += c.Files
		tot.Excluded += c.Excluded
		tot.Skipped += c.Skipped
		tot.Unused += c.Unused
		tot.Train += c.Train
		tot.Test += c.Test
		tot.TrainSamples += c.TrainSamples
	}
	row("total", tot)
	if len(m.Skipped) > 0 {
		fmt.Fprintf(&b, "skipped %d files:\n", len(m.Skipped))
		for _, sk := range m.Skipped {
			fmt.Fprintf(&b, "  %s: %s\n", sk.Path, sk.Reason)
		}
	}
	if len(s.Conflicts) > 0 {
		are := "pictures are"
		if len(s.Conflicts) == 1 {
			are = "picture is"
		}
		fmt.Fprintf(&b, "%d %s in more than one class, so no copy was used; list the wrong copies in their class's %s and prepare again:\n", len(s.Conflicts), are, ExcludeFile)
		for _, c := range s.Conflicts {
			fmt.Fprintf(&b, "  %s\n", strings.Join(c, " = "))
		}
	}
	fmt.Fprintf(&b, "wrote %s in %s (dataset hash %.12s)\n", s.DataDir, s.Elapsed.Round(time.Millisecond), m.Hash)
	return b.String()
}

// photo is one candidate image file on its way through Prepare.
type photo struct {
	label  int
	name   string // file name within the class folder
	path   string // full path on disk
	sha256 string
	pix    []uint8 // ImageSize×ImageSize×3, nil if skipped
	reason string  // why it was skipped, "" if usable
	test   bool    // in the test split
}

// relPath is the photo's path relative to the images folder, with '/'.
func (p *photo) relPath(classes []string) string {
	return classes[p.label] + "/" + p.name
}

// Prepare reads the photos under cfg.ImagesDir, splits, augments and writes
// them to cfg.DataDir as train_images.npy (uint8 [n, size, size, 3]),
// train_labels.npy (int32 [n]), test_images.npy, test_labels.npy and
// dataset.json (see Meta). Files are written to temporary files, and moved
// into place only once everything else succeeded; on error or cancellation
// of ctx before that no file in DataDir is changed. The old dataset.json goes
// first and the new one is moved in last, so should moving the files fail
// partway (a full or failing disk), DataDir holds no dataset.json and Load
// refuses it until Prepare succeeds, rather than read a mix of old and new
// arrays. One Prepare at a time writes a folder: from the end of the listing
// of the photos, Prepare holds a lock in DataDir (.prepare.lock, released
// even if the process is killed), and a second one fails at once; it also
// removes the temporary files a killed Prepare left there.
//
// Unreadable, empty, truncated and non-image files, and files over
// MaxFileBytes, are skipped and listed in the summary, not fatal; a file that
// is no picture by its first bytes is not read further. So are files whose
// names are not valid UTF-8 (e.g. Latin-1 names from an old archive), which
// dataset.json, a JSON file, cannot record; a class folder with such a name
// is an error. So are duplicates, found by the SHA-256 of the
// pixels each photo gives at the training size, after exclude.txt is
// applied (byte-identical files, and one image saved in two lossless
// formats): of copies within one class
// one is used, and a picture found in more than one class is left out of
// all of them and reported in Summary.Conflicts, so
// that no picture is used twice, in particular in both the training and the
// test split. It is an error if the images folder is missing, if
// there are fewer than two classes, or if a class has fewer than
// cfg.MinPerClass usable photos (or, with cfg.TestPerClass, not more than
// that many).
//
// The samples are stored class by class (see Meta.Files), not shuffled:
// trainers shuffle.
func Prepare(ctx context.Context, cfg Config) (_ *Summary, err error) {
	start := time.Now()
	if err := cfg.validateSettings(); err != nil { // Validate, with the class count checked by findClasses
		return nil, fmt.Errorf("prepare: %w", err)
	}
	wrap := func(err error) error { return fmt.Errorf("prepare: %s: %w", cfg.ImagesDir, err) }
	// Not while a crawl or an import writes the photos: it would prepare
	// some of them.
	unlockImages, err := lockImages(cfg.ImagesDir, cfg.logger())
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	defer unlockImages()
	classes, err := findClasses(cfg.ImagesDir, cfg.Classes)
	if err != nil {
		return nil, wrap(err)
	}
	photos, counts, ignored, err := listClasses(cfg.ImagesDir, classes)
	if err != nil {
		return nil, wrap(err)
	}
	// One prepare at a time per output folder: two would mix their arrays.
	// Taken before the long work, it also finds a folder that cannot be
	// written before it.
	_, statErr := os.Stat(cfg.DataDir)
	unlock, err := dirlock.Lock(cfg.DataDir, lockFile, "a prepare")
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	defer func() {
		if err != nil && errors.Is(statErr, fs.ErrNotExist) {
			// Leave no output folder holding only the lock behind a
			// failure; removed while locked, as dirlock.Lock allows.
			_ = os.Remove(filepath.Join(cfg.DataDir, lockFile))
			_ = os.Remove(cfg.DataDir)
		}
		unlock()
	}()
	removeStaleTemps(cfg.DataDir, cfg.logger())
	cfg.logger().Info("prepare: decoding photos", "dir", cfg.ImagesDir, "classes", len(classes), "files", len(photos))
	workers := cfg.workerCount()
	if err := decodeAll(ctx, photos, cfg.ImageSize, workers, cfg.Progress); err != nil {
		return nil, wrap(err)
	}
	conflicts := markDuplicates(photos, classes)

	// Per class: usable photos in file-name order (duplicates skipped before
	// the cap, so that they take no place in it), capped, then split.
	byClass, skipped := groupUsable(photos, classes, counts)
	if err := chooseSplits(byClass, counts, cfg); err != nil {
		return nil, wrap(err)
	}

	// Arrays and metadata.
	meta := newMeta(cfg, classes, start, counts, skipped)
	trainPhotos, testPhotos := listSplits(&meta, byClass)
	train, err := trainArrays(ctx, trainPhotos, cfg, workers)
	if err != nil {
		return nil, wrap(err)
	}
	test := testArrays(testPhotos, cfg.ImageSize)
	meta.TrainN, meta.TestN = train.N, test.N
	meta.Hash = HashArrays(classes, cfg.ImageSize, &train, &test)

	if err := writeAll(ctx, cfg.DataDir, &meta, &train, &test); err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	sum := &Summary{DataDir: cfg.DataDir, Meta: meta, Ignored: ignored, Conflicts: conflicts, Elapsed: time.Since(start)}
	cfg.logger().Info("prepare: done", "out", cfg.DataDir, "train", train.N, "test", test.N, "skipped", len(skipped), "elapsed", sum.Elapsed.Round(time.Millisecond))
	return sum, nil
}

// listClasses lists the candidate photos of every class folder of dir (see
// listClass), class by class in label order, with each class's counts of
// files and exclusions, and the ignored entries as "<class>/<name>".
func listClasses(dir string, classes []string) (photos []*photo, counts []ClassCounts, ignored []string, err error) {
	counts = make([]ClassCounts, len(classes))
	for label, class := range classes {
		ps, excluded, ign, err := listClass(filepath.Join(dir, class), label)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("class %q: %w", class, err)
		}
		counts[label] = ClassCounts{Class: class, Label: label, Files: len(ps) + excluded, Excluded: excluded}
		photos = append(photos, ps...)
		for _, n := range ign {
			ignored = append(ignored, class+"/"+n)
		}
	}
	return photos, counts, ignored, nil
}

// groupUsable returns the usable photos of each class, in the order of
// photos, and lists the skipped ones, counting them in counts.
func groupUsable(photos []*photo, classes []string, counts []ClassCounts) (byClass [][]*photo, skipped []SkippedFile) {
	byClass = make([][]*photo, len(classes))
	for _, p := range photos {
		if p.reason != "" {
			skipped = append(skipped, SkippedFile{Path: p.relPath(classes), Reason: p.reason})
			counts[p.label].Skipped++
			continue
		}
		byClass[p.label] = append(byClass[p.label], p)
	}
	return byClass, skipped
}

// chooseSplits caps each class's usable photos (byClass[label], in file-name
// order) at cfg.MaxPerClass, counting the rest as unused in counts, checks
// that enough remain (see checkUsable) and marks the class's test photos
// (see selectTest).
func chooseSplits(byClass [][]*photo, counts []ClassCounts, cfg Config) error {
	for label, ps := range byClass {
		c := &counts[label]
		if cfg.MaxPerClass > 0 && len(ps) > cfg.MaxPerClass {
			c.Unused = len(ps) - cfg.MaxPerClass
			ps = ps[:cfg.MaxPerClass]
			byClass[label] = ps
		}
		if err := checkUsable(len(ps), c, cfg); err != nil {
			return err
		}
		for _, p := range selectTest(ps, c.Class, cfg) {
			p.test = true
		}
	}
	return nil
}

// checkUsable returns an error if n, the number of photos of class c to use,
// is too few to prepare: none, fewer than cfg.MinPerClass, or none left to
// train on after the cfg.TestPerClass test photos.
func checkUsable(n int, c *ClassCounts, cfg Config) error {
	detail := fmt.Sprintf("%d files, %d excluded, %d skipped", c.Files, c.Excluded, c.Skipped)
	switch {
	case n == 0:
		return fmt.Errorf("class %q has no usable photos (%s)", c.Class, detail)
	case n < cfg.MinPerClass:
		return fmt.Errorf("class %q has %d usable photos, fewer than the minimum of %d (%s)", c.Class, n, cfg.MinPerClass, detail)
	case cfg.TestPerClass > 0 && n <= cfg.TestPerClass:
		return fmt.Errorf("class %q has %d usable photos, not more than the %d test photos per class, leaving none to train on", c.Class, n, cfg.TestPerClass)
	}
	return nil
}

// newMeta returns the dataset.json of a preparation with cfg, started at
// start, as far as it is known before the splits are listed: without Files,
// the split counts in Counts, TrainN, TestN and Hash.
func newMeta(cfg Config, classes []string, start time.Time, counts []ClassCounts, skipped []SkippedFile) Meta {
	meta := Meta{
		Version:         MetaVersion,
		Created:         start.UTC().Truncate(time.Second),
		ImagesDir:       cfg.ImagesDir,
		Classes:         classes,
		ImageSize:       cfg.ImageSize,
		Split:           cfg.splitInfo(),
		MaxPerClass:     cfg.MaxPerClass,
		MinPerClass:     cfg.MinPerClass,
		Augment:         cfg.Augment,
		SamplesPerPhoto: cfg.samplesPerPhoto(),
		Counts:          counts,
		Skipped:         skipped,
	}
	if cfg.Augment {
		meta.AugmentAngles = AugmentAngles()
	}
	return meta
}

// listSplits returns the training and the test photos, each class by class
// in label order and file-name order, records every photo in meta.Files and
// counts each split's photos and training samples in meta.Counts.
func listSplits(meta *Meta, byClass [][]*photo) (train, test []*photo) {
	for label, ps := range byClass {
		c := &meta.Counts[label]
		for _, p := range ps {
			split := TrainSplit
			if p.test {
				split = TestSplit
				test = append(test, p)
				c.Test++
			} else {
				train = append(train, p)
				c.Train++
				c.TrainSamples += meta.SamplesPerPhoto
			}
			meta.Files = append(meta.Files, SourceFile{Path: p.relPath(meta.Classes), Label: label, SHA256: p.sha256, Split: split})
		}
	}
	return train, test
}

// trainArrays returns the training split of photos: each photo's pixels,
// or with cfg.Augment its SamplesPerPhoto augmented samples, made on
// workers goroutines.
func trainArrays(ctx context.Context, photos []*photo, cfg Config, workers int) (Split, error) {
	samples := cfg.samplesPerPhoto()
	stride := cfg.ImageSize * cfg.ImageSize * 3
	s := Split{N: len(photos) * samples, Size: cfg.ImageSize}
	s.Images = make([]uint8, s.N*stride)
	s.Labels = make([]int32, s.N)
	err := parallelFor(ctx, len(photos), workers, func(i int) {
		p := photos[i]
		dst := s.Images[i*samples*stride : (i+1)*samples*stride]
		if cfg.Augment {
			augmentInto(dst, p.pix, cfg.ImageSize, cfg.ImageSize)
		} else {
			copy(dst, p.pix)
		}
		for k := range samples {
			s.Labels[i*samples+k] = int32(p.label)
		}
	}, nil)
	return s, err
}

// testArrays returns the test split of photos: each photo's pixels, never
// augmented.
func testArrays(photos []*photo, size int) Split {
	stride := size * size * 3
	s := Split{N: len(photos), Size: size}
	s.Images = make([]uint8, s.N*stride)
	s.Labels = make([]int32, s.N)
	for i, p := range photos {
		copy(s.Images[i*stride:], p.pix)
		s.Labels[i] = int32(p.label)
	}
	return s
}

// findClasses returns the configured classes after checking their folders
// exist (before their number, so that a lone misspelt class is reported as a
// missing folder), or else the sorted sub-folders of dir.
func findClasses(dir string, configured []string) ([]string, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("images folder not found (import or crawl photos first)")
	}
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("not a folder")
	}
	if len(configured) > 0 {
		for _, c := range configured {
			st, err := os.Stat(filepath.Join(dir, c))
			if err != nil || !st.IsDir() {
				return nil, fmt.Errorf("class %q: no folder %s", c, filepath.Join(dir, c))
			}
		}
		if err := checkClassCount(configured); err != nil {
			return nil, err
		}
		return slices.Clone(configured), nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var classes []string
	for _, e := range entries {
		if !dirent.IsDir(dir, e) {
			continue
		}
		if !utf8.ValidString(e.Name()) { // not hidden: it would have been a class
			return nil, fmt.Errorf("class folder %q: its name is not valid UTF-8 (dataset.json could not record it); rename it", e.Name())
		}
		if CheckClassName(e.Name()) == nil {
			classes = append(classes, e.Name())
		}
	}
	switch len(classes) {
	case 0:
		return nil, fmt.Errorf("no class folders")
	case 1:
		return nil, fmt.Errorf("need at least 2 class folders, found only %q", classes[0])
	}
	return classes, nil // ReadDir sorts by name
}

// sidecarExts are extensions of files that live beside the photos and are
// never photos themselves (the crawler's manifest, curation lists, notes,
// partial downloads, file-manager metadata).
var sidecarExts = map[string]bool{
	".json": true, ".jsonl": true, ".txt": true, ".md": true, ".csv": true, ".tsv": true,
	".log": true, ".yaml": true, ".yml": true, ".html": true, ".xmp": true, ".ini": true,
	".db": true, ".tmp": true, ".temp": true, ".part": true, ".partial": true,
	".crdownload": true, ".download": true, ".swp": true, ".bak": true,
}

// IsSidecar reports whether a file name in a class folder is not a photo to
// consider: manifest.jsonl, exclude.txt, hidden files, temporary files and
// the like. Prepare decodes any other file by content (its extension does not
// matter), and reports it as skipped if it is not an image.
func IsSidecar(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") || strings.HasSuffix(name, "~") ||
		strings.HasPrefix(name, "#") || sidecarExts[strings.ToLower(filepath.Ext(name))]
}

// candidate reports whether Prepare considers the entry e of a class
// folder dir a photo: a file (or a link to one) that is not a sidecar.
func candidate(dir string, e fs.DirEntry) bool {
	return !IsSidecar(e.Name()) && !dirent.IsDir(dir, e) && (e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0)
}

// ClassFiles returns the base names of the files of classDir that Prepare
// considers photos, in name order: every file but the sidecars (IsSidecar),
// whatever its extension, those excluded in exclude.txt included. Prepare
// decodes each by content; a file that is not an image is skipped then.
func ClassFiles(classDir string) ([]string, error) {
	entries, err := os.ReadDir(classDir)
	if err != nil {
		return nil, err // it names the folder
	}
	var out []string
	for _, e := range entries {
		if candidate(classDir, e) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// listClass lists the candidate photos of one class folder, in file-name
// order, leaving out excluded and sidecar files.
func listClass(dir string, label int) (photos []*photo, excluded int, ignored []string, err error) {
	exclude, err := ReadExclusions(dir)
	if err != nil {
		return nil, 0, nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if !candidate(dir, e) {
			ignored = append(ignored, name)
			continue
		}
		if Excluded(exclude, name) {
			excluded++
			continue
		}
		p := &photo{label: label, name: name, path: filepath.Join(dir, name)}
		if !utf8.ValidString(name) {
			// dataset.json (JSON) would record another name, which may not
			// exist or may be another file's.
			p.reason = fmt.Sprintf("the file name %q is not valid UTF-8, which dataset.json cannot record; rename the file", name)
		}
		photos = append(photos, p)
	}
	return photos, excluded, ignored, nil
}

// decodeAll reads, hashes, decodes and resizes every photo not already
// skipped on workers goroutines, recording a reason for each one that fails.
func decodeAll(ctx context.Context, photos []*photo, size, workers int, progress func(done, total int)) error {
	var done func(int)
	if progress != nil {
		done = func(n int) { progress(n, len(photos)) }
	}
	return parallelFor(ctx, len(photos), workers, func(i int) {
		if photos[i].reason == "" {
			decodeOne(photos[i], size)
		}
	}, done)
}

// MaxFileBytes is the largest file Prepare reads as a picture (256 MiB, far
// above any photo's size); a larger one is skipped, with the reason. Files
// that are not pictures by their first bytes (a video, an archive) are
// skipped after reading only those, whatever their size.
const MaxFileBytes = imageio.MaxFileBytes

// decodeOne fills in p.sha256 and p.pix, or p.reason.
func decodeOne(p *photo, size int) {
	f, err := imageio.OpenRegular(p.path) // a link to a named pipe would block os.Open
	if err != nil {
		p.reason = err.Error()
		return
	}
	defer f.Close()
	head := make([]byte, imageio.SniffLen)
	n, err := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF):
		p.reason = err.Error()
		return
	case n == 0:
		p.reason = "empty file (0 bytes)"
		return
	}
	if _, ok := imageio.Sniff(head); !ok {
		_, _, err := imageio.DecodeConfig(bytes.NewReader(head)) // the error that says what it is
		p.reason = err.Error()
		return
	}
	st, err := f.Stat()
	if err != nil {
		p.reason = err.Error()
		return
	}
	if st.Size() > MaxFileBytes {
		p.reason = fmt.Sprintf("%d MiB, more than the %d MiB a picture may have", st.Size()>>20, MaxFileBytes>>20)
		return
	}
	data := make([]byte, max(st.Size(), int64(n)))
	copy(data, head)
	if _, err := io.ReadFull(f, data[n:]); err != nil {
		p.reason = fmt.Sprintf("read %d bytes: %v", len(data), err)
		return
	}
	sum := sha256.Sum256(data)
	p.sha256 = hex.EncodeToString(sum[:])
	img, _, err := imageio.DecodeBytes(data)
	if err != nil {
		p.reason = err.Error()
		return
	}
	p.pix = imageio.ToRGB(img, size)
}

// selectTest returns the test photos of one class (ps in file-name order).
// In first-N mode they are the first cfg.TestPerClass; otherwise
// ceil(TestFraction × n) photos (at most n−1) chosen by a seeded hash of
// each file name, so the choice is reproducible, differs between seeds and
// does not depend on Go's random number generators.
func selectTest(ps []*photo, class string, cfg Config) []*photo {
	if cfg.TestPerClass > 0 {
		return ps[:cfg.TestPerClass]
	}
	nTest := min(int(math.Ceil(cfg.TestFraction*float64(len(ps))-1e-9)), len(ps)-1)
	if nTest <= 0 {
		return nil
	}
	type keyed struct {
		key string
		p   *photo
	}
	ks := make([]keyed, len(ps))
	for i, p := range ps {
		h := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s", cfg.Seed, class, p.name))
		ks[i] = keyed{string(h[:]), p}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([]*photo, nTest)
	for i := range out {
		out[i] = ks[i].p
	}
	return out
}

// parallelFor calls fn(i) for i in [0, n) on workers goroutines, and, if
// done is not nil, done(count of calls finished) after each, from the
// calling goroutine. It stops early, returning ctx.Err(), when ctx is
// cancelled.
func parallelFor(ctx context.Context, n, workers int, fn func(i int), done func(finished int)) error {
	finished := make(chan struct{}, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
				if done != nil {
					finished <- struct{}{}
				}
			}
		})
	}
	go func() { wg.Wait(); close(finished) }()
	count := 0
	for range finished {
		count++
		done(count)
	}
	return ctx.Err()
}

// writeAll writes the four arrays and dataset.json to dir: each to a
// temporary file first, then, if all succeeded and ctx is still live, removes
// the old dataset.json and renames the new files into place, dataset.json
// last. On failure the temporary files are removed; existing files are left
// as they were, unless renaming fails partway: then dir has no dataset.json,
// so Load fails rather than read a mix of old and new arrays.
func writeAll(ctx context.Context, dir string, meta *Meta, train, test *Split) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err // it names the folder
	}
	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", MetaFile, err)
	}
	size := meta.ImageSize
	outputs := []struct {
		name  string
		write func(io.Writer) error
	}{
		{TrainImagesFile, func(w io.Writer) error { return writeUint8NPY(w, train.Images, []int{train.N, size, size, 3}) }},
		{TrainLabelsFile, func(w io.Writer) error { return writeInt32NPY(w, train.Labels) }},
		{TestImagesFile, func(w io.Writer) error { return writeUint8NPY(w, test.Images, []int{test.N, size, size, 3}) }},
		{TestLabelsFile, func(w io.Writer) error { return writeInt32NPY(w, test.Labels) }},
		{MetaFile, func(w io.Writer) error { _, err := w.Write(append(metaJSON, '\n')); return err }},
	}
	var temps []string
	defer func() {
		for _, t := range temps {
			os.Remove(t) // no-op once renamed
		}
	}()
	for _, o := range outputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		tmp, err := writeTemp(dir, o.name, o.write)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The arrays cannot all be replaced at once. Remove the old dataset.json
	// first and put the new one last, so that a failure partway leaves a
	// folder that Load refuses (no dataset.json), never old metadata beside
	// some new arrays.
	if err := os.Remove(filepath.Join(dir, MetaFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	for i, o := range outputs {
		if err := rename(temps[i], filepath.Join(dir, o.name)); err != nil {
			return fmt.Errorf("write %s: %w (the folder holds no dataset until prepare runs again)", filepath.Join(dir, o.name), err)
		}
	}
	if err := atomicfile.Sync(dir); err != nil { // the renames, on disk
		return fmt.Errorf("write %s: %w", dir, err)
	}
	return nil
}

// lockFile is the lock Prepare holds in its output folder (see dirlock).
const lockFile = ".prepare.lock"

// outputFiles are the files Prepare writes.
var outputFiles = []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile, MetaFile}

// LockImagesForWriting takes the exclusive lock of the images folder dir
// (ImagesLockFile), creating dir if needed, for a program that writes it (a
// crawl, a fashion import): while another writer or a Prepare holds the
// lock it fails at once, with an error that says so and to wait for it to
// end. unlock releases it.
func LockImagesForWriting(dir string) (unlock func(), err error) {
	return dirlock.Lock(dir, ImagesLockFile, "a crawl, an import-fashion or a prepare")
}

// lockImages takes the shared lock of the images folder dir (see
// ImagesLockFile), failing while a crawl or an import holds it. A folder
// that is missing, or where the lock file cannot be made (read-only), is
// read without it.
func lockImages(dir string, log *slog.Logger) (unlock func(), err error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return func() {}, nil // findClasses says what is wrong
	}
	unlock, err = dirlock.LockShared(dir, ImagesLockFile, "a crawl or an import-fashion")
	if errors.Is(err, dirlock.ErrBusy) {
		return nil, err
	}
	if err != nil {
		log.Debug("prepare: reading the images folder without its lock", "dir", dir, "error", err)
		return func() {}, nil
	}
	return unlock, nil
}

// removeStaleTemps removes the temporary files (writeTemp's) that a prepare
// killed before its renames left in dir: as large as the dataset, they
// could fill the disk, and says so on log. Only call it holding the
// folder's lock.
func removeStaleTemps(dir string, log *slog.Logger) {
	var files int
	var freed int64
	for _, name := range outputFiles {
		stale, _ := filepath.Glob(filepath.Join(dir, "."+name+".tmp*"))
		for _, p := range stale {
			st, err := os.Lstat(p)
			if err != nil || !st.Mode().IsRegular() || os.Remove(p) != nil {
				continue
			}
			files++
			freed += st.Size()
		}
	}
	if files > 0 {
		log.Info("prepare: removed the temporary files of an interrupted prepare", "dir", dir, "files", files, "bytes", freed)
	}
}

// rename is os.Rename; tests replace it to fail partway through writeAll.
var rename = os.Rename

// writeTemp writes a temporary file in dir for the final name (a hidden
// one, see removeStaleTemps) and returns its path.
func writeTemp(dir, name string, write func(io.Writer) error) (string, error) {
	tmp, err := atomicfile.WriteTemp(dir, "."+name+".tmp*", 0o644, write)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return tmp, nil
}
