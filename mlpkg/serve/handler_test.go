package serve

import (
	"bytes"
	"html"
	"image"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

func TestPredictMultipart(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	for _, tc := range []struct {
		img  image.Image
		want string
	}{{solid(40, 30, red), "monkey"}, {solid(40, 30, green), "boar"}, {solid(40, 30, blue), "crow"}} {
		body, ct := fileForm(t, "photo.png", imagetest.Encode(t, "png", tc.img))
		rec := do(h, "POST", "/api/predict", ct, body)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		got := decodeJSON[PredictResponse](t, rec.Body.Bytes())
		wantProbs := fake.Probabilities(tc.img)
		if got.Class != tc.want || got.DisplayName != tc.want || got.Lang != "en" || got.ModelID != "fake-mean-colour" {
			t.Errorf("got %+v, want class %s in English from the fake model", got, tc.want)
		}
		if len(got.Probabilities) != 3 {
			t.Fatalf("probabilities = %+v, want 3", got.Probabilities)
		}
		sum := float32(0)
		for i, p := range got.Probabilities {
			if p.Class != fake.Classes[i] || math.Abs(float64(p.Probability-wantProbs[i])) > 1e-6 {
				t.Errorf("probabilities[%d] = %+v, want %s %v", i, p, fake.Classes[i], wantProbs[i])
			}
			sum += p.Probability
		}
		if math.Abs(float64(sum-1)) > 1e-5 {
			t.Errorf("probabilities sum to %v", sum)
		}
		if got.Image != (ImageInfo{Format: "png", Width: 40, Height: 30}) {
			t.Errorf("image = %+v", got.Image)
		}
		if got.ElapsedMS < got.PredictMS || got.PredictMS < 0 {
			t.Errorf("elapsed %v ms, predict %v ms", got.ElapsedMS, got.PredictMS)
		}
	}
}

func TestPredictRawBodyIgnoresClientContentType(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	for _, ct := range []string{"", "application/octet-stream", "text/plain", "image/gif"} {
		rec := do(h, "POST", "/api/predict", ct, imagetest.Encode(t, "png", solid(8, 8, blue)))
		if rec.Code != http.StatusOK {
			t.Fatalf("Content-Type %q: status %d: %s", ct, rec.Code, rec.Body)
		}
		if got := decodeJSON[PredictResponse](t, rec.Body.Bytes()); got.Class != "crow" || got.Image.Format != "png" {
			t.Errorf("Content-Type %q: got %+v", ct, got)
		}
	}
}

func TestPredictEveryFormat(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	img := solid(16, 16, red)
	cases := map[string][]byte{
		"png": imagetest.Encode(t, "png", img), "jpeg": imagetest.Encode(t, "jpeg", img), "gif": imagetest.Encode(t, "gif", img),
		"bmp": imagetest.Encode(t, "bmp", img), "webp": webpLossy,
	}
	for format, data := range cases {
		// A misleading file name: the bytes decide.
		body, ct := fileForm(t, "picture.txt", data)
		rec := do(h, "POST", "/api/predict", ct, body)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d: %s", format, rec.Code, rec.Body)
			continue
		}
		if got := decodeJSON[PredictResponse](t, rec.Body.Bytes()); got.Image.Format != format {
			t.Errorf("%s: sniffed %q", format, got.Image.Format)
		}
	}
}

