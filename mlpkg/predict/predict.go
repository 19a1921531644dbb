package predict

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/eval"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirent"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/gomlx/gomlx/backends"
)

// Predictor classifies images with a trained checkpoint. Load it once; it is
// safe for concurrent use.
type Predictor struct {
	classifier *model.Classifier
	meta       *model.Meta
	backend    string
}

// Load reads the checkpoint directory dir (as written by train: model.json
// plus best/ or last/) and prepares the model on backend b.
func Load(dir string, b backends.Backend) (*Predictor, error) {
	c, meta, err := model.Load(dir, b)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	return &Predictor{classifier: c, meta: meta, backend: backend.Name(b)}, nil
}

// Meta returns the checkpoint's metadata (classes, image size, metrics…),
// shared with the Predictor: read it, do not modify it.
func (p *Predictor) Meta() *model.Meta { return p.meta }

// Backend returns the name of the backend the model runs on.
func (p *Predictor) Backend() string { return p.backend }

// Classes returns the class names in the model's output order; the slice
// is the caller's.
func (p *Predictor) Classes() []string { return slices.Clone(p.meta.Classes) }

// Predict classifies decoded images. Each image goes through exactly the
// training preprocessing: imageio.ToRGB (alpha over white, RGB, resized to
// the model's square size) and the model's in-graph normalisation.
func (p *Predictor) Predict(imgs ...image.Image) ([]Prediction, error) {
	size := p.meta.ImageSize
	pixels := make([]uint8, 0, len(imgs)*size*size*3)
	for _, img := range imgs {
		pixels = append(pixels, imageio.ToRGB(img, size)...)
	}
	return p.PredictPixels(pixels, len(imgs))
}

// PredictPixels classifies n images already preprocessed by imageio.ToRGB to
// the model's size (n × size × size × 3 bytes).
func (p *Predictor) PredictPixels(pixels []uint8, n int) ([]Prediction, error) {
	probs, err := p.classifier.Probabilities(pixels, n)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	out := make([]Prediction, n)
	for i, pr := range probs {
		out[i] = newPrediction(p.meta.Classes, pr)
	}
	return out, nil
}

// ErrOtherClasses is wrapped by EvaluateTestSplit's error for a dataset of
// other classes, in another order, or at another image size than the
// model's.
var ErrOtherClasses = errors.New("the dataset is not of the model's classes and size")

// EvaluateTestSplit classifies the test split of a prepared dataset, which
// must have the model's classes (in any order) and image size, and measures
// the model on it (accuracy, loss, confusion matrix, per-class precision and
// recall; the per-image probabilities are in the evaluation too).
// otherDataset reports that ds is not the dataset the model was trained on,
// so its test images may have been seen in training (callers say so; the
// numbers are still computed). progress, when not nil, is called with the
// number of test images classified so far and their total, every few hundred
// images and once at the end.
func (p *Predictor) EvaluateTestSplit(ds *dataset.Dataset, progress func(done, total int)) (ev *eval.Result, otherDataset bool, err error) {
	m, dataDir := p.meta, ds.Dir
	labels, ok := relabel(ds.Test.Labels, ds.Meta.Classes, m.Classes)
	if !ok || m.ImageSize != ds.Meta.ImageSize {
		return nil, false, fmt.Errorf("%w: the model knows %v at %d px, the dataset in %s has %v at %d px",
			ErrOtherClasses, m.Classes, m.ImageSize, dataDir, ds.Meta.Classes, ds.Meta.ImageSize)
	}
	if ds.Test.N == 0 {
		return nil, false, fmt.Errorf("the dataset in %s has no test split (it was prepared with a test fraction of 0): nothing to evaluate on", dataDir)
	}
	probs, err := p.probabilities(ds.Test.Images, ds.Test.N, progress)
	if err != nil {
		return nil, false, err
	}
	ev, err = eval.New(slices.Clone(m.Classes), labels, probs)
	if err != nil {
		return nil, false, err
	}
	return ev, m.DatasetHash != "" && m.DatasetHash != ds.Meta.Hash, nil
}

// progressChunk is how many images EvaluateTestSplit classifies between two
// calls of its progress function: a few seconds' work on the pure-Go backend,
// and a multiple of the model's largest batch, so chunking adds no batches.
const progressChunk = 512

