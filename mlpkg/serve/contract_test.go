package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

// The tests below were found by mutation testing: each fails when the
// behaviour it names is removed.

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not a JSON object", v)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestAPIJSONContract pins the API's field names and error codes as clients
// see them: decoding into the server's own structs would accept any name.
func TestAPIJSONContract(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	var pred map[string]any
	rec := do(h, "POST", "/api/predict", "", png)
	if err := json.Unmarshal(rec.Body.Bytes(), &pred); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(t, pred), []string{"class", "display_name", "elapsed_ms", "image", "lang", "model_id", "predict_ms", "probabilities", "probability"}; !slices.Equal(got, want) {
		t.Errorf("/api/predict keys %q, want %q", got, want)
	}
	probs, _ := pred["probabilities"].([]any)
	if len(probs) != 3 {
		t.Fatalf("probabilities %v", pred["probabilities"])
	}
	if got, want := keys(t, probs[0]), []string{"class", "display_name", "probability"}; !slices.Equal(got, want) {
		t.Errorf("probabilities[0] keys %q, want %q", got, want)
	}
	if got, want := keys(t, pred["image"]), []string{"format", "height", "width"}; !slices.Equal(got, want) {
		t.Errorf("image keys %q, want %q", got, want)
	}

	var info map[string]any
	if err := json.Unmarshal(do(h, "GET", "/api/model", "", nil).Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"model_id", "classes", "lang", "languages", "image_size", "normalization", "backend", "created", "metrics", "max_upload_bytes", "max_pixels"} {
		if _, ok := info[k]; !ok {
			t.Errorf("/api/model lacks %q: %v", k, keys(t, info))
		}
	}
	classes, _ := info["classes"].([]any)
	if len(classes) != 3 || !slices.Equal(keys(t, classes[0]), []string{"class", "display_name"}) {
		t.Errorf("/api/model classes %v", info["classes"])
	}
	var health map[string]any
	if err := json.Unmarshal(do(h, "GET", "/healthz", "", nil).Body.Bytes(), &health); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys(t, health), []string{"model_id", "status"}) || health["status"] != "ok" {
		t.Errorf("/healthz %v", health)
	}

	var e map[string]any
	if err := json.Unmarshal(do(h, "POST", "/api/predict", "", []byte("not an image")).Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys(t, e), []string{"error", "message"}) || e["error"] != "unsupported_media_type" {
		t.Errorf("error body %v", e)
	}
	// The codes are API: their values may not change.
	for code, want := range map[string]string{
		CodeBadRequest: "bad_request", CodeMissingFile: "missing_file", CodeEmptyFile: "empty_file",
		CodeBodyTooLarge: "body_too_large", CodeUnsupportedMediaType: "unsupported_media_type",
		CodeInvalidImage: "invalid_image", CodeTooManyPixels: "too_many_pixels", CodeBusy: "busy",
		CodePredictionFailed: "prediction_failed", CodeInternal: "internal", CodeNotFound: "not_found",
		CodeMethodNotAllowed: "method_not_allowed",
	} {
		if code != want {
			t.Errorf("error code %q, documented as %q", code, want)
		}
	}
}

// Form fields other than the file count toward the body limit too: a client
// cannot stream an endless "note" while holding an upload place.
func TestFormFieldsCountTowardTheLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUploadBytes = 4096
	h := newTestHandler(t, cfg, nil)
	body, ct := multipartBody(t,
		part{field: "note", data: bytes.Repeat([]byte("x"), 4096+multipartOverhead+1)},
		part{field: "file", filename: "a.png", contentType: "image/png", data: imagetest.Encode(t, "png", solid(8, 8, red))})
	req := httptest.NewRequest("POST", "/api/predict", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.ContentLength = -1 // chunked: the limit must hold while reading
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	wantError(t, rec, http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
}

// The HTTP server's timeouts close a connection that sends its headers, or
// its body, too slowly (slowloris), and cut an answer that takes too long.
// ReadHeaderTimeout is much shorter than ReadTimeout, which would close a
// slow header too, but later.
func TestServerTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.ReadHeaderTimeout = 200 * time.Millisecond
	cfg.ReadTimeout = 1500 * time.Millisecond
	cfg.WriteTimeout = 2 * time.Second
	slow := &slowClassifier{Classifier: fake.New()}
	go func() { _ = Serve(t.Context(), ln, cfg, slow) }()
	addr := ln.Addr().String()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server never answered")
		}
	}
	// closedWithin sends start and reports whether the server closes the
	// connection (perhaps after an error status) within limit.
	closedWithin := func(start string, limit time.Duration) (bool, string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, start); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(limit))
		b, err := io.ReadAll(c)
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout()), string(b)
	}
	// The limits leave a loaded machine room; a server without the
	// timeouts keeps the connections open for good.
	if ok, got := closedWithin("POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n", 3*time.Second); !ok {
		t.Errorf("headers never finished: connection still open after 3 s, ReadHeaderTimeout 200 ms (read %q)", got)
	}
	if ok, got := closedWithin("POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789", 6*time.Second); !ok {
		t.Errorf("body never finished: connection still open after 6 s, ReadTimeout 1.5 s (read %q)", got)
	}
	// An answer slower than WriteTimeout is cut: the client gets no 200.
	slow.delay.Store(int64(3 * time.Second))
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	resp, err := http.Post("http://"+addr+"/api/predict", "image/png", bytes.NewReader(png))
	if err == nil {
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr == nil && resp.StatusCode == 200 {
			t.Errorf("an answer after 3 s went out despite a 2 s write timeout: %s", b)
		}
	}
}