func TestPredictBadInput(t *testing.T) {
	jpg := imagetest.Encode(t, "jpeg", solid(64, 64, green))
	emptyForm, emptyCT := multipartBody(t)
	otherField, otherCT := multipartBody(t, part{field: "photo", filename: "a.png", data: imagetest.Encode(t, "png", solid(4, 4, red))})
	noFileChosen, noFileCT := multipartBody(t, part{field: "file", filename: "", contentType: "application/octet-stream"})
	zero, zeroCT := fileForm(t, "zero.jpg", nil)
	text, textCT := fileForm(t, "notes.jpg", []byte("Just some notes, not a photo at all.\n"))
	html, htmlCT := fileForm(t, "page.png", []byte("<!doctype html><html><body>hi</body></html>"))
	truncated, truncCT := fileForm(t, "cut.jpg", jpg[:len(jpg)/2])
	bomb, bombCT := fileForm(t, "bomb.png", pngHeader(30000, 30000))
	garbled, garbledCT := fileForm(t, "x.png", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xAB}, 100)...))

	for _, tc := range []struct {
		name, ct string
		body     []byte
		status   int
		code     string
	}{
		{"empty form", emptyCT, emptyForm, 400, CodeMissingFile},
		{"missing file part", otherCT, otherField, 400, CodeMissingFile},
		{"no file chosen", noFileCT, noFileChosen, 400, CodeMissingFile},
		{"zero-byte file", zeroCT, zero, 400, CodeEmptyFile},
		{"empty raw body", "image/png", nil, 400, CodeEmptyFile},
		{"text named .jpg", textCT, text, 415, CodeUnsupportedMediaType},
		{"html named .png", htmlCT, html, 415, CodeUnsupportedMediaType},
		{"raw text body claiming image/jpeg", "image/jpeg", []byte("hello"), 415, CodeUnsupportedMediaType},
		{"TIFF (not accepted)", "image/tiff", imagetest.Encode(t, "tiff", solid(4, 4, red)), 415, CodeUnsupportedMediaType},
		{"TIFF whose strip claims 4 GiB", "", tiffHugeStrip(), 415, CodeUnsupportedMediaType},
		{"truncated JPEG", truncCT, truncated, 422, CodeInvalidImage},
		{"JPEG with too many scans", "", manyScans(imagetest.Encode(t, "jpeg", solid(8, 8, red)), imageio.MaxJPEGScans+1), 422, CodeInvalidImage},
		{"PNG magic then garbage", garbledCT, garbled, 422, CodeInvalidImage},
		// Only the header check answers too_many_pixels: a decode would
		// first allocate the 3.6 GB image, then fail on the missing pixels.
		{"30000x30000 PNG header", bombCT, bomb, 422, CodeTooManyPixels},
		{"0x0 PNG header", "", pngHeader(0, 0), 422, CodeInvalidImage},
		{"multipart without boundary", "multipart/form-data", []byte("x"), 400, CodeBadRequest},
		{"malformed multipart", "multipart/form-data; boundary=zzz", []byte("--zzz\r\nbroken"), 400, CodeBadRequest},
		{"multipart type without its ';'", "multipart/form-data boundary=zzz", emptyForm, 400, CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := fake.New()
			h := newTestHandler(t, testConfig(), cl)
			rec := do(h, "POST", "/api/predict", tc.ct, tc.body)
			wantError(t, rec, tc.status, tc.code)
			if cl.Calls() != 0 {
				t.Errorf("the classifier ran %d times on bad input", cl.Calls())
			}
		})
	}
}

// An image whose header declares no pixels (a 0×0 GIF reads as one) is
// refused as such, not as a damaged file.
func TestNoPixelsRefused(t *testing.T) {
	gif0 := []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00;") // 0×0 logical screen, no colour table
	rec := do(newTestHandler(t, testConfig(), nil), "POST", "/api/predict", "", gif0)
	wantError(t, rec, 422, CodeInvalidImage)
	if e := decodeJSON[ErrorResponse](t, rec.Body.Bytes()); !strings.Contains(e.Message, "has no pixels (0×0)") {
		t.Errorf("message %q, want one saying the image has no pixels", e.Message)
	}
}

