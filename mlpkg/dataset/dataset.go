// Package dataset turns a folder-per-class tree of photos
// (data/images/<class>/...) into the NumPy arrays the model trains on, and
// reads them back.
//
// Prepare lists each class folder (honouring exclude.txt and ignoring
// sidecar files such as manifest.jsonl), decodes and resizes every photo in
// parallel with imageio (the same path prediction uses), skips and reports
// unreadable files and duplicates (the same picture under two names, see
// Prepare), splits each class into training and test photos
// (stratified and seeded, or the course's "first N per class are the test
// set"), optionally augments the training photos like the course (rotations
// and mirror images), and writes train/test .npy arrays plus dataset.json.
// Load reads them back.
package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Output file names inside the prepared folder.
const (
	TrainImagesFile = "train_images.npy"
	TrainLabelsFile = "train_labels.npy"
	TestImagesFile  = "test_images.npy"
	TestLabelsFile  = "test_labels.npy"
	MetaFile        = "dataset.json"
)

// MetaVersion is the version of the dataset.json layout written by Prepare.
const MetaVersion = 1

// Split modes recorded in SplitInfo.Mode.
const (
	// SplitRandom is a stratified, seeded random split by TestFraction.
	SplitRandom = "random"
	// SplitFirstN puts the first TestPerClass photos of each class, in
	// file-name order, in the test split.
	SplitFirstN = "first-n"
)

// Split names recorded in SourceFile.Split.
const (
	TrainSplit = "train"
	TestSplit  = "test"
)

// Meta is the content of dataset.json: how the arrays were made.
type Meta struct {
	// Version is MetaVersion.
	Version int `json:"version"`
	// Created is when Prepare ran (not part of Hash).
	Created time.Time `json:"created"`
	// ImagesDir is the source folder, as given to Prepare.
	ImagesDir string `json:"images_dir"`
	// Classes in label order: label i is Classes[i].
	Classes []string `json:"classes"`
	// ImageSize is the side of the square images.
	ImageSize int `json:"image_size"`
	// Split describes how photos were assigned to the splits.
	Split SplitInfo `json:"split"`
	// MaxPerClass is the cap on photos per class (0: none).
	MaxPerClass int `json:"max_per_class,omitempty"`
	// MinPerClass is the fewest photos a class was allowed to have.
	MinPerClass int `json:"min_per_class"`
	// Augment tells whether training photos were augmented.
	Augment bool `json:"augment"`
	// AugmentAngles are the rotation angles used when Augment is set.
	AugmentAngles []float64 `json:"augment_angles,omitempty"`
	// SamplesPerPhoto is the number of training samples per training photo:
	// the package's SamplesPerPhoto (16) with augmentation, else 1.
	SamplesPerPhoto int `json:"samples_per_photo"`
	// TrainN and TestN are the numbers of samples in each split.
	TrainN int `json:"train_n"`
	TestN  int `json:"test_n"`
	// Counts has one entry per class, in label order.
	Counts []ClassCounts `json:"counts"`
	// Files lists every photo used, class by class in label order, each
	// class's photos in file-name order. The test photos, in this order, are
	// the test samples; the training photos, in this order, make the
	// training samples (SamplesPerPhoto consecutive samples each).
	Files []SourceFile `json:"files"`
	// Skipped lists files that could not be used, or were left out as
	// duplicates (see Prepare), with the reason.
	Skipped []SkippedFile `json:"skipped,omitempty"`
	// Hash identifies the dataset: the SHA-256, in hex, of the classes, the
	// image size and the four arrays (see HashArrays).
	Hash string `json:"hash"`
}

// SplitInfo describes the train/test split.
type SplitInfo struct {
	// Mode is SplitRandom or SplitFirstN.
	Mode string `json:"mode"`
	// TestFraction is the share of test photos per class (SplitRandom).
	TestFraction float64 `json:"test_fraction,omitempty"`
	// TestPerClass is the number of test photos per class (SplitFirstN).
	TestPerClass int `json:"test_per_class,omitempty"`
	// Seed is Config.Seed, recorded in both modes; only the random split
	// (SplitRandom) uses it.
	Seed int64 `json:"seed"`
}