// probabilities is the classifier's Probabilities for n images, run
// progressChunk images at a time, calling progress (when not nil) after
// each chunk.
func (p *Predictor) probabilities(pixels []uint8, n int, progress func(done, total int)) ([][]float32, error) {
	per := len(pixels) / max(n, 1)
	probs := make([][]float32, 0, n)
	for start := 0; start < n; start += progressChunk {
		count := min(progressChunk, n-start)
		chunk, err := p.classifier.Probabilities(pixels[start*per:(start+count)*per], count)
		if err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
		probs = append(probs, chunk...)
		if progress != nil {
			progress(start+count, n)
		}
	}
	return probs, nil
}

// relabel returns labels, indices in from, as indices in to, when to holds
// the same classes as from (in any order); ok is false when it does not.
func relabel(labels []int32, from, to []string) (_ []int32, ok bool) {
	if slices.Equal(from, to) {
		return labels, true
	}
	if len(from) != len(to) {
		return nil, false
	}
	index := make([]int32, len(from))
	for i, c := range from {
		j := slices.Index(to, c)
		if j < 0 {
			return nil, false
		}
		index[i] = int32(j)
	}
	out := make([]int32, len(labels))
	for i, l := range labels {
		if l < 0 || int(l) >= len(index) {
			return nil, false
		}
		out[i] = index[l]
	}
	return out, true
}

// FileResult is the outcome for one file of PredictFiles.
type FileResult struct {
	// Path is the file as given (or found in a directory).
	Path string `json:"path"`
	// Prediction is set when Err is nil.
	Prediction Prediction `json:"prediction"`
	// Err explains why the file could not be classified (not an image,
	// unreadable…), without repeating Path.
	Err error `json:"-"`
}

// MarshalJSON writes the path and the prediction, or, for a file that could
// not be classified, the path and the error's text: {"path": …, "error": …}.
func (r FileResult) MarshalJSON() ([]byte, error) {
	if r.Err != nil {
		return json.Marshal(struct {
			Path  string `json:"path"`
			Error string `json:"error"`
		}{r.Path, r.Err.Error()})
	}
	type plain FileResult // without this method
	return json.Marshal(plain(r))
}

// UnmarshalJSON reads what MarshalJSON writes: a result with an "error"
// gets it back as Err (its text only), and no prediction.
func (r *FileResult) UnmarshalJSON(data []byte) error {
	type plain FileResult // without this method
	var v struct {
		plain
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*r = FileResult(v.plain)
	if v.Error != nil {
		r.Err, r.Prediction = errors.New(*v.Error), Prediction{}
	}
	return nil
}

// PredictFiles classifies image files; a directory stands for the image
// files directly inside it (see ExpandPaths). A file that cannot be
// classified (missing, not a regular file, not an image…) gets its own error
// in its FileResult and does not stop the others; the returned error is for
// a directory that cannot be listed or holds no image files.
func (p *Predictor) PredictFiles(paths ...string) ([]FileResult, error) {
	var results []FileResult
	err := p.EachFile(func(r FileResult) error {
		results = append(results, r)
		return nil
	}, paths...)
	if err != nil {
		return nil, err
	}
	return results, nil
}

// EachFile classifies files as PredictFiles does, but hands each file's
// result to fn, in order, as soon as it is known: results come every few
// dozen files (a chunk of the model's batch) rather than once all are
// classified. An error from fn stops it, and is returned.
func (p *Predictor) EachFile(fn func(FileResult) error, paths ...string) error {
	if len(paths) == 0 {
		return errors.New("predict: no image files given")
	}
	var files []string
	for _, path := range paths {
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			files = append(files, path) // loadFile says what is wrong with it
			continue
		}
		inDir, err := listImages(path)
		if err != nil {
			return err
		}
		files = append(files, inDir...)
	}
	// Each image is brought to the model's size as soon as it is decoded, as
	// Predict would: a chunk holds filesChunk small images, not filesChunk
	// photos of up to imageio.MaxPixels (a gigabyte each at worst).
	size := p.meta.ImageSize
	load := func(path string) (image.Image, error) {
		img, err := loadFile(path)
		if err != nil {
			return nil, err
		}
		return imageio.RGBImage(imageio.ToRGB(img, size), size, size), nil
	}
	return classifyFiles(files, load, p.Predict, fn)
}

