package predict

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"
)

// TestClassifyFilesChunks runs PredictFiles' loop on more than two chunks of
// files, some unreadable, with a fake decoder and classifier: every file
// keeps its place and its own error, every readable one gets its own
// prediction, no more than one chunk of decoded images is held at once, and
// each chunk's results are handed out before the next chunk is classified.
func TestClassifyFilesChunks(t *testing.T) {
	const n = 2*filesChunk + 23
	var files []string
	bad := func(i int) bool { return i%7 == 3 || (i >= filesChunk-2 && i <= filesChunk+1) }
	for i := range n {
		files = append(files, fmt.Sprintf("img%03d.png", i))
	}
	alive, maxAlive, calls := 0, 0, 0
	var results []FileResult
	collect := func(r FileResult) error {
		results = append(results, r)
		return nil
	}
	load := func(path string) (image.Image, error) {
		var i int
		fmt.Sscanf(path, "img%03d.png", &i)
		if bad(i) {
			return nil, fmt.Errorf("%s: not an image", path)
		}
		alive++ // decoded, not classified yet
		maxAlive = max(maxAlive, alive)
		return image.NewGray(image.Rect(0, 0, i+1, 1)), nil // width encodes the file's index
	}
	classify := func(imgs ...image.Image) ([]Prediction, error) {
		if calls > 0 && len(results) < calls*filesChunk {
			t.Errorf("classify call %d: %d results handed out, want those of the %d chunks before", calls+1, len(results), calls)
		}
		calls++
		if len(imgs) == 0 || len(imgs) > filesChunk {
			t.Errorf("classify called with %d images", len(imgs))
		}
		out := make([]Prediction, len(imgs))
		for j, img := range imgs {
			out[j] = Prediction{Class: fmt.Sprint(img.Bounds().Dx() - 1)}
		}
		alive -= len(imgs)
		return out, nil
	}
	if err := classifyFiles(files, load, classify, collect); err != nil {
		t.Fatal(err)
	}
	if len(results) != n {
		t.Fatalf("%d results for %d files", len(results), n)
	}
	good := 0
	for i, r := range results {
		if r.Path != files[i] {
			t.Fatalf("result %d is for %s, want %s", i, r.Path, files[i])
		}
		if bad(i) {
			if r.Err == nil || !strings.Contains(r.Err.Error(), files[i]) || r.Prediction.Class != "" {
				t.Errorf("bad file %s: err %v, prediction %+v", files[i], r.Err, r.Prediction)
			}
			continue
		}
		good++
		if r.Err != nil || r.Prediction.Class != fmt.Sprint(i) {
			t.Errorf("file %s: err %v, prediction of image %q", files[i], r.Err, r.Prediction.Class)
		}
	}
	if want := (good + filesChunk - 1) / filesChunk; calls != want {
		t.Errorf("%d classify calls for %d readable images, want %d", calls, good, want)
	}
	if maxAlive > filesChunk {
		t.Errorf("%d decoded images held at once, want at most %d", maxAlive, filesChunk)
	}

	// A classifier failure is PredictFiles' error.
	boom := errors.New("boom")
	if err := classifyFiles(files, load, func(...image.Image) ([]Prediction, error) { return nil, boom }, collect); !errors.Is(err, boom) {
		t.Errorf("classifier error: %v", err)
	}
	// So is the receiver's.
	if err := classifyFiles(files, load, classify, func(FileResult) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("error handing out a result: %v", err)
	}
	// Only unreadable files: no classification, every file has its error.
	calls, results = 0, nil
	err := classifyFiles([]string{"img003.png", "img010.png"}, load, classify, collect)
	if err != nil || len(results) != 2 || results[0].Err == nil || results[1].Err == nil || calls != 0 {
		t.Errorf("unreadable files only: %+v, %v, %d calls", results, err, calls)
	}
}

// TestLoadErrorNamesTheModel checks that a directory without a checkpoint
// fails with a message that says a model could not be loaded, not
// "predict:" (Load also serves evaluate and serve).
func TestLoadErrorNamesTheModel(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, nil)
	if err == nil {
		t.Fatal("Load accepted an empty directory")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "load model: "+dir+" is not a checkpoint directory") || strings.HasPrefix(msg, "predict") {
		t.Errorf("error %q", msg)
	}
}