// ClassCounts counts one class's files at each stage.
type ClassCounts struct {
	// Class name and its label.
	Class string `json:"class"`
	Label int    `json:"label"`
	// Files is the number of candidate image files in the folder (sidecar
	// files not counted, excluded files counted).
	Files int `json:"files"`
	// Excluded were left out by exclude.txt.
	Excluded int `json:"excluded"`
	// Skipped could not be decoded, or were left out as duplicates.
	Skipped int `json:"skipped"`
	// Unused were over MaxPerClass.
	Unused int `json:"unused,omitempty"`
	// Train and Test are the numbers of photos in each split.
	Train int `json:"train"`
	Test  int `json:"test"`
	// TrainSamples is Train times the samples per photo.
	TrainSamples int `json:"train_samples"`
}

// SourceFile is one photo used in the dataset.
type SourceFile struct {
	// Path is "<class>/<file name>", relative to the images folder.
	Path string `json:"path"`
	// Label is the class index.
	Label int `json:"label"`
	// SHA256 of the file's bytes, in hex.
	SHA256 string `json:"sha256"`
	// Split is TrainSplit or TestSplit.
	Split string `json:"split"`
}

// SkippedFile is a file that was left out because it could not be used or
// duplicated another.
type SkippedFile struct {
	// Path is "<class>/<file name>", relative to the images folder.
	Path string `json:"path"`
	// Reason is why, e.g. "empty file", the decoder's error or "duplicate
	// of c0/a.jpg (the same picture): used once".
	Reason string `json:"reason"`
}

// Split is one split's arrays.
type Split struct {
	// Images holds N images of Size×Size×3 bytes (RGB, HWC), one after the other.
	Images []uint8
	// Labels holds N class indices.
	Labels []int32
	// N is the number of samples; Size the side of each image.
	N, Size int
	// Files[i] is the source photo of sample i ("<class>/<file name>");
	// with augmentation, SamplesPerPhoto consecutive samples share one.
	Files []string
}

// Image returns sample i's Size*Size*3 bytes (a sub-slice, not a copy).
func (s *Split) Image(i int) []uint8 {
	n := s.Size * s.Size * 3
	return s.Images[i*n : (i+1)*n : (i+1)*n]
}

// Dataset is a prepared dataset, as read by Load.
type Dataset struct {
	// Dir is the folder it was read from.
	Dir string
	// Meta is dataset.json.
	Meta Meta
	// Train and Test are the two splits.
	Train, Test Split
}