func TestOversizedBody(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUploadBytes = 4 << 10
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.UintN(256)) // noise: does not compress below the limit
	}
	big := imagetest.Encode(t, "png", img)
	if len(big) <= 4<<10 {
		t.Fatalf("fixture too small: %d bytes", len(big))
	}
	small := imagetest.Encode(t, "png", solid(8, 8, red))
	h := newTestHandler(t, cfg, nil)

	form, ct := fileForm(t, "big.png", big)
	wantError(t, do(h, "POST", "/api/predict", ct, form), 413, CodeBodyTooLarge)
	wantError(t, do(h, "POST", "/api/predict", "image/png", big), 413, CodeBodyTooLarge)

	// Without a Content-Length, the limit is found while reading.
	for _, tc := range []struct {
		ct   string
		body []byte
	}{{"image/png", big}, {ct, form}} {
		req, _ := http.NewRequest("POST", "/api/predict", struct{ *bytes.Reader }{bytes.NewReader(tc.body)})
		req.Header.Set("Content-Type", tc.ct)
		req.ContentLength = -1
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		wantError(t, rec, 413, CodeBodyTooLarge)
	}

	// Extra form fields within the multipart allowance do not count against the file.
	form, ct = multipartBody(t, part{field: "note", data: bytes.Repeat([]byte("n"), 2<<10)},
		part{field: "file", filename: "small.png", data: small})
	if rec := do(h, "POST", "/api/predict", ct, form); rec.Code != 200 {
		t.Errorf("small file with a field: status %d: %s", rec.Code, rec.Body)
	}
	// But a flood of fields does.
	form, ct = multipartBody(t, part{field: "note", data: bytes.Repeat([]byte("n"), 100<<10)},
		part{field: "file", filename: "small.png", data: small})
	wantError(t, do(h, "POST", "/api/predict", ct, form), 413, CodeBodyTooLarge)
}

// A file of exactly MaxUploadBytes is accepted, raw or in a form (whose
// boundaries and headers do not count against it); one byte less of limit
// refuses it.
func TestUploadAtTheLimit(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.UintN(256))
	}
	data := imagetest.Encode(t, "png", img)
	form, ct := fileForm(t, "exact.png", data)
	cfg := testConfig()
	cfg.MaxUploadBytes = int64(len(data))
	h := newTestHandler(t, cfg, nil)
	if rec := do(h, "POST", "/api/predict", ct, form); rec.Code != 200 {
		t.Errorf("a %d-byte file in a form, limit %d: status %d: %s", len(data), cfg.MaxUploadBytes, rec.Code, rec.Body)
	}
	if rec := do(h, "POST", "/api/predict", "image/png", data); rec.Code != 200 {
		t.Errorf("a %d-byte raw body, limit %d: status %d: %s", len(data), cfg.MaxUploadBytes, rec.Code, rec.Body)
	}
	cfg.MaxUploadBytes--
	h = newTestHandler(t, cfg, nil)
	wantError(t, do(h, "POST", "/api/predict", ct, form), 413, CodeBodyTooLarge)
	wantError(t, do(h, "POST", "/api/predict", "image/png", data), 413, CodeBodyTooLarge)
}

func TestClassifierFailures(t *testing.T) {
	failing := fake.New()
	failing.Fail = true
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	wantError(t, do(newTestHandler(t, testConfig(), failing), "POST", "/api/predict", "", png), 500, CodePredictionFailed)
	wantError(t, do(newTestHandler(t, testConfig(), nanClassifier{fake.New()}), "POST", "/api/predict", "", png), 500, CodePredictionFailed)
}

// nanClassifier answers NaN probabilities, which JSON cannot carry.
type nanClassifier struct{ *fake.Classifier }

func (n nanClassifier) Predict(imgs ...image.Image) ([]predict.Prediction, error) {
	nan := float32(math.NaN())
	return []predict.Prediction{{Class: "monkey", Probability: nan, Probabilities: []float32{nan, nan, nan}, Classes: fake.Classes}}, nil
}

