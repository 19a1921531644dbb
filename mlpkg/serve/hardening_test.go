package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

// TestReadLimitedDoesNotTrustContentLength: a client declaring 10 MiB and
// sending 400 bytes must not make the server reserve 10 MiB.
func TestReadLimitedDoesNotTrustContentLength(t *testing.T) {
	pngLike := func(n int) []byte { // a PNG signature, then n-8 bytes
		return append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("0123456789abcdef"), n/16)[:n-8]...)
	}
	data, err := readLimited(bytes.NewReader(pngLike(400)), 10<<20, 10<<20)
	if err != nil || len(data) != 400 {
		t.Fatalf("read %d bytes, %v", len(data), err)
	}
	if cap(data) > 1<<20 {
		t.Errorf("reserved %d bytes for a 400-byte body declared as 10 MiB", cap(data))
	}
	// A body as large as declared is still read whole.
	big := pngLike(1 << 20)
	data, err = readLimited(bytes.NewReader(big), 10<<20, int64(len(big)))
	if err != nil || !bytes.Equal(data, big) {
		t.Errorf("1 MiB body: %d bytes, %v", len(data), err)
	}
	// One over the limit is too large, one at the limit is not.
	if _, err := readLimited(bytes.NewReader(big), int64(len(big))-1, -1); !errors.Is(err, errUploadTooLarge) {
		t.Errorf("1 MiB body, limit 1 MiB - 1: %v, want errUploadTooLarge", err)
	}
	if data, err := readLimited(bytes.NewReader(big), int64(len(big)), -1); err != nil || len(data) != len(big) {
		t.Errorf("1 MiB body, limit 1 MiB: %d bytes, %v", len(data), err)
	}
}

// TestReadLimitedStopsAtNonImage: a large upload that is not an image is
// refused after its first bytes, not read whole (it holds an upload place
// while it is read).
func TestReadLimitedStopsAtNonImage(t *testing.T) {
	body := &countingReader{r: bytes.NewReader(bytes.Repeat([]byte("not an image "), 1<<17))} // 1.6 MB
	if _, err := readLimited(body, 10<<20, -1); !errors.Is(err, errNotImage) {
		t.Fatalf("text body: %v, want errNotImage", err)
	}
	if n := body.n.Load(); n > sniffLen {
		t.Errorf("read %d bytes of a text body, want at most %d", n, sniffLen)
	}
	h := newTestHandler(t, testConfig(), nil)
	rec := do(h, "POST", "/api/predict", "application/octet-stream", bytes.Repeat([]byte("text "), 1<<18))
	wantError(t, rec, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType)
}

