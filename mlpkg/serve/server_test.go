package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

func TestConcurrentRequests(t *testing.T) {
	cl := fake.New()
	cl.Delay = 5 * time.Millisecond
	cfg := testConfig()
	cfg.MaxConcurrent = 3
	srv := httptest.NewServer(newTestHandler(t, cfg, cl))
	defer srv.Close()

	colours := []struct {
		data []byte
		want string
	}{
		{imagetest.Encode(t, "png", solid(32, 32, red)), "monkey"},
		{imagetest.Encode(t, "jpeg", solid(32, 32, green)), "boar"},
		{imagetest.Encode(t, "gif", solid(32, 32, blue)), "crow"},
	}
	const workers, perWorker = 12, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				c := colours[(w+i)%len(colours)]
				body, ct := fileForm(t, "x.img", c.data)
				resp, err := http.Post(srv.URL+"/api/predict", ct, bytes.NewReader(body))
				if err != nil {
					errs <- err
					continue
				}
				var got PredictResponse
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || got.Class != c.want {
					errs <- errors.New(resp.Status + " " + got.Class + " want " + c.want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := cl.Calls(); n != workers*perWorker {
		t.Errorf("classifier ran %d times, want %d", n, workers*perWorker)
	}
	if m := cl.MaxInFlight(); m > 3 || m < 2 {
		t.Errorf("at most %d predictions ran at once; want 2..3 (the limit is 3)", m)
	}
}

func TestBusyWhenSlotsStayTaken(t *testing.T) {
	cl := fake.New()
	cl.Gate = make(chan struct{})
	cfg := testConfig()
	cfg.MaxConcurrent = 1
	cfg.QueueTimeout = 20 * time.Millisecond
	h := newTestHandler(t, cfg, cl)
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	recs := make(chan *httptest.ResponseRecorder, 2)
	var first sync.WaitGroup
	first.Go(func() { recs <- do(h, "POST", "/api/predict", "", png) })
	// The second request comes while the first holds the only place.
	for deadline := time.Now().Add(10 * time.Second); cl.InFlight() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			close(cl.Gate)
			t.Fatal("the first prediction never started")
		}
	}
	recs <- do(h, "POST", "/api/predict", "", png)
	close(cl.Gate)
	first.Wait()
	close(recs)
	got := map[int]int{}
	for rec := range recs {
		got[rec.Code]++
		if rec.Code == 503 {
			wantError(t, rec, 503, CodeBusy)
			if rec.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		}
	}
	if got[200] != 1 || got[503] != 1 {
		t.Errorf("statuses %v, want one 200 and one 503", got)
	}
}

