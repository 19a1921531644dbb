package predict

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

func TestTopK(t *testing.T) {
	p := newPrediction([]string{"a", "b", "c"}, []float32{0.2, 0.5, 0.3})
	if p.Class != "b" || p.Probability != 0.5 {
		t.Fatalf("top class %q %v", p.Class, p.Probability)
	}
	top := p.TopK(2)
	if len(top) != 2 || top[0].Class != "b" || top[1].Class != "c" {
		t.Fatalf("TopK(2) = %v", top)
	}
	if all := p.TopK(0); len(all) != 3 || all[2].Class != "a" {
		t.Fatalf("TopK(0) = %v", all)
	}
	if one := p.TopK(1); len(one) != 1 || one[0].Class != "b" {
		t.Fatalf("TopK(1) = %v", one)
	}
	// A tie goes to the first class, as in TopK.
	if tie := newPrediction([]string{"a", "b"}, []float32{0.5, 0.5}); tie.Class != "a" || tie.TopK(1)[0].Class != "a" {
		t.Errorf("tie: class %q, TopK(1) %v; want a", tie.Class, tie.TopK(1))
	}
	// Read back from JSON, it still names its classes; one built without
	// them names them by index.
	var back Prediction
	if data, err := json.Marshal(p); err != nil || json.Unmarshal(data, &back) != nil || !reflect.DeepEqual(back.TopK(2), top) {
		t.Errorf("TopK(2) of a prediction read back from JSON: %v, want %v", back.TopK(2), top)
	}
	bare := Prediction{Probabilities: []float32{0.2, 0.5, 0.3}}
	if got := bare.TopK(1); len(got) != 1 || got[0] != (Scored{Class: "#1", Probability: 0.5}) {
		t.Errorf("TopK(1) of a prediction without classes: %v, want #1 at 0.5", got)
	}
}