func TestRoutes(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	wantError(t, do(h, "GET", "/api/predict", "", nil), 405, CodeMethodNotAllowed)
	wantError(t, do(h, "PUT", "/api/model", "", nil), 405, CodeMethodNotAllowed)
	wantError(t, do(h, "DELETE", "/healthz", "", nil), 405, CodeMethodNotAllowed)
	wantError(t, do(h, "GET", "/api/nothing", "", nil), 404, CodeNotFound)
	if rec := do(h, "GET", "/uploads/photo.png", "", nil); rec.Code != 404 {
		t.Errorf("GET /uploads/photo.png: status %d", rec.Code)
	}
	if rec := do(h, "GET", "/nothing", "", nil); rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("GET /nothing: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}

	rec := do(h, "GET", "/healthz", "", nil)
	if got := decodeJSON[HealthResponse](t, rec.Body.Bytes()); rec.Code != 200 || got.Status != "ok" || got.ModelID != "fake-mean-colour" {
		t.Errorf("healthz: %d %+v", rec.Code, got)
	}

	rec = do(h, "GET", "/api/model?lang=ja", "", nil)
	m := decodeJSON[ModelResponse](t, rec.Body.Bytes())
	if rec.Code != 200 || m.ModelID != "fake-mean-colour" || m.ImageSize != 50 || m.Backend != "fake" ||
		m.Metrics["test_accuracy"] != 0.5 || m.Lang != "ja" || len(m.Classes) != 3 ||
		m.Classes[0] != (ClassInfo{Class: "monkey", DisplayName: "サル"}) ||
		strings.Join(m.Languages, ",") != "en,ja" || m.MaxUploadBytes != 10<<20 || m.MaxPixels != DefaultConfig().MaxPixels {
		t.Errorf("model: %d %+v", rec.Code, m)
	}
}

func TestLanguageChoice(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	for _, tc := range []struct {
		query, accept, want, name string
	}{
		{"", "", "en", "monkey"},
		{"?lang=ja", "", "ja", "サル"},
		{"?lang=ja-JP", "", "ja", "サル"},
		{"", "ja-JP,ja;q=0.9,en;q=0.8", "ja", "サル"},
		{"", "fr-FR,fr;q=0.9", "en", "monkey"},
		{"", "fr;q=0.9,ja;q=0.5", "ja", "サル"},
		{"?lang=en", "ja", "en", "monkey"},
		{"?lang=zz-invalid!", "ja", "ja", "サル"},
		{"?lang=de", "", "en", "monkey"},
	} {
		rec := do(h, "POST", "/api/predict"+tc.query, "", png, "Accept-Language", tc.accept)
		got := decodeJSON[PredictResponse](t, rec.Body.Bytes())
		if got.Lang != tc.want || got.DisplayName != tc.name || got.Probabilities[0].DisplayName != tc.name {
			t.Errorf("query %q, Accept-Language %q: lang %q, name %q; want %q, %q", tc.query, tc.accept, got.Lang, got.DisplayName, tc.want, tc.name)
		}
	}
	// Errors are localised too, and keep their code.
	rec := do(h, "POST", "/api/predict?lang=ja", "", []byte("text"))
	if e := decodeJSON[ErrorResponse](t, rec.Body.Bytes()); e.Error != CodeUnsupportedMediaType || !strings.Contains(e.Message, "画像形式") {
		t.Errorf("Japanese error: %+v", e)
	}
	// Every error an upload can meet has its Japanese wording.
	for _, code := range []string{CodeBadRequest, CodeMissingFile, CodeEmptyFile, CodeBodyTooLarge, CodeUnsupportedMediaType,
		CodeInvalidImage, CodeTooManyPixels, CodeBusy, CodePredictionFailed, CodeInternal, CodeCrossOrigin, CodeHostNotAllowed} {
		if uiTexts["ja"].Errors[code] == "" {
			t.Errorf("no Japanese wording for %s", code)
		}
	}
}

func TestPage(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	rec := do(h, "GET", "/", "", nil)
	page := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		`<html lang="en">`, `method="post"`, `enctype="multipart/form-data"`, `<label for="file">`,
		`name="file" type="file"`, `src="/static/app.js"`, `href="/static/app.css"`, `hreflang="ja"`, "fake-mean-colour",
		"test accuracy: 50.0%", // formatted as the probabilities are
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no X-Content-Type-Options")
	}

	// Japanese, by header.
	rec = do(h, "GET", "/", "", nil, "Accept-Language", "ja")
	if p := rec.Body.String(); !strings.Contains(p, `<html lang="ja">`) || !strings.Contains(p, "<title>画像分類") || !strings.Contains(p, `action="/?lang=ja"`) {
		t.Errorf("Japanese page:\n%s", p)
	}

	// Nothing on the page, in its CSS or its script loads from outside.
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, path := range []string{"/", "/static/app.js", "/static/app.css"} {
		rec := do(h, "GET", path, "", nil)
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", path, rec.Code)
		}
		if m := external.FindString(rec.Body.String()); m != "" {
			t.Errorf("%s refers to %q", path, m)
		}
	}
	if ct := do(h, "GET", "/static/app.js", "", nil).Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js Content-Type %q", ct)
	}
}

