package serve

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzUpload from fuzzSeeds")

// fuzzSeeds are the committed seed corpus of FuzzUpload: one small image
// per format, and the bad inputs the handler tests cover.
func fuzzSeeds(t testing.TB) map[string][]byte {
	jpg := imagetest.Encode(t, "jpeg", solid(16, 16, green))
	progressive, err := os.ReadFile("testdata/progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"png":              imagetest.Encode(t, "png", solid(8, 8, red)),
		"jpeg":             jpg,
		"gif":              imagetest.Encode(t, "gif", solid(8, 8, blue)),
		"bmp":              imagetest.Encode(t, "bmp", solid(4, 4, green)),
		"tiff":             imagetest.Encode(t, "tiff", solid(4, 4, red)),
		"webp-lossless":    webpLossless,
		"webp-lossy":       webpLossy,
		"jpeg-truncated":   jpg[:len(jpg)/2],
		"png-bomb":         pngHeader(30000, 30000),
		"png-zero":         pngHeader(0, 0),
		"png-garbage":      append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xAB}, 40)...),
		"text":             []byte("Just some notes, not a photo at all.\n"),
		"empty":            {},
		"bmp-magic":        []byte("BM not really a bitmap"),
		"tiff-magic":       []byte("II*\x00\x08\x00\x00\x00\xff\xff"),
		"webp-magic":       []byte("RIFF\x10\x00\x00\x00WEBPVP8X"),
		"gif-magic":        []byte("GIF89a\xff\xff\xff\xff"),
		"tiff-huge-strip":  tiffHugeStrip(),
		"jpeg-many-scans":  manyScans(jpg, imageio.MaxJPEGScans+1),
		"jpeg-progressive": progressive,
	}
}

// FuzzUpload sends arbitrary bytes through the upload → sniff → header check
// → decode → predict path, both as a raw body and as a multipart file, and
// checks that the server never fails (5xx) or panics, that both ways agree,
// and that every answer is well-formed JSON: an error with a known code, or
// probabilities over the classes that sum to 1.
func FuzzUpload(f *testing.F) {
	for _, data := range fuzzSeeds(f) {
		f.Add(data)
	}
	cfg := testConfig()
	cfg.MaxUploadBytes = 1 << 20
	cfg.MaxPixels = 1 << 20 // keep each decode cheap
	h := newTestHandler(f, cfg, fake.New())
	known := map[string]int{
		CodeBadRequest: 400, CodeMissingFile: 400, CodeEmptyFile: 400, CodeBodyTooLarge: 413,
		CodeUnsupportedMediaType: 415, CodeInvalidImage: 422, CodeTooManyPixels: 422,
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		raw := do(h, "POST", "/api/predict", "application/octet-stream", data)
		form, ct := fileForm(t, "upload.jpg", data)
		multi := do(h, "POST", "/api/predict", ct, form)
		if raw.Code != multi.Code {
			t.Fatalf("raw body: %d %s; multipart: %d %s", raw.Code, raw.Body, multi.Code, multi.Body)
		}
		if raw.Code != http.StatusOK {
			e := decodeJSON[ErrorResponse](t, raw.Body.Bytes())
			if want, ok := known[e.Error]; !ok || want != raw.Code {
				t.Fatalf("status %d with error %+v", raw.Code, e)
			}
			return
		}
		p := decodeJSON[PredictResponse](t, raw.Body.Bytes())
		if len(p.Probabilities) != len(fake.Classes) {
			t.Fatalf("%d probabilities", len(p.Probabilities))
		}
		var sum float64
		for _, c := range p.Probabilities {
			sum += float64(c.Probability)
		}
		if math.Abs(sum-1) > 1e-4 || p.Image.Width <= 0 || p.Image.Height <= 0 ||
			int64(p.Image.Width)*int64(p.Image.Height) > cfg.MaxPixels {
			t.Fatalf("answer %+v", p)
		}
	})
}

// TestFuzzSeedCorpus checks that testdata/fuzz/FuzzUpload holds every seed
// of fuzzSeeds; run with -update-fuzz-seeds to (re)write it.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzUpload")
	for name, data := range fuzzSeeds(t) {
		path := filepath.Join(dir, name)
		want := []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data))))
		if *updateFuzzSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// Only presence is checked: encoders may change between Go releases.
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed %s: %v (run go test -run TestFuzzSeedCorpus -update-fuzz-seeds)", name, err)
		}
	}
}