// HashArrays returns the dataset hash of Meta.Hash: the hex SHA-256 of the
// class names, the image size and the four arrays. It does not depend on
// file names, dates or settings, only on what a model would be trained and
// tested on.
func HashArrays(classes []string, size int, train, test *Split) string {
	h := sha256.New()
	cl, _ := json.Marshal(classes)
	fmt.Fprintf(h, "animalcnn-dataset-v1\nclasses %s\nsize %d\n", cl, size)
	for _, s := range []*Split{train, test} {
		fmt.Fprintf(h, "split %d\n", s.N)
		h.Write(s.Images)
		buf := make([]byte, 0, 4*len(s.Labels))
		for _, l := range s.Labels {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(l))
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Load reads a dataset written by Prepare from dir and checks that the
// arrays and dataset.json's list of photos agree with its sample counts, and
// that the arrays hash to dataset.json's hash (Verify). It refuses a dataset
// that uses two files with the same bytes (see Prepare), which only an
// earlier version of Prepare wrote.
func Load(dir string) (*Dataset, error) {
	ds := &Dataset{Dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	if err := json.Unmarshal(b, &ds.Meta); err != nil {
		return nil, fmt.Errorf("load dataset %s: %w", filepath.Join(dir, MetaFile), err)
	}
	m := &ds.Meta
	if m.Version != MetaVersion {
		return nil, fmt.Errorf("load dataset %s: dataset.json version %d, want %d (prepare it again)", dir, m.Version, MetaVersion)
	}
	if len(m.Classes) < 2 || m.ImageSize <= 0 || m.SamplesPerPhoto <= 0 {
		return nil, fmt.Errorf("load dataset %s: dataset.json needs at least 2 classes, a positive image size and samples per photo", dir)
	}
	if want := (&Config{Augment: m.Augment}).samplesPerPhoto(); m.SamplesPerPhoto != want {
		return nil, fmt.Errorf("load dataset %s: %s says %d samples per photo, want %d with augmentation %v (edited or damaged; prepare it again)",
			dir, MetaFile, m.SamplesPerPhoto, want, m.Augment)
	}
	if err := checkDistinct(m.Files); err != nil {
		return nil, fmt.Errorf("load dataset %s: %w", dir, err)
	}
	var trainFiles, testFiles []string
	for _, f := range m.Files {
		switch f.Split {
		case TestSplit:
			testFiles = append(testFiles, f.Path)
		case TrainSplit:
			for range m.SamplesPerPhoto {
				trainFiles = append(trainFiles, f.Path)
			}
		default:
			return nil, fmt.Errorf("load dataset %s: %s puts %s in split %q, which is neither %q nor %q (edited or damaged; prepare it again)",
				dir, MetaFile, f.Path, f.Split, TrainSplit, TestSplit)
		}
	}
	for _, sp := range []struct {
		name           string
		s              *Split
		images, labels string
		n              int
		files          []string
	}{
		{TrainSplit, &ds.Train, TrainImagesFile, TrainLabelsFile, m.TrainN, trainFiles},
		{TestSplit, &ds.Test, TestImagesFile, TestLabelsFile, m.TestN, testFiles},
	} {
		if len(sp.files) != sp.n {
			return nil, fmt.Errorf("load dataset %s: %s lists photos for %d %s samples, but says there are %d (edited or damaged; prepare it again)", dir, MetaFile, len(sp.files), sp.name, sp.n)
		}
		if err := loadSplit(dir, sp.images, sp.labels, len(m.Classes), m.ImageSize, sp.n, sp.s); err != nil {
			return nil, fmt.Errorf("load dataset %s: %w", dir, err)
		}
		sp.s.Files = sp.files
	}
	// The checkpoint records the hash as the dataset's identity: it must be
	// the arrays' (about a second for a million 50×50 samples).
	if err := ds.Verify(); err != nil {
		return nil, fmt.Errorf("load dataset: %w (changed after prepare, or damaged; prepare it again)", err)
	}
	return ds, nil
}

// checkDistinct returns an error if two files have the same SHA-256: a
// dataset prepared before Prepare left out duplicates, whose test (and
// validation) accuracy may be too high because it tests on photos it also
// trains on under another name.
func checkDistinct(files []SourceFile) error {
	seen := make(map[string]string, len(files))
	for _, f := range files {
		if f.SHA256 == "" {
			continue
		}
		if prev, ok := seen[f.SHA256]; ok {
			return fmt.Errorf("%s lists %s and %s, files with the same bytes: this dataset was prepared before duplicates were left out, and may test on photos it trains on; prepare it again", MetaFile, prev, f.Path)
		}
		seen[f.SHA256] = f.Path
	}
	return nil
}

// loadSplit reads one split's two arrays and checks them.
func loadSplit(dir, imagesFile, labelsFile string, classes, size, n int, s *Split) error {
	images, shape, err := readUint8NPY(filepath.Join(dir, imagesFile))
	if err != nil {
		return err
	}
	if len(shape) != 4 || shape[0] != n || shape[1] != size || shape[2] != size || shape[3] != 3 {
		return fmt.Errorf("%s: shape %v, want [%d %d %d 3]", imagesFile, shape, n, size, size)
	}
	labels, err := readInt32NPY(filepath.Join(dir, labelsFile))
	if err != nil {
		return err
	}
	if len(labels) != n {
		return fmt.Errorf("%s: %d labels, want %d", labelsFile, len(labels), n)
	}
	for i, l := range labels {
		if l < 0 || int(l) >= classes {
			return fmt.Errorf("%s: label %d of sample %d out of range [0, %d)", labelsFile, l, i, classes)
		}
	}
	*s = Split{Images: images, Labels: labels, N: n, Size: size}
	return nil
}

// Verify recomputes the dataset hash from the arrays and compares it with
// the one in dataset.json, to detect arrays changed after Prepare.
func (d *Dataset) Verify() error {
	if got := HashArrays(d.Meta.Classes, d.Meta.ImageSize, &d.Train, &d.Test); got != d.Meta.Hash {
		return fmt.Errorf("dataset %s: arrays hash to %s, dataset.json says %s", d.Dir, got, d.Meta.Hash)
	}
	return nil
}