// TestUploadsAdmittedBeforeReading: with every upload place taken, another
// upload waits for one without its body being read, and is answered 503
// busy, in the route's format, when none frees within QueueTimeout; the
// place is free again once the first upload is done.
func TestUploadsAdmittedBeforeReading(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUploads = 1
	cfg.QueueTimeout = 50 * time.Millisecond
	h := newTestHandler(t, cfg, nil)
	png := imagetest.Encode(t, "png", solid(8, 8, red))

	pr, pw := io.Pipe()
	first := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		req := httptest.NewRequest("POST", "/api/predict", pr)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		first <- rec
	}()
	// Write returns once the handler has read these bytes: it holds the place.
	if _, err := pw.Write(png[:10]); err != nil {
		t.Fatal(err)
	}

	body := &countingReader{r: bytes.NewReader(png)}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/predict", body))
	wantError(t, rec, 503, CodeBusy)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if n := body.n.Load(); n != 0 {
		t.Errorf("%d bytes of the refused upload were read", n)
	}
	form, ct := fileForm(t, "b.png", png)
	rec = do(h, "POST", "/", ct, form)
	if rec.Code != 503 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(rec.Body.String(), `data-error="busy"`) || rec.Header().Get("Retry-After") == "" {
		t.Errorf("page upload while busy: %d %s %v\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Header(), rec.Body)
	}
	// A declared-too-large upload is still 413, not busy: it takes no place.
	req := httptest.NewRequest("POST", "/api/predict", bytes.NewReader(png))
	req.ContentLength = cfg.MaxUploadBytes + 1
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	wantError(t, rec, 413, CodeBodyTooLarge)

	if _, err := pw.Write(png[10:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if rec := <-first; rec.Code != 200 {
		t.Fatalf("first upload: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "POST", "/api/predict", "", png); rec.Code != 200 {
		t.Errorf("after the first upload: %d %s", rec.Code, rec.Body)
	}
}

// TestUploadWaitsForAPlace: an upload keeps its place until it is
// answered, not only while its body is read; with one place, a second
// upload during the first one's prediction waits for the place, its body
// not read meanwhile, and is served once the first is answered (as a Flask
// server queues requests), instead of being refused.
func TestUploadWaitsForAPlace(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUploads = 1
	cfg.MaxConcurrent = 1
	cfg.QueueTimeout = time.Hour
	started := make(chan struct{}, 2)
	cl := &gate{Classifier: fake.New(), started: started, release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(cl.release)
		}
	}
	t.Cleanup(release)
	h := newTestHandler(t, cfg, cl)
	png := imagetest.Encode(t, "png", solid(8, 8, red))

	first := make(chan int, 1)
	go func() { first <- do(h, "POST", "/api/predict", "", png).Code }()
	select {
	case <-started: // the first upload is inside Predict
	case <-time.After(10 * time.Second):
		t.Fatal("the first upload never reached the classifier")
	}

	body := &countingReader{r: bytes.NewReader(png)}
	second := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/predict", body))
		second <- rec
	}()
	select {
	case rec := <-second:
		t.Fatalf("the second upload was answered (%d) while the first held the only place", rec.Code)
	case <-time.After(200 * time.Millisecond):
	}
	if n := body.n.Load(); n != 0 {
		t.Errorf("%d bytes of the waiting upload were read", n)
	}
	release()
	if code := <-first; code != 200 {
		t.Errorf("first upload: %d", code)
	}
	select {
	case rec := <-second:
		if rec.Code != 200 {
			t.Errorf("second upload, once the place was free: %d %s", rec.Code, rec.Body)
		}
	case <-time.After(10 * time.Second):
		t.Error("the second upload was not served once the first was answered")
	}
}

func TestDefaultDecodeLimits(t *testing.T) {
	d := DefaultConfig()
	if d.MaxConcurrent != runtime.NumCPU() {
		t.Errorf("MaxConcurrent = %d, want NumCPU = %d", d.MaxConcurrent, runtime.NumCPU())
	}
	if got := d.maxUploads(); got != 4*d.MaxConcurrent {
		t.Errorf("default max uploads %d, want 4×MaxConcurrent", got)
	}
	d.MaxUploads = 3
	if got := d.maxUploads(); got != 3 {
		t.Errorf("max uploads %d, want the configured 3", got)
	}
	h := newTestHandler(t, testConfig(), nil)
	for _, tc := range []struct {
		w, h uint32
		code string
	}{
		// Phone photos pass the header check (and fail on the fixture's tiny IDAT).
		{4000, 3000, CodeInvalidImage}, // 12 MP
		{4624, 3472, CodeInvalidImage}, // 16 MP
		{4096, 4096, CodeInvalidImage},
		{4097, 4096, CodeTooManyPixels},
		{5000, 5000, CodeTooManyPixels}, // 25 MP: about 600 MB to decode as a progressive CMYK JPEG
	} {
		rec := do(h, "POST", "/api/predict", "", pngHeader(tc.w, tc.h))
		if e := decodeJSON[ErrorResponse](t, rec.Body.Bytes()); e.Error != tc.code {
			t.Errorf("%d×%d: %d %+v, want %s", tc.w, tc.h, rec.Code, e, tc.code)
		}
	}
}

func TestMethodsAndPaths(t *testing.T) {
	h := newTestHandler(t, testConfig(), nil)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", "/", 405, "GET, HEAD, POST"},
		{"DELETE", "/", 405, "GET, HEAD, POST"},
		{"POST", "/static/app.css", 405, "GET, HEAD"},
		{"PUT", "/static/app.js", 405, "GET, HEAD"},
		{"GET", "/nothing", 404, ""},
		{"PUT", "/nothing", 404, ""},
		{"GET", "/static/", 404, ""},     // no directory listing
		{"GET", "/static/x.js", 404, ""}, // no such file
	} {
		rec := do(h, tc.method, tc.path, "", nil)
		if rec.Code != tc.status || rec.Header().Get("Allow") != tc.allow ||
			!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: %d, Allow %q, %s; want %d, Allow %q, HTML", tc.method, tc.path, rec.Code,
				rec.Header().Get("Allow"), rec.Header().Get("Content-Type"), tc.status, tc.allow)
		}
		if strings.Contains(rec.Body.String(), "app.js") {
			t.Errorf("%s %s lists the static files:\n%s", tc.method, tc.path, rec.Body)
		}
	}
	for _, path := range []string{"/", "/static/app.css"} {
		if rec := do(h, "HEAD", path, "", nil); rec.Code != 200 {
			t.Errorf("HEAD %s: %d", path, rec.Code)
		}
	}
	// Static files are checked on every use, by their content's ETag: 304
	// while unchanged, the file again when it differs (after an upgrade).
	css := do(h, "GET", "/static/app.css", "", nil)
	etag := css.Header().Get("ETag")
	if css.Code != 200 || css.Header().Get("Cache-Control") != "no-cache" || len(etag) != 18 || css.Body.Len() == 0 {
		t.Errorf("GET /static/app.css: %d %v", css.Code, css.Header())
	}
	if js := do(h, "GET", "/static/app.js", "", nil); js.Header().Get("ETag") == etag {
		t.Errorf("app.js and app.css share the ETag %s", etag)
	}
	if rec := do(h, "GET", "/static/app.css", "", nil, "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("GET /static/app.css, If-None-Match its ETag: %d, %d bytes; want 304 without the file", rec.Code, rec.Body.Len())
	}
	if rec := do(h, "GET", "/static/app.css", "", nil, "If-None-Match", `"0000000000000000"`); rec.Code != 200 || rec.Body.Len() != css.Body.Len() {
		t.Errorf("GET /static/app.css, If-None-Match an old ETag: %d, %d bytes; want 200 with the file", rec.Code, rec.Body.Len())
	}
	if rec := do(h, "GET", "/static/", "", nil); rec.Header().Get("Cache-Control") != "" {
		t.Errorf("a 404 is cached: %v", rec.Header())
	}
	rec := do(h, "PUT", "/api/predict", "", nil)
	wantError(t, rec, 405, CodeMethodNotAllowed)
	if rec.Header().Get("Allow") != "POST" {
		t.Errorf("PUT /api/predict: Allow %q", rec.Header().Get("Allow"))
	}
}