// slowClassifier is the fake with a delay that may change while it serves.
type slowClassifier struct {
	*fake.Classifier
	delay atomic.Int64 // nanoseconds
}

func (s *slowClassifier) Predict(imgs ...image.Image) ([]predict.Prediction, error) {
	time.Sleep(time.Duration(s.delay.Load()))
	return s.Classifier.Predict(imgs...)
}

// badClassifier answers what a broken model might: too many probabilities,
// too many predictions, or an infinite probability.
type badClassifier struct {
	*fake.Classifier
	kind string
}

func (b badClassifier) Predict(imgs ...image.Image) ([]predict.Prediction, error) {
	p := predict.Prediction{Class: "monkey", Probability: 0.5, Probabilities: []float32{0.5, 0.25, 0.25}, Classes: fake.Classes}
	switch b.kind {
	case "extra class":
		p.Probabilities = append(p.Probabilities, 0)
	case "two predictions":
		return []predict.Prediction{p, p}, nil
	case "infinite":
		p.Probability = float32(math.Inf(1))
	}
	return []predict.Prediction{p}, nil
}

func TestBrokenClassifierAnswers(t *testing.T) {
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	for _, kind := range []string{"extra class", "two predictions", "infinite"} {
		h := newTestHandler(t, testConfig(), badClassifier{fake.New(), kind})
		rec := do(h, "POST", "/api/predict", "", png)
		if rec.Code != 500 || !strings.Contains(rec.Body.String(), CodePredictionFailed) {
			t.Errorf("%s: %d %s, want 500 %s", kind, rec.Code, rec.Body, CodePredictionFailed)
		}
	}
}

// Every answer carries the security headers, exactly.
func TestSecurityHeaders(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	}
	for _, target := range []string{"/", "/api/model", "/nowhere"} {
		rec := do(h, "GET", target, "", nil)
		for k, v := range want {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("GET %s: %s %q, want %q", target, k, got, v)
			}
		}
	}
}

// The page says in which language it is, and that it depends on
// Accept-Language, so that a shared cache does not serve the wrong one.
func TestPageLanguageHeaders(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	rec := do(h, "GET", "/", "", nil, "Accept-Language", "ja")
	if got := rec.Header().Get("Content-Language"); got != "ja" {
		t.Errorf("Content-Language %q, want ja", got)
	}
	if got := rec.Header().Values("Vary"); !slices.ContainsFunc(got, func(v string) bool { return strings.Contains(v, "Accept-Language") }) {
		t.Errorf("Vary %q, want Accept-Language", got)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{3 << 19: "1.5 MiB", 10 << 20: "10 MiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// multilingual is the fake classifier with class names in German, French
// and Japanese (as Japan's tag, ja-JP).
type multilingual struct{ *fake.Classifier }

func (m multilingual) Meta() *model.Meta {
	meta := *m.Classifier.Meta()
	meta.DisplayNames = map[string]map[string]string{
		"ja-JP": {"monkey": "サル", "boar": "イノシシ", "crow": "カラス"},
		"fr":    {"monkey": "singe", "boar": "sanglier", "crow": "corbeau"},
		"de":    {"monkey": "Affe", "boar": "Wildschwein", "crow": "Krähe"},
	}
	return &meta
}

// A regional tag gets its language's names; the languages are listed in a
// stable order; names under a regional tag get the page in their language.
func TestRegionalLanguages(t *testing.T) {
	h := newTestHandler(t, testConfig(), multilingual{fake.New()})
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	got := decodeJSON[PredictResponse](t, do(h, "POST", "/api/predict", "", png, "Accept-Language", "de-CH").Body.Bytes())
	if got.Lang != "de" || got.DisplayName != "Affe" {
		t.Errorf("Accept-Language de-CH: lang %q, name %q; want de, Affe", got.Lang, got.DisplayName)
	}
	info := decodeJSON[ModelResponse](t, do(h, "GET", "/api/model", "", nil).Body.Bytes())
	if want := []string{"en", "de", "fr", "ja-JP"}; !slices.Equal(info.Languages, want) {
		t.Errorf("languages %q, want %q", info.Languages, want)
	}
	page := do(h, "GET", "/?lang=ja-JP", "", nil).Body.String()
	if !strings.Contains(page, "サル") || !strings.Contains(page, "<title>画像分類</title>") {
		t.Errorf("the page in ja-JP is not in Japanese:\n%.600s", page)
	}
}