// loadFile reads and decodes one file for PredictFiles. Its errors leave the
// path out (FileResult.Path has it): "open: permission denied", "decode
// image header: not a supported image (…)".
func loadFile(path string) (image.Image, error) {
	data, err := imageio.ReadFile(path) // not a named pipe or a device: their reads block or never end
	if errors.Is(err, fs.ErrNotExist) {
		if target, lerr := os.Readlink(path); lerr == nil {
			return nil, fmt.Errorf("a broken link (to %s, which does not exist): %w", target, fs.ErrNotExist)
		}
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %w", pe.Op, pe.Err)
		}
		return nil, err
	}
	img, _, err := imageio.DecodeBytes(data)
	return img, err
}

// filesChunk is the number of decoded images PredictFiles holds at most.
const filesChunk = 64

// classifyFiles decodes files with load and classifies them with classify,
// filesChunk readable images at a time, so that a large folder never holds
// every decoded image at once, and hands each file's FileResult to emit, in
// order, once its chunk is classified. A file load fails on gets that error
// in its FileResult.
func classifyFiles(files []string, load func(string) (image.Image, error), classify func(...image.Image) ([]Prediction, error), emit func(FileResult) error) error {
	pending := make([]FileResult, 0, filesChunk) // in order, since the last chunk
	good := make([]int, 0, filesChunk)           // the readable ones' places in pending
	imgs := make([]image.Image, 0, filesChunk)
	flush := func() error {
		if len(imgs) > 0 {
			preds, err := classify(imgs...)
			if err != nil {
				return err
			}
			if len(preds) != len(imgs) {
				return fmt.Errorf("predict: %d predictions for %d images", len(preds), len(imgs))
			}
			for j, pr := range preds {
				pending[good[j]].Prediction = pr
			}
		}
		for _, r := range pending {
			if err := emit(r); err != nil {
				return err
			}
		}
		clear(imgs) // let the decoded images go before decoding the next chunk
		imgs, good, pending = imgs[:0], good[:0], pending[:0]
		return nil
	}
	for _, f := range files {
		r := FileResult{Path: f}
		img, err := load(f)
		if err != nil && len(imgs) == 0 {
			if err := emit(FileResult{Path: f, Err: err}); err != nil { // nothing before it waits
				return err
			}
			continue
		}
		if err != nil {
			r.Err = err
		} else {
			good = append(good, len(pending))
			imgs = append(imgs, img)
		}
		pending = append(pending, r)
		if len(imgs) == filesChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// ExpandPaths replaces each directory in paths by the image files directly
// inside it (by extension, in name order; hidden and temporary files and
// folders left out, as dataset.Prepare leaves them out); files are kept
// as given, whatever their extension. A path that does not exist or is
// neither a directory nor a regular file is an error, as is a directory
// without image files. (PredictFiles expands directories the same way, but
// gives such a file its own error instead.)
func ExpandPaths(paths ...string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("predict: no image files given")
	}
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("predict: %s: no such file or directory", p)
		case err != nil:
			return nil, fmt.Errorf("predict: %w", err)
		case st.IsDir():
			files, err := listImages(p)
			if err != nil {
				return nil, err
			}
			out = append(out, files...)
		case !st.Mode().IsRegular():
			return nil, fmt.Errorf("predict: %s: %w", p, imageio.ErrNotRegular)
		default:
			out = append(out, p)
		}
	}
	return out, nil
}

// listImages returns the image files directly inside dir, by extension
// (imageio.HasImageExt), in name order; hidden, temporary and backup files
// (e.g. the "._photo.jpg" that macOS leaves beside copied photos) are left
// out, as dataset.Prepare leaves them out (dataset.IsSidecar). Entries are not opened here: one that
// cannot be read (a dangling link, a named pipe) fails when it is read,
// for itself only. A folder without image files is an error.
func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	var files []string
	for _, e := range entries {
		if dataset.IsSidecar(e.Name()) || !imageio.HasImageExt(e.Name()) || dirent.IsDir(dir, e) {
			continue
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("predict: directory %s has no image files%s", dir, subfolderHint(dir, entries))
	}
	return files, nil
}

// subfolderHint says, for a folder dir without image files, how many
// sub-folders it has (predict does not look into them), e.g. " (only 3
// sub-folder(s), which are not searched: give them instead, e.g.
// data/images/boar)".
func subfolderHint(dir string, entries []os.DirEntry) string {
	var dirs []string
	for _, e := range entries {
		if dirent.IsDir(dir, e) && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		return ""
	}
	return fmt.Sprintf(" (only %d sub-folder(s), which are not searched: give them instead, e.g. %s)", len(dirs), filepath.Join(dir, dirs[0]))
}