// panicky is a classifier whose Predict panics (but not for the warm-up).
type panicky struct{ *fake.Classifier }

func (panicky) Predict(imgs ...image.Image) ([]predict.Prediction, error) {
	panic("model bug")
}

func TestPanicAnsweredInTheRoutesFormat(t *testing.T) {
	var logs logBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	h := newTestHandler(t, cfg, panicky{fake.New()})
	png := imagetest.Encode(t, "png", solid(8, 8, red))

	wantError(t, do(h, "POST", "/api/predict", "", png), 500, CodeInternal)
	form, ct := fileForm(t, "a.png", png)
	rec := do(h, "POST", "/?lang=ja", ct, form)
	if rec.Code != 500 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(rec.Body.String(), `data-error="internal"`) || !strings.Contains(rec.Body.String(), `<html lang="ja">`) {
		t.Errorf("page upload that panics: %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	lines := logs.lines(t)
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2: %v", len(lines), lines)
	}
	for _, l := range lines {
		if l["level"] != "ERROR" || l["status"] != 500.0 || l["panic"] != "model bug" ||
			!strings.Contains(fmt.Sprint(l["stack"]), "serve.panicky.Predict") {
			t.Errorf("panic logged as %v", l)
		}
	}
}

func TestPanicAfterWritingCutsTheResponse(t *testing.T) {
	var logs logBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	s, err := newServer(cfg, fake.New())
	if err != nil {
		t.Fatal(err)
	}
	h := s.logRequests(s.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "partial")
		panic("late bug")
	})))
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("panic %v, want http.ErrAbortHandler (the connection is dropped)", p)
			}
		}()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/predict", nil))
	}()
	if rec.Code != 200 || rec.Body.String() != "partial" || rec.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("response %d %v %q: a second answer was written", rec.Code, rec.Header(), rec.Body)
	}
	lines := logs.lines(t)
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["panic"] != "late bug" || lines[0]["aborted"] != true ||
		!strings.Contains(fmt.Sprint(lines[0]["stack"]), "TestPanicAfterWritingCutsTheResponse") {
		t.Errorf("logged %v", lines)
	}
}