// A file's result in JSON holds its prediction, or its error.
func TestFileResultJSON(t *testing.T) {
	ok := FileResult{Path: "a.jpg", Prediction: newPrediction([]string{"cat", "dog"}, []float32{0.25, 0.75})}
	failed := FileResult{Path: "b.jpg", Err: fmt.Errorf("decode: %w", imageio.ErrNotImage)}
	for _, c := range []struct {
		r    FileResult
		want string
	}{
		{ok, `{"path":"a.jpg","prediction":{"class":"dog","probability":0.75,"probabilities":[0.25,0.75],"classes":["cat","dog"]}}`},
		{failed, `{"path":"b.jpg","error":"decode: ` + imageio.ErrNotImage.Error() + `"}`},
	} {
		if got, err := json.Marshal(c.r); err != nil || string(got) != c.want {
			t.Errorf("JSON of %+v: %s, %v; want %s", c.r, got, err, c.want)
		}
		// And read back: the prediction, or the error's text.
		var back FileResult
		if err := json.Unmarshal([]byte(c.want), &back); err != nil || back.Path != c.r.Path ||
			(c.r.Err == nil) != (back.Err == nil) || (back.Err != nil && back.Err.Error() != c.r.Err.Error()) ||
			!reflect.DeepEqual(back.Prediction, c.r.Prediction) {
			t.Errorf("%s read back: %+v, %v; want %+v", c.want, back, err, c.r)
		}
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.png", "a.JPG", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ExpandPaths(dir, filepath.Join(dir, "notes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.JPG"), filepath.Join(dir, "b.png"), filepath.Join(dir, "notes.txt")}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// A folder named like an image is not one, nor a link to a folder
	// (PredictFiles would expand it again, and the results would shift).
	if err := os.Mkdir(filepath.Join(dir, "sub.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, "linked.png")); err != nil {
		t.Fatal(err)
	}
	if again, err := ExpandPaths(dir); err != nil || len(again) != 2 {
		t.Errorf("ExpandPaths = %v, %v; want a.JPG and b.png only, no folder", again, err)
	}
	if _, err := ExpandPaths(filepath.Join(dir, "missing.png")); err == nil {
		t.Error("missing file accepted")
	}
	if _, err := ExpandPaths(t.TempDir()); err == nil {
		t.Error("empty directory accepted")
	}
	// Hidden files are left out (macOS "._" sidecars beside copied photos);
	// a folder of class folders says that sub-folders are not searched.
	if err := os.WriteFile(filepath.Join(dir, "._a.JPG"), []byte("sidecar"), 0o644); err != nil {
		t.Fatal(err)
	}
	if again, err := ExpandPaths(dir); err != nil || slices.Contains(again, filepath.Join(dir, "._a.JPG")) {
		t.Errorf("ExpandPaths = %v, %v; want no hidden ._a.JPG", again, err)
	}
	parent := t.TempDir()
	for _, sub := range []string{"crow", "monkey"} {
		if err := os.Mkdir(filepath.Join(parent, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ExpandPaths(parent); err == nil || !strings.Contains(err.Error(), "has no image files (only 2 sub-folder(s), which are not searched: give them instead, e.g. "+filepath.Join(parent, "crow")+")") {
		t.Errorf("a folder of class folders: %v", err)
	}
	if _, err := ExpandPaths(); err == nil {
		t.Error("no paths accepted")
	}
}

// writePhotos writes n textured, non-square pictures per class into
// dir/<class>/, in turn a PNG with transparency, a JPEG, a BMP and a
// grayscale PNG, each different (so that Prepare keeps them all).
func writePhotos(t *testing.T, dir string, classes []string, n int) {
	t.Helper()
	for label, class := range classes {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			seed := uint64(label*1000 + i)
			rng := rand.New(rand.NewPCG(seed, 3))
			w, h := 31+rng.IntN(20), 17+rng.IntN(30) // wider or taller, never square
			if w == h {
				w++
			}
			img := image.NewNRGBA(image.Rect(0, 0, w, h))
			base := 40 + 140*label
			for y := range h {
				for x := range w {
					img.SetNRGBA(x, y, color.NRGBA{
						R: uint8(base + (x*9+y*4)%60 + rng.IntN(30)),
						G: uint8(base + (x*x+y*7)%50 + rng.IntN(30)),
						B: uint8(base/2 + (x^y)%90 + rng.IntN(20)),
						A: uint8(255 - (x*200)/w), // transparent to the right
					})
				}
			}
			var buf bytes.Buffer
			var err error
			name := fmt.Sprintf("%s%02d", class, i)
			switch i % 4 {
			case 0:
				name += ".png"
				err = png.Encode(&buf, img)
			case 1:
				name += ".jpg"
				err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
			case 2:
				name += ".bmp"
				opaque := image.NewRGBA(img.Bounds())
				draw.Draw(opaque, opaque.Bounds(), img, image.Point{}, draw.Src)
				err = bmp.Encode(&buf, opaque)
			case 3:
				name += ".png"
				gray := image.NewGray(img.Bounds())
				draw.Draw(gray, gray.Bounds(), img, image.Point{}, draw.Src)
				err = png.Encode(&buf, gray)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, class, name), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestPredictUsesTrainingPreprocessing prepares a dataset (dataset.Prepare)
// from textured, non-square photos in several formats (transparency, JPEG,
// BMP, grayscale), trains a tiny model on it, and checks that PredictFiles
// on the photo files, and Predict on the decoded photos, give exactly the
// probabilities of the prepared rows the model was trained and tested on:
// prediction preprocesses as training did.
func TestPredictUsesTrainingPreprocessing(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	const size = 18
	images, out := t.TempDir(), t.TempDir()
	classes := []string{"dark", "light"}
	writePhotos(t, images, classes, 16)
	pcfg := dataset.DefaultConfig()
	pcfg.ImagesDir, pcfg.DataDir, pcfg.Classes, pcfg.ImageSize = images, out, classes, size
	if _, err := dataset.Prepare(context.Background(), pcfg); err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N+ds.Test.N != 32 {
		t.Fatalf("prepared %d + %d photos, want 32", ds.Train.N, ds.Test.N)
	}
	b, err := backend.New(backend.Go)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.CheckpointDir, cfg.Epochs, cfg.LearningRate, cfg.BatchSize, cfg.ValidationFraction = t.TempDir(), 2, 1e-3, 8, 0
	cfg.Model.DenseUnits, cfg.Model.Filters1, cfg.Model.Filters2 = 8, 4, 4
	if _, err := train.Train(context.Background(), cfg, ds, train.Options{Backend: b}); err != nil {
		t.Fatal(err)
	}

	p, err := Load(cfg.CheckpointDir, b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Backend() != "go" || len(p.Classes()) != 2 || p.Meta().ImageSize != size {
		t.Fatalf("backend %q classes %v size %d", p.Backend(), p.Classes(), p.Meta().ImageSize)
	}
	for _, split := range []*dataset.Split{&ds.Train, &ds.Test} {
		want, err := p.PredictPixels(split.Images, split.N)
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		var decoded []image.Image
		for _, f := range split.Files {
			path := filepath.Join(images, f)
			files = append(files, path)
			img, err := loadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			decoded = append(decoded, img)
		}
		results, err := p.PredictFiles(files...)
		if err != nil {
			t.Fatal(err)
		}
		preds, err := p.Predict(decoded...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if results[i].Err != nil || !slices.Equal(results[i].Prediction.Probabilities, want[i].Probabilities) {
				t.Errorf("%s: PredictFiles gives %v (err %v), its prepared pixels %v", split.Files[i], results[i].Prediction.Probabilities, results[i].Err, want[i].Probabilities)
			}
			if !slices.Equal(preds[i].Probabilities, want[i].Probabilities) {
				t.Errorf("%s: Predict gives %v, its prepared pixels %v", split.Files[i], preds[i].Probabilities, want[i].Probabilities)
			}
		}
	}

	// A file that is not an image gets its own error, without its path.
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(images, ds.Test.Files[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a"+filepath.Ext(ds.Test.Files[0])), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.jpg"), []byte("<html>not a photo</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A dangling link in the folder, and a missing file given beside it,
	// fail for themselves only; a hidden "._" sidecar is not an image.
	if err := os.Symlink(filepath.Join(dir, "gone.png"), filepath.Join(dir, "c.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "._a.jpg"), []byte("Mac OS X resource fork"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.jpg")
	results, err := p.PredictFiles(dir, missing)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 || results[0].Err != nil || results[1].Err == nil || results[2].Err == nil || results[3].Err == nil ||
		results[2].Path != filepath.Join(dir, "c.png") || results[3].Path != missing {
		t.Fatalf("results %+v, want a.*, b.jpg, c.png and missing.jpg, only the first classified", results)
	}
	if msg := results[1].Err.Error(); !errors.Is(results[1].Err, imageio.ErrNotImage) || strings.Contains(msg, "b.jpg") {
		t.Errorf("error of a non-image: %q, want ErrNotImage without the path", msg)
	}
	for _, r := range results[2:] {
		if !errors.Is(r.Err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want a missing-file error", r.Path, r.Err)
		}
	}
	if want := "a broken link (to " + filepath.Join(dir, "gone.png") + ", which does not exist)"; results[2].Err == nil || !strings.HasPrefix(results[2].Err.Error(), want) {
		t.Errorf("the dangling link: %v, want %q", results[2].Err, want)
	}

	// The test split, as evaluate reads it: the prepared rows' probabilities;
	// another dataset is flagged, one with other classes refused.
	ev, other, err := p.EvaluateTestSplit(ds, nil)
	if err != nil || other || ev.N != ds.Test.N {
		t.Fatalf("EvaluateTestSplit: %v, other dataset %v, err %v; want %d images, false, nil", ev, other, err, ds.Test.N)
	}
	want, err := p.PredictPixels(ds.Test.Images, ds.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i := range want {
		if !slices.Equal(ev.Probabilities[i], want[i].Probabilities) {
			t.Errorf("EvaluateTestSplit image %d: %v, PredictPixels %v", i, ev.Probabilities[i], want[i].Probabilities)
		}
		if want[i].Class == ds.Meta.Classes[ds.Test.Labels[i]] {
			correct++
		}
	}
	if wantAcc := float64(correct) / float64(len(want)); ev.Accuracy != wantAcc || !slices.Equal(ev.Labels, ds.Test.Labels) {
		t.Errorf("EvaluateTestSplit accuracy %v, want %v from PredictPixels; labels %v, want the test split's %v", ev.Accuracy, wantAcc, ev.Labels, ds.Test.Labels)
	}
	// A test split of several chunks: progress comes after each, and the
	// chunks' probabilities are those of the images, in order.
	big := *ds
	copies := 2*progressChunk/ds.Test.N + 1
	big.Test.N = copies * ds.Test.N
	big.Test.Images = bytes.Repeat(ds.Test.Images, copies)
	big.Test.Labels = slices.Repeat(ds.Test.Labels, copies)
	var calls [][2]int
	evBig, _, err := p.EvaluateTestSplit(&big, func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if wantCalls := [][2]int{{progressChunk, big.Test.N}, {2 * progressChunk, big.Test.N}, {big.Test.N, big.Test.N}}; !slices.Equal(calls, wantCalls) {
		t.Errorf("progress of %d images: %v, want %v", big.Test.N, calls, wantCalls)
	}
	// (Within float32 rounding: the batches are of other sizes.)
	for i, pr := range evBig.Probabilities {
		want := ev.Probabilities[i%ds.Test.N]
		if !slices.EqualFunc(pr, want, func(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-5 }) {
			t.Fatalf("image %d of the repeated test split: %v, want %v", i, pr, want)
		}
	}
	reprepared := *ds
	reprepared.Meta.Hash = "another"
	if _, other, err := p.EvaluateTestSplit(&reprepared, nil); err != nil || !other {
		t.Errorf("another dataset: other %v, err %v; want true, nil", other, err)
	}
	// The same classes in another order: the labels are read in the
	// dataset's order, and reported in the model's.
	swapped := *ds
	swapped.Meta.Classes = []string{ds.Meta.Classes[1], ds.Meta.Classes[0]}
	if ev, _, err := p.EvaluateTestSplit(&swapped, nil); err != nil {
		t.Errorf("classes in another order: %v", err)
	} else {
		for i, l := range ev.Labels {
			if l != 1-ds.Test.Labels[i] {
				t.Fatalf("classes in another order: label %d is %d, want %d", i, l, 1-ds.Test.Labels[i])
			}
		}
	}
	other2 := *ds
	other2.Meta.Classes = []string{ds.Meta.Classes[0], "grey"}
	if _, _, err := p.EvaluateTestSplit(&other2, nil); !errors.Is(err, ErrOtherClasses) || !strings.Contains(err.Error(), "grey") {
		t.Errorf("other classes: err %v, want ErrOtherClasses naming the dataset's classes", err)
	}
	untested := *ds
	untested.Test = dataset.Split{Size: ds.Test.Size}
	if _, _, err := p.EvaluateTestSplit(&untested, nil); err == nil || !strings.Contains(err.Error(), "no test split") {
		t.Errorf("a dataset without a test split: err %v, want one saying it has none", err)
	}
	resized := *ds
	resized.Meta.ImageSize = size + 4
	if _, _, err := p.EvaluateTestSplit(&resized, nil); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("at %d px", size+4)) {
		t.Errorf("a dataset of another size: err %v, want one naming both sizes", err)
	}
	// A model whose metadata has no dataset hash (older) is not said to be
	// of another dataset.
	p.meta.DatasetHash = ""
	if _, other, err := p.EvaluateTestSplit(&reprepared, nil); err != nil || other {
		t.Errorf("model without a dataset hash: other %v, err %v; want false, nil", other, err)
	}
}