func TestPageUploadWithoutJavaScript(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	img := solid(20, 20, green)
	body, ct := fileForm(t, "boar.png", imagetest.Encode(t, "png", img))
	rec := do(h, "POST", "/?lang=ja", ct, body)
	page := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, page)
	}
	probs := fake.Probabilities(img)
	for _, want := range []string{
		`<p class="verdict" data-class="boar">`, "イノシシ", `<progress max="1" value="`,
		`data-class="monkey" data-probability="`, `aria-labelledby="prob-0"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("result page lacks %q", want)
		}
	}
	if !strings.Contains(page, formatPct(probs[1])) {
		t.Errorf("result page lacks the boar's probability %s", formatPct(probs[1]))
	}
	// The tab's title says the outcome (WCAG 2.4.2: each page its own title).
	if want := "<title>イノシシ " + formatPct(probs[1]) + " · 画像分類</title>"; !strings.Contains(page, want) {
		t.Errorf("result page lacks the title %s", want)
	}

	body, ct = fileForm(t, "notes.jpg", []byte("not an image"))
	rec = do(h, "POST", "/", ct, body)
	if rec.Code != 415 || !strings.Contains(rec.Body.String(), `role="alert"`) || !strings.Contains(rec.Body.String(), `data-error="unsupported_media_type"`) {
		t.Errorf("error page: %d\n%s", rec.Code, rec.Body)
	}
	if want := "<title>The photo could not be classified · Image classifier</title>"; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("error page lacks the title %s", want)
	}
	// The page says what went wrong in words, in the page's language, as
	// the API's message does.
	for _, lang := range []string{"en", "ja"} {
		apiErr := decodeJSON[ErrorResponse](t, do(h, "POST", "/api/predict?lang="+lang, "", []byte("not an image")).Body.Bytes())
		rec = do(h, "POST", "/?lang="+lang, ct, body)
		if !strings.Contains(rec.Body.String(), html.EscapeString(apiErr.Message)) {
			t.Errorf("error page in %s lacks the message %q", lang, apiErr.Message)
		}
	}
	empty, emptyCT := multipartBody(t, part{field: "file"})
	if rec := do(h, "POST", "/", emptyCT, empty); rec.Code != 400 || !strings.Contains(rec.Body.String(), `data-error="missing_file"`) {
		t.Errorf("empty form page: %d", rec.Code)
	}
}

func TestNewRejectsBadSetup(t *testing.T) {
	if _, err := New(testConfig(), nil); err == nil {
		t.Error("New accepted a nil classifier")
	}
	cfg := testConfig()
	cfg.MaxUploadBytes = 0
	if _, err := New(cfg, fake.New()); err == nil {
		t.Error("New accepted a zero upload limit")
	}
	if _, err := New(testConfig(), emptyMeta{fake.New()}); err == nil {
		t.Error("New accepted metadata without classes")
	}
}

type emptyMeta struct{ *fake.Classifier }

func (emptyMeta) Meta() *model.Meta { return &model.Meta{} }

// footwear is the fake classifier under the default dataset's classes, with
// English and Japanese display names.
type footwear struct{ *fake.Classifier }

func (footwear) Meta() *model.Meta {
	return &model.Meta{
		ModelID:   "footwear",
		Classes:   []string{"sandal", "sneaker", "ankle_boot"},
		ImageSize: 50,
		DisplayNames: map[string]map[string]string{
			"en": {"ankle_boot": "ankle boot"},
			"ja": {"sandal": "サンダル", "sneaker": "スニーカー", "ankle_boot": "アンクルブーツ"},
		},
	}
}

// The page's opening sentence names the model's own classes, in the page's
// language, and the accepted formats are those the server accepts.
func TestPageNamesTheModelsClasses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     Classifier
		query string
		want  []string
		// animals is false where no animal may be named.
		animals bool
	}{
		{"animals", fake.New(), "", []string{
			`<p class="intro">Upload a photo of one of these: monkey, boar or crow. A small`,
		}, true},
		{"animals in Japanese", fake.New(), "?lang=ja", []string{
			`<p class="intro">サル、イノシシ、カラスのいずれかの写真をアップロードすると、`,
		}, true},
		{"footwear", footwear{fake.New()}, "", []string{
			`<p class="intro">Upload a photo of one of these: sandal, sneaker or ankle boot. A small`,
			`<label for="file">Photo (JPEG, PNG, GIF, BMP or WebP)</label>`,
			`accept="image/jpeg,image/png,image/gif,image/bmp,image/webp"`,
		}, false},
		{"footwear in Japanese", footwear{fake.New()}, "?lang=ja", []string{
			`<p class="intro">サンダル、スニーカー、アンクルブーツのいずれかの写真をアップロードすると、`,
			`<label for="file">写真（JPEG、PNG、GIF、BMP、WebP）</label>`,
		}, false},
	} {
		page := do(newTestHandler(t, testConfig(), tc.c), "GET", "/"+tc.query, "", nil).Body.String()
		for _, want := range tc.want {
			if !strings.Contains(page, want) {
				t.Errorf("%s: page lacks %q", tc.name, want)
			}
		}
		if !tc.animals && regexp.MustCompile(`(?i)monkey|boar|crow|サル|イノシシ|カラス`).MatchString(page) {
			t.Errorf("%s: the page names the animals:\n%s", tc.name, page)
		}
	}
}

// The refusals name the accepted formats.
func TestUnsupportedFormatMessages(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	for _, tc := range []struct {
		name, query string
		body        []byte
		want        string
	}{
		{"not an image", "", []byte("text"), "the upload is not an image in a supported format (JPEG, PNG, GIF, BMP or WebP)"},
		{"TIFF", "", imagetest.Encode(t, "tiff", solid(4, 4, red)), "tiff images are not accepted here: send JPEG, PNG, GIF, BMP or WebP"},
		{"not an image, in Japanese", "?lang=ja", []byte("text"), "対応している画像形式（JPEG、PNG、GIF、BMP、WebP）ではありません。"},
	} {
		rec := do(h, "POST", "/api/predict"+tc.query, "", tc.body)
		if e := decodeJSON[ErrorResponse](t, rec.Body.Bytes()); e.Error != CodeUnsupportedMediaType || e.Message != tc.want {
			t.Errorf("%s: %+v, want message %q", tc.name, e, tc.want)
		}
	}
}

// A browser posting from a page of another site is refused (403, with the
// security headers), on the API in JSON and on the page in HTML; the same
// site, and clients that are not browsers, are served. Reading stays open.
func TestCrossOriginPostsRefused(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	for _, tc := range []struct {
		name   string
		header []string
		want   int
	}{
		{"curl", nil, 200},
		{"same origin", []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"typed in the address bar", []string{"Sec-Fetch-Site", "none"}, 200},
		{"same Origin, older browser", []string{"Origin", "http://example.com"}, 200}, // httptest's Host is example.com
		{"another site", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"another origin, older browser", []string{"Origin", "http://evil.example"}, 403},
	} {
		rec := do(h, "POST", "/api/predict", "image/png", png, tc.header...)
		if rec.Code != tc.want {
			t.Errorf("%s: POST /api/predict %d, want %d: %s", tc.name, rec.Code, tc.want, rec.Body)
		}
		if tc.want == 403 {
			wantError(t, rec, 403, CodeCrossOrigin)
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: 403 without the security headers", tc.name)
			}
			page := do(h, "POST", "/", "image/png", png, tc.header...)
			if page.Code != 403 || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") || !strings.Contains(page.Body.String(), "another site") {
				t.Errorf("%s: POST / %d %s: %s", tc.name, page.Code, page.Header().Get("Content-Type"), page.Body)
			}
		}
	}
	if rec := do(h, "GET", "/api/model", "", nil, "Sec-Fetch-Site", "cross-site"); rec.Code != 200 {
		t.Errorf("GET /api/model from another site: %d, want 200", rec.Code)
	}
}