// writeSpy is a ResponseWriter that records whether anything was written.
type writeSpy struct {
	header http.Header
	wrote  bool
}

func (w *writeSpy) Header() http.Header         { return w.header }
func (w *writeSpy) WriteHeader(int)             { w.wrote = true }
func (w *writeSpy) Write(b []byte) (int, error) { w.wrote = true; return len(b), nil }

// serveRecovering serves req and returns what the handler panicked with,
// failing the test if it has not returned within 10 s.
func serveRecovering(t *testing.T, h http.Handler, w http.ResponseWriter, req *http.Request) any {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		h.ServeHTTP(w, req)
	}()
	select {
	case p := <-done:
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("%s %s: the handler still runs after 10 s", req.Method, req.URL)
		return nil
	}
}

// A request whose client went away, waiting for a place or sending its
// body, is not answered: its connection is cut, and it is logged as 499.
func TestClientGoneIsNotAnswered(t *testing.T) {
	var logs logBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	cfg.MaxConcurrent = 1
	cfg.QueueTimeout = time.Hour // only a done context ends the wait below
	started := make(chan struct{})
	cl := &gate{Classifier: fake.New(), started: started, release: make(chan struct{})}
	h := newTestHandler(t, cfg, cl)
	png := imagetest.Encode(t, "png", solid(8, 8, red))

	first := make(chan int, 1)
	go func() { first <- do(h, "POST", "/api/predict", "", png).Code }()
	<-started // the one decode slot is taken

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	form, ct := fileForm(t, "a.png", png)
	for _, tc := range []struct {
		name, target, ct string
		body             io.Reader
	}{
		{"API, queued", "/api/predict", "", bytes.NewReader(png)},
		{"page, queued", "/", ct, bytes.NewReader(form)},
		{"API, hung up while sending", "/api/predict", "", iotest.ErrReader(errors.New("connection reset by peer"))},
	} {
		req := httptest.NewRequestWithContext(gone, "POST", tc.target, tc.body)
		req.Header.Set("Content-Type", tc.ct)
		w := &writeSpy{header: http.Header{}}
		if p := serveRecovering(t, h, w, req); p != http.ErrAbortHandler {
			t.Errorf("%s: handler ended with %v, want the connection cut (http.ErrAbortHandler): net/http would answer an empty 200", tc.name, p)
		}
		if w.wrote {
			t.Errorf("%s: an answer was written to a client that is gone", tc.name)
		}
	}
	close(cl.release)
	if code := <-first; code != 200 {
		t.Errorf("first request: %d", code)
	}
	lines := logs.lines(t)
	if len(lines) != 4 {
		t.Fatalf("%d log lines, want 4: %v", len(lines), lines)
	}
	for _, l := range lines[:3] {
		if l["level"] != "WARN" || l["status"] != 499.0 || l["error"] != codeClientClosed || l["cause"] != nil {
			t.Errorf("client gone logged as %v", l)
		}
	}
}

func TestPageCarriesTheUploadLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUploadBytes = 2 << 10
	h := newTestHandler(t, cfg, nil)
	page := do(h, "GET", "/", "", nil).Body.String()
	server := decodeJSON[ErrorResponse](t, do(h, "POST", "/api/predict", "", make([]byte, 3<<10)).Body.Bytes())
	for _, want := range []string{
		`data-max-upload="2048"`,
		`data-too-large="` + server.Message + `"`, // the server's own message
		`data-network-error="No answer from the server`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if ja := do(h, "GET", "/?lang=ja", "", nil).Body.String(); !strings.Contains(ja, `data-too-large="ファイルが大きすぎます。"`) {
		t.Error("the Japanese page lacks the Japanese too-large message")
	}
}

// A panic on /healthz, like one under /api/, is answered in JSON (and on a
// page path as the page).
func TestPanicOnHealthzAnsweredAsJSON(t *testing.T) {
	s, err := newServer(testConfig(), fake.New())
	if err != nil {
		t.Fatal(err)
	}
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("health bug") }))
	wantError(t, do(h, "GET", "/healthz", "", nil), 500, CodeInternal)
	wantError(t, do(h, "GET", "/api/model", "", nil), 500, CodeInternal)
	if rec := do(h, "GET", "/", "", nil); rec.Code != 500 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("page panic: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// API answers are never cached, successes and errors alike; a 413 closes
// the connection, whose unread rest of the body cannot be skipped.
func TestAPIResponseHeaders(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUploadBytes = 1 << 10
	h := newTestHandler(t, cfg, nil)
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	for _, tc := range []struct {
		method, target string
		body           []byte
		status         int
	}{
		{"POST", "/api/predict", png, 200},
		{"GET", "/api/model", nil, 200},
		{"GET", "/healthz", nil, 200},
		{"POST", "/api/predict", []byte("not an image"), 415},
		{"POST", "/api/predict", make([]byte, 2<<10), 413},
	} {
		rec := do(h, tc.method, tc.target, "", tc.body)
		if rec.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.target, rec.Code, tc.status)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s %s (%d): Cache-Control %q, want no-store", tc.method, tc.target, rec.Code, cc)
		}
		if c := rec.Header().Get("Connection"); (c == "close") != (tc.status == 413) {
			t.Errorf("%s %s (%d): Connection %q", tc.method, tc.target, rec.Code, c)
		}
	}
}

// TestWebPCanvasLieRefused: a 56-byte WebP that declares a 1×1 canvas but
// holds a 16383×16383 image is refused from its header (decoding it took
// 1.1 GB), not after decoding it.
func TestWebPCanvasLieRefused(t *testing.T) {
	lie := []byte("RIFF\x30\x00\x00\x00WEBP" +
		"VP8X\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"VP8L\x11\x00\x00\x00\x2f\xfe\xbf\xff\x0f\x07\x50\xc0\x02\x16\xb0\xff\x81\x88\xe8\x7f\x00\x00")
	if _, _, err := decodeConfig(lie); err == nil {
		t.Fatal("the lying header passed")
	}
	h := newTestHandler(t, testConfig(), nil)
	wantError(t, do(h, "POST", "/api/predict", "application/octet-stream", lie), 422, CodeInvalidImage)
}

// An upload that fails while its body is read gives its place back: with
// one place, the next upload is classified, not left waiting (503).
func TestFailedReadReleasesItsPlace(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUploads, cfg.QueueTimeout = 1, 50*time.Millisecond
	h := newTestHandler(t, cfg, nil)
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	form, ct := fileForm(t, "a.png", png)
	for _, bad := range []struct {
		name, ct string
		body     []byte
	}{
		{"raw text", "", []byte("not an image at all")},
		{"form cut short", ct, form[:len(form)/2]},
		{"too large", "", make([]byte, cfg.MaxUploadBytes+1)},
	} {
		if rec := do(h, "POST", "/api/predict", bad.ct, bad.body); rec.Code < 400 || rec.Code == 503 {
			t.Errorf("%s: status %d, want a client error", bad.name, rec.Code)
		}
		if rec := do(h, "POST", "/api/predict", "", png); rec.Code != 200 {
			t.Errorf("after %s: status %d, want 200 (the place given back)", bad.name, rec.Code)
		}
	}
}