func TestStoreUploads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	cfg := testConfig()
	cfg.StoreUploadsDir = dir
	cfg.StoreQuotaBytes = int64(2*len(png) + len(png)/2) // room for two
	h := newTestHandler(t, cfg, nil)

	// A file that is not the store's: never touched.
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("operator's"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		body, ct := fileForm(t, "../../../etc/evil.png", png)
		if rec := do(h, "POST", "/api/predict", ct, body); rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	// Rejected uploads are not stored.
	do(h, "POST", "/api/predict", "", []byte("not an image"))

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^upload-[0-9a-f]{32}\.png$`)
	var stored int
	for _, e := range entries {
		if e.Name() == "keep.txt" {
			continue
		}
		stored++
		if !name.MatchString(e.Name()) {
			t.Errorf("stored as %q", e.Name())
		}
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", e.Name(), fi.Mode())
		}
		if b, _ := os.ReadFile(filepath.Join(dir, e.Name())); !bytes.Equal(b, png) {
			t.Errorf("%s differs from the upload", e.Name())
		}
	}
	if stored != 2 {
		t.Errorf("%d uploads stored, want 2 (the quota)", stored)
	}
	if _, err := os.Stat(filepath.Join(dir, "keep.txt")); err != nil {
		t.Errorf("the store removed a file it does not own: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "etc")); err == nil {
		t.Error("the client's file name was used as a path")
	}

	// A restarted server accounts for what is already there.
	st, err := openStore(dir, cfg.StoreQuotaBytes)
	if err != nil {
		t.Fatal(err)
	}
	if used, files := st.usage(); files != 2 || used != int64(2*len(png)) {
		t.Errorf("reopened store: %d bytes in %d files", used, files)
	}
	if _, err := st.save(make([]byte, cfg.StoreQuotaBytes+1), "png"); err == nil {
		t.Error("stored a file larger than the whole quota")
	}
}

// The store makes room by deleting the oldest uploads: in the order saved,
// and after a restart in the order of the files' modification times.
func TestStoreEvictsTheOldest(t *testing.T) {
	dir := t.TempDir()
	st, err := openStore(dir, 250) // room for two 100-byte uploads
	if err != nil {
		t.Fatal(err)
	}
	save := func(st *uploadStore, b byte) string {
		t.Helper()
		name, err := st.save(bytes.Repeat([]byte{b}, 100), "png")
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	a, b := save(st, 'a'), save(st, 'b')
	c := save(st, 'c')
	if exists(a) || !exists(b) || !exists(c) {
		t.Errorf("after a, b, c: a %v, b %v, c %v; want a deleted", exists(a), exists(b), exists(c))
	}

	// Reopened: c made older than b on disk, so c goes first.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, c), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, b), old.Add(time.Minute), old.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	st, err = openStore(dir, 250)
	if err != nil {
		t.Fatal(err)
	}
	d := save(st, 'd')
	if exists(c) || !exists(b) || !exists(d) {
		t.Errorf("after reopening and d: b %v, c (oldest) %v, d %v; want c deleted", exists(b), exists(c), exists(d))
	}
}

// An upload is written under a temporary name and renamed: the folder
// holds only complete uploads, and reopening it removes the temporary file
// a stopped run left (and nothing else that is not the store's).
func TestStoreWritesCompleteFilesOnly(t *testing.T) {
	dir := t.TempDir()
	leftover := filepath.Join(dir, "."+storedPrefix+"0123.png"+tmpSuffix)
	other := filepath.Join(dir, ".keep.tmp")
	for _, p := range []string{leftover, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, err := openStore(dir, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the leftover temporary upload is still there (%v)", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not the store's was removed: %v", err)
	}
	name, err := st.save([]byte("picture"), "png")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{".keep.tmp", name}) {
		t.Errorf("folder holds %q, want only %q besides .keep.tmp", names, name)
	}
	if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != "picture" {
		t.Errorf("%s: %q, %v", name, b, err)
	}
}

// An upload that could not be kept (here its folder was removed) is still
// answered, and the request's log line is a warning, naming the cause.
func TestStoreFailureIsAWarning(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	var logs logBuffer
	cfg := testConfig()
	cfg.StoreUploadsDir = dir
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	h := newTestHandler(t, cfg, nil)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if rec := do(h, "POST", "/api/predict", "", imagetest.Encode(t, "png", solid(8, 8, red))); rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var found bool
	for _, l := range logs.lines(t) {
		if l["msg"] == "request" {
			found = true
			if l["level"] != "WARN" || l["store_error"] == nil {
				t.Errorf("request log %v: want level WARN with store_error", l)
			}
		}
	}
	if !found {
		t.Error("no request log line")
	}
}

func TestNothingStoredByDefault(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var logs logBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	// Anywhere, not only in the working directory: the server has no store
	// and logs no stored upload.
	s, err := newServer(cfg, fake.New())
	if err != nil {
		t.Fatal(err)
	}
	if s.store != nil {
		t.Errorf("a store in %s without StoreUploadsDir", s.store.dir)
	}
	body, ct := fileForm(t, "a.png", imagetest.Encode(t, "png", solid(8, 8, red)))
	if rec := do(s.handler, "POST", "/api/predict", ct, body); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files appeared in the working directory: %v", entries)
	}
	lines := logs.lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1: %v", len(lines), lines)
	}
	for _, key := range []string{"stored", "store_error"} {
		if v, ok := lines[0][key]; ok {
			t.Errorf("the request's log line has %s=%v", key, v)
		}
	}
}

// logBuffer is a concurrency-safe buffer for a JSON slog handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestOneLogLinePerRequest(t *testing.T) {
	var logs logBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	h := newTestHandler(t, cfg, nil)
	png := imagetest.Encode(t, "png", solid(8, 8, green))
	body, ct := fileForm(t, "secret-holiday-name.png", png)
	do(h, "POST", "/api/predict?lang=ja", ct, body)
	do(h, "POST", "/api/predict", "", []byte("plain text"))
	do(h, "GET", "/", "", nil)
	failing := fake.New()
	failing.Fail = true
	do(newTestHandler(t, cfg, failing), "POST", "/api/predict", "", png)

	lines := logs.lines(t)
	if len(lines) != 4 {
		t.Fatalf("%d log lines, want 4: %v", len(lines), lines)
	}
	if l := lines[3]; l["status"] != 500.0 || l["level"] != "ERROR" || l["error"] != CodePredictionFailed ||
		!strings.Contains(fmt.Sprint(l["cause"]), "asked to fail") {
		t.Errorf("server fault logged as %v", l)
	}
	first := lines[0]
	for k, want := range map[string]any{"msg": "request", "method": "POST", "path": "/api/predict", "status": 200.0, "class": "boar", "level": "INFO"} {
		if first[k] != want {
			t.Errorf("log %s = %v, want %v", k, first[k], want)
		}
	}
	if _, ok := first["duration_ms"].(float64); !ok {
		t.Errorf("no duration_ms: %v", first)
	}
	if b, _ := first["bytes"].(float64); b <= 0 {
		t.Errorf("bytes = %v", first["bytes"])
	}
	if lines[1]["status"] != 415.0 || lines[1]["error"] != CodeUnsupportedMediaType || lines[1]["level"] != "WARN" {
		t.Errorf("error request logged as %v", lines[1])
	}
	if lines[2]["path"] != "/" || lines[2]["status"] != 200.0 {
		t.Errorf("page request logged as %v", lines[2])
	}
	all := logs.buf.String()
	for _, secret := range []string{"secret-holiday-name", "PNG", "plain text", "lang=ja"} {
		if strings.Contains(all, secret) {
			t.Errorf("the log contains %q:\n%s", secret, all)
		}
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	cl := &gate{Classifier: fake.New(), started: started, release: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type returned struct {
		err error
		at  time.Time
	}
	done := make(chan returned, 1)
	go func() {
		err := Serve(ctx, ln, testConfig(), cl)
		done <- returned{err, time.Now()}
	}()
	url := "http://" + ln.Addr().String()

	type result struct {
		status int
		err    error
	}
	inflight := make(chan result, 1)
	body := imagetest.Encode(t, "png", solid(8, 8, red))
	go func() {
		resp, err := http.Post(url+"/api/predict", "image/png", bytes.NewReader(body))
		if err != nil {
			inflight <- result{err: err}
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		inflight <- result{status: resp.StatusCode}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the classifier")
	}
	cancel() // as SIGTERM would
	// No new connections once shutting down: the listener closes while
	// the request is still in the classifier.
	waitRefused(t, ln.Addr().String())
	// The shutdown has begun; Serve must wait for the request, so it
	// returns only after the classifier is released.
	released := time.Now()
	close(cl.release)
	if r := <-inflight; r.err != nil || r.status != 200 {
		t.Errorf("in-flight request: %+v", r)
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Errorf("Serve: %v", r.err)
		}
		if r.at.Before(released) {
			t.Errorf("Serve returned %v before the in-flight request was let finish", released.Sub(r.at))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
}

// waitRefused waits until connections to addr are refused (its listener
// closed), failing the test if that takes more than 10 s.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("connections still accepted 10 s after the shutdown began")
		}
		time.Sleep(5 * time.Millisecond) // poll interval, not synchronisation
	}
}

// A request that never finishes does not keep the server alive past
// ShutdownTimeout: Serve closes the connections and says the graceful
// shutdown failed.
func TestServeShutdownTimeout(t *testing.T) {
	started := make(chan struct{})
	cl := &gate{Classifier: fake.New(), started: started, release: make(chan struct{})}
	t.Cleanup(func() { close(cl.release) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.ShutdownTimeout = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, cfg, cl) }()
	body := imagetest.Encode(t, "png", solid(8, 8, red))
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/api/predict", "image/png", bytes.NewReader(body))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the classifier")
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "graceful shutdown: 1 request still running after 100ms, cut off") || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve after the shutdown timeout: %v, want a graceful shutdown error counting the request cut off (deadline exceeded)", err)
		}
		if d := time.Since(start); d < 90*time.Millisecond {
			t.Errorf("Serve returned %v after the cancel, before the 100 ms shutdown timeout", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still waiting for the request 5 s after the cancel, with a 100 ms shutdown timeout")
	}
}

// A connection whose request is still arriving (no handler runs yet) also
// outlasts ShutdownTimeout: the error says so, rather than "0 requests".
func TestServeShutdownTimeoutWhileARequestArrives(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The server has accepted the connection (net/http's Shutdown waits for
	// a new one, whose request has not come whole, up to 5 s).
	accepted := make(chan struct{}, 1)
	connStateHook = func(st http.ConnState) {
		if st == http.StateNew {
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}
	t.Cleanup(func() { connStateHook = nil })
	cfg := testConfig()
	cfg.ShutdownTimeout = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, cfg, fake.New()) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\n")); err != nil { // and no more
		t.Fatal(err)
	}
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never accepted the connection")
	}
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "graceful shutdown: connections still open (requests still arriving) after 100ms, cut off") {
			t.Errorf("Serve after the shutdown timeout: %v, want it to say connections were still open", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still waiting 10 s after the cancel, with a 100 ms shutdown timeout")
	}
}

// gate is a classifier whose Predict signals its start and waits for
// release (except for the warm-up prediction).
type gate struct {
	*fake.Classifier
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gate) Predict(imgs ...image.Image) ([]predict.Prediction, error) {
	if imgs[0].Bounds().Dx() != g.Meta().ImageSize { // not Serve's warm-up
		g.once.Do(func() { close(g.started) })
		<-g.release
	}
	return g.Classifier.Predict(imgs...)
}

func TestListenAndServeErrors(t *testing.T) {
	cfg := testConfig()
	cfg.Addr = "127.0.0.1:-1"
	if err := ListenAndServe(context.Background(), cfg, fake.New()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("bad address: %v", err)
	}
	cfg = testConfig()
	cfg.MaxPixels = -1
	if err := ListenAndServe(context.Background(), cfg, fake.New()); err == nil {
		t.Error("invalid config accepted")
	}
	failing := fake.New()
	failing.Fail = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := Serve(context.Background(), ln, testConfig(), failing); !errors.Is(err, fake.ErrFake) {
		t.Errorf("a model that cannot predict: %v", err)
	}
	// Damaged weights that answer NaN: refused at start, not served as
	// healthy to fail every request.
	nanLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // should it serve
	defer cancel()
	if err := Serve(ctx, nanLn, testConfig(), nanClassifier{fake.New()}); err == nil || !strings.Contains(err.Error(), "warm-up prediction: check prediction: probability of monkey is NaN") {
		t.Errorf("a model that answers NaN: %v", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("the listener was left open")
	}
}

func TestOversizedUploadRefusedBeforeItIsSent(t *testing.T) {
	// With "Expect: 100-continue" (curl sends it for large bodies) a
	// declared-too-large upload is refused before its body is transferred.
	cfg := testConfig()
	cfg.MaxUploadBytes = 1 << 10
	srv := httptest.NewServer(newTestHandler(t, cfg, nil))
	defer srv.Close()
	body := &countingReader{r: bytes.NewReader(make([]byte, 8<<20))}
	req, _ := http.NewRequest("POST", srv.URL+"/api/predict", body)
	req.ContentLength = 8 << 20
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e ErrorResponse
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != 413 || e.Error != CodeBodyTooLarge {
		t.Errorf("got %d %+v", resp.StatusCode, e)
	}
	if n := body.n.Load(); n > 1<<20 {
		t.Errorf("%d body bytes were sent", n)
	}
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestConfigFlags(t *testing.T) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	err := fs.Parse([]string{"-addr", "127.0.0.1:9999", "-max-upload-bytes", "1000", "-max-pixels", "4000",
		"-store-uploads", "/tmp/x", "-store-quota-bytes", "5000", "-read-timeout", "3s", "-write-timeout", "4s",
		"-idle-timeout", "5s", "-read-header-timeout", "1s", "-shutdown-timeout", "2s", "-max-concurrent", "7", "-queue-timeout", "9s", "-max-uploads", "11",
		"-allowed-hosts", "animals.example.com, cat.example"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: "127.0.0.1:9999", AllowedHosts: []string{"animals.example.com", "cat.example"}, MaxUploadBytes: 1000, MaxPixels: 4000, StoreUploadsDir: "/tmp/x", StoreQuotaBytes: 5000,
		ReadTimeout: 3 * time.Second, WriteTimeout: 4 * time.Second, IdleTimeout: 5 * time.Second, ReadHeaderTimeout: time.Second,
		ShutdownTimeout: 2 * time.Second, MaxConcurrent: 7, QueueTimeout: 9 * time.Second, MaxUploads: 11}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("parsed %+v\nwant   %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	bad := DefaultConfig()
	bad.MaxConcurrent, bad.StoreUploadsDir, bad.StoreQuotaBytes, bad.IdleTimeout, bad.MaxUploads = 0, "/tmp/x", 0, -time.Second, -1
	bad.AllowedHosts = []string{"animals.example.com:8080"}
	err = bad.Validate()
	if err == nil || !strings.Contains(err.Error(), "max concurrent") || !strings.Contains(err.Error(), "max uploads") || !strings.Contains(err.Error(), "quota") || !strings.Contains(err.Error(), "idle timeout") ||
		!strings.Contains(err.Error(), `allowed hosts must be host names without port or scheme, got "animals.example.com:8080"`) ||
		strings.Contains(err.Error(), "\n") || strings.Count(err.Error(), "serve: ") != 1 {
		t.Errorf("Validate: %q, want every problem on one line", err)
	}
	d := DefaultConfig()
	if d.MaxUploadBytes != 10<<20 || d.StoreUploadsDir != "" || d.ReadHeaderTimeout <= 0 || d.ReadTimeout <= 0 || d.WriteTimeout <= 0 || d.IdleTimeout <= 0 {
		t.Errorf("defaults %+v", d)
	}
}

// A server with settings Validate refuses fails before it makes anything:
// not even the folder to store uploads in.
func TestServeRefusesBadConfigBeforeStoring(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.StoreUploadsDir = filepath.Join(t.TempDir(), "uploads")
	cfg.MaxConcurrent = 0
	if err := Serve(context.Background(), ln, cfg, fake.New()); err == nil || !strings.Contains(err.Error(), "max concurrent") {
		t.Errorf("Serve with max concurrent 0: %v, want Validate's error", err)
	}
	if _, err := os.Stat(cfg.StoreUploadsDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the store's folder after a refused start: %v, want it not made", err)
	}
}

// A store folder belongs to one server: a second one fails at start, before
// touching the folder (it would delete the first one's uploads in progress).
func TestServeStoreLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	unlock, err := lockStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("store folder: %v, %v, want mode 0700", st, err)
	}
	inProgress := filepath.Join(dir, "."+storedPrefix+"1"+tmpSuffix)
	if err := os.WriteFile(inProgress, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.StoreUploadsDir = dir
	if err := Serve(t.Context(), ln, cfg, fake.New()); !errors.Is(err, dirlock.ErrBusy) {
		t.Errorf("second server on one store: %v, want dirlock.ErrBusy", err)
	}
	if _, err := os.Stat(inProgress); err != nil {
		t.Errorf("the first server's upload in progress was removed: %v", err)
	}
}

// Over a real connection, an upload that breaks off is answered with an
// error, never with net/http's implicit empty 200: a body cut short (the
// client closed its sending side) gets 400, one that stops arriving gets
// 408 after ReadTimeout, and a complete request whose client hangs up
// while it waits for a decode slot gets no answer at all (499 in the log).
func TestBrokenUploadsOverTheWire(t *testing.T) {
	started := make(chan struct{})
	cl := &gate{Classifier: fake.New(), started: started, release: make(chan struct{})}
	cfg := testConfig()
	cfg.ReadTimeout = 500 * time.Millisecond
	cfg.MaxConcurrent = 1
	cfg.QueueTimeout = time.Hour // only the hang-up ends the wait below
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, cfg, cl) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	png := imagetest.Encode(t, "png", solid(8, 8, red))
	head := fmt.Sprintf("POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n", len(png))

	// send writes head and body on a new connection, closes its sending
	// side when halfClose, and returns the whole answer, once the server
	// has closed the connection.
	send := func(body []byte, halfClose bool) string {
		// t.Error, not t.Fatal: send also runs in a goroutine of its own.
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Error(err)
			return ""
		}
		defer c.Close()
		if _, err := c.Write(append([]byte(head), body...)); err != nil {
			t.Error(err)
			return ""
		}
		if halfClose {
			if err := c.(*net.TCPConn).CloseWrite(); err != nil {
				t.Error(err)
				return ""
			}
		}
		if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Error(err)
			return ""
		}
		answer, err := io.ReadAll(c)
		if err != nil {
			t.Errorf("the server neither answered nor closed the connection in 10 s: %v (so far %q)", err, answer)
		}
		return string(answer)
	}
	for _, tc := range []struct {
		name      string
		body      []byte
		halfClose bool
		want      string
	}{
		{"body cut short", png[:len(png)/2], true, "HTTP/1.1 400 "},
		{"body stops arriving", png[:len(png)/2], false, "HTTP/1.1 408 "},
	} {
		answer := send(tc.body, tc.halfClose)
		if !strings.HasPrefix(answer, tc.want) {
			t.Errorf("%s: answer %q, want %q", tc.name, answer, tc.want)
		}
		if tc.want == "HTTP/1.1 408 " && !strings.Contains(answer, `"error":"`+CodeRequestTimeout+`"`) {
			t.Errorf("%s: answer %q, want error %s", tc.name, answer, CodeRequestTimeout)
		}
	}

	// The one decode slot is taken; a complete request queued behind it
	// whose client closes its sending side is cut off unanswered.
	first := make(chan string, 1)
	go func() { first <- send(png, false) }()
	<-started
	if answer := send(png, true); answer != "" {
		t.Errorf("queued request whose client hung up: answer %q, want the connection closed unanswered", answer)
	}
	close(cl.release)
	if answer := <-first; !strings.HasPrefix(answer, "HTTP/1.1 200 ") {
		t.Errorf("first request: %q", answer)
	}
}

// A server listening on a loopback address answers only requests naming
// localhost, an IP address or an allowed host: a page whose domain resolves
// to 127.0.0.1 (DNS rebinding) is refused, in the route's format. A server
// listening on every interface does not check the Host header.
func TestServeRefusesOtherHosts(t *testing.T) {
	serveOn := func(t *testing.T, addr string, allowed ...string) string {
		t.Helper()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skip(err)
		}
		cfg := testConfig()
		cfg.AllowedHosts = allowed
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Serve(ctx, ln, cfg, fake.New()) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		return port
	}
	get := func(t *testing.T, port, host, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+port+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	port := serveOn(t, "127.0.0.1:0", "animals.example.com")
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "app.localhost", "animals.example.com", "ANIMALS.example.com.:" + port} {
		if code, body := get(t, port, host, "/healthz"); code != http.StatusOK {
			t.Errorf("Host %s: %d %s, want 200", host, code, body)
		}
	}
	if code, body := get(t, port, "rebound.example:"+port, "/healthz"); code != http.StatusForbidden || !strings.Contains(body, `"error":"`+CodeHostNotAllowed+`"`) {
		t.Errorf("Host rebound.example on /healthz: %d %s, want 403 %s in JSON", code, body, CodeHostNotAllowed)
	}
	if code, body := get(t, port, "rebound.example", "/"); code != http.StatusForbidden || !strings.Contains(body, "<html") || !strings.Contains(body, "rebound.example") {
		t.Errorf("Host rebound.example on the page: %d %s, want a 403 page naming the host", code, body)
	}
	open := serveOn(t, "0.0.0.0:0")
	if code, body := get(t, open, "rebound.example", "/healthz"); code != http.StatusOK {
		t.Errorf("Host rebound.example on a server listening on every interface: %d %s, want 200 (no check)", code, body)
	}
}
