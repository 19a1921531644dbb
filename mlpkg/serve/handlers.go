package serve

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("POST /{$}", s.handlePageUpload)
	mux.HandleFunc("POST /api/predict", s.handlePredict)
	mux.HandleFunc("GET /api/model", s.handleModel)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.Handle("GET /static/", s.staticHandler())
	// The known paths' other methods: 405 with an Allow header, as JSON for
	// the API and as HTML for the page and its files. (A GET pattern also
	// serves HEAD.) The method-less patterns rank below the method ones.
	mux.HandleFunc("/api/predict", methodNotAllowed("POST"))
	mux.HandleFunc("/api/model", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/healthz", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/{$}", methodNotAllowedPage("GET, HEAD, POST"))
	mux.HandleFunc("/static/", methodNotAllowedPage("GET, HEAD"))
	// Unknown paths: 404 whatever the method, as JSON under /api/.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErrorJSON(w, r, newAPIError(http.StatusNotFound, CodeNotFound, "no such API endpoint", nil))
	})
	mux.HandleFunc("/", s.handleNotFoundPage)
	return s.logRequests(s.recoverPanics(securityHeaders(mux)))
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeErrorJSON(w, r, newAPIError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			r.Method+" is not allowed here; use "+allow, nil))
	}
}

// methodNotAllowedPage is methodNotAllowed for the page's paths: a short
// HTML page.
func methodNotAllowedPage(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		infoFrom(r.Context()).code = CodeMethodNotAllowed
		w.Header().Set("Allow", allow)
		writeShortPage(w, http.StatusMethodNotAllowed, "Method not allowed",
			r.Method+" is not allowed here; use "+allow+".")
	}
}

// isAPIPath reports whether path is answered in JSON.
func isAPIPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz"
}

// handlePredict is POST /api/predict.
func (s *server) handlePredict(w http.ResponseWriter, r *http.Request) {
	start := requestStart(r)
	lang := s.langs.pick(r)
	res, aerr := s.upload(w, r)
	if aerr != nil {
		aerr.message = textFor(lang).errorMessage(aerr)
		writeErrorJSON(w, r, aerr)
		return
	}
	resp := s.predictResponse(res, lang)
	resp.ElapsedMS = ms(time.Since(start))
	writeJSON(w, http.StatusOK, resp)
}

// upload reads, classifies and (when configured) stores one upload, and
// records the predicted class for the request's log line.
func (s *server) upload(w http.ResponseWriter, r *http.Request) (*classified, *apiError) {
	data, release, aerr := s.readUpload(w, r)
	if aerr != nil {
		return nil, aerr
	}
	defer release()
	res, aerr := s.classify(r.Context(), data)
	if aerr != nil {
		return nil, aerr
	}
	info := infoFrom(r.Context())
	info.class = res.pred.Class
	if s.store != nil {
		info.stored, info.storeErr = s.store.save(data, res.info.Format)
	}
	return res, nil
}

func (s *server) predictResponse(res *classified, lang string) PredictResponse {
	p := res.pred
	probs := make([]ClassProbability, len(s.meta.Classes))
	for i, c := range s.meta.Classes {
		probs[i] = ClassProbability{Class: c, DisplayName: s.meta.DisplayName(c, lang), Probability: p.Probabilities[i]}
	}
	return PredictResponse{
		Class:         p.Class,
		DisplayName:   s.meta.DisplayName(p.Class, lang),
		Probability:   p.Probability,
		Probabilities: probs,
		ModelID:       s.meta.ModelID,
		Lang:          lang,
		Image:         res.info,
		PredictMS:     ms(res.elapsed),
	}
}

// handleModel is GET /api/model.
func (s *server) handleModel(w http.ResponseWriter, r *http.Request) {
	lang := s.langs.pick(r)
	classes := make([]ClassInfo, len(s.meta.Classes))
	for i, c := range s.meta.Classes {
		classes[i] = ClassInfo{Class: c, DisplayName: s.meta.DisplayName(c, lang)}
	}
	writeJSON(w, http.StatusOK, ModelResponse{
		ModelID:        s.meta.ModelID,
		Classes:        classes,
		Lang:           lang,
		Languages:      s.langs.tags,
		ImageSize:      s.meta.ImageSize,
		Normalization:  s.meta.Normalization,
		Backend:        s.cl.Backend(),
		TrainedBackend: s.meta.Backend,
		Created:        s.meta.Created,
		DatasetHash:    s.meta.DatasetHash,
		Metrics:        s.meta.Metrics,
		MaxUploadBytes: s.cfg.MaxUploadBytes,
		MaxPixels:      s.cfg.MaxPixels,
	})
}

// handleHealth is GET /healthz.
func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, HealthResponse{Status: "ok", ModelID: s.meta.ModelID})
}

// writeErrorJSON answers an API error as JSON (nothing, when the client is
// gone).
func writeErrorJSON(w http.ResponseWriter, r *http.Request, e *apiError) {
	if !noteError(w, r, e) {
		return
	}
	writeJSON(w, e.status, ErrorResponse{Error: e.code, Message: e.message})
}

// noteError records e for the request's log line (its code, and its cause
// for server faults) and sets the headers its status calls for. It reports
// whether e is to be answered: not when the client closed the request.
func noteError(w http.ResponseWriter, r *http.Request, e *apiError) bool {
	info := infoFrom(r.Context())
	info.code = e.code
	if e.status >= 500 {
		info.err = e
	}
	switch e.status {
	case statusClientClosed:
		return false
	case http.StatusRequestEntityTooLarge:
		// The rest of the body is not read: the connection cannot be reused.
		w.Header().Set("Connection", "close")
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	return true
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// requestStart is when the request's handling began (set by logRequests).
func requestStart(r *http.Request) time.Time {
	return infoFrom(r.Context()).start
}

// securityHeaders sets headers for every response: a strict content
// security policy (nothing loads from outside this server), no sniffing, no
// framing, no referrer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler panic into a 500 answer in the route's
// format (JSON under /api/ and for /healthz, the page with an error
// elsewhere) when the handler has written nothing yet. When it has, a second
// answer would only garble the first, so the response is cut off instead
// (http.ErrAbortHandler: the client sees a broken response, not a short
// one). Either way the panic and its stack go to the request's log line
// (logRequests, which routes installs around it).
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			info := infoFrom(r.Context())
			info.panicked, info.stack = p, debug.Stack()
			if rec.status != 0 {
				panic(http.ErrAbortHandler)
			}
			s.answerPanic(rec, r)
		}()
		next.ServeHTTP(rec, r)
	})
}

// answerPanic answers 500 internal in the format of r's route.
func (s *server) answerPanic(w http.ResponseWriter, r *http.Request) {
	e := newAPIError(http.StatusInternalServerError, CodeInternal, "internal error", nil)
	if isAPIPath(r.URL.Path) {
		writeErrorJSON(w, r, e)
		return
	}
	noteError(w, r, e)
	d := s.pageData(s.langs.pick(r))
	d.Error = &pageError{Code: e.code, Message: d.T.errorMessage(e)}
	s.renderPage(w, r, e.status, d)
}

// requestInfo collects what a request's log line reports besides the HTTP basics.
type requestInfo struct {
	start    time.Time
	class    string // predicted class, if any
	code     string // error code, if any
	stored   string // stored upload's name, if any
	storeErr error  // why the upload could not be stored
	err      error  // cause of a server fault (5xx)
	panicked any
	stack    []byte // where it panicked
}

type infoKey struct{}

// infoFrom returns the request's requestInfo, which logRequests installs.
// Without it (a handler tested on its own) it returns a throwaway one, so
// handlers never check.
func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{start: time.Now()}
}

// statusRecorder captures the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests writes one line per request: method, path, status, bytes,
// duration and, as they apply, the predicted class, the error code (with
// its cause for 5xx), the stored upload's name and a panic with its stack.
// Never any image data, query string or client file name. A request whose
// client went away unanswered is logged with status 499.
func (s *server) logRequests(next http.Handler) http.Handler {
	log := s.cfg.logger()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{start: time.Now()}
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		defer func() {
			// A response cut off with http.ErrAbortHandler is logged too.
			p := recover()
			logRequest(log, r, rec, info, p != nil)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

func logRequest(log *slog.Logger, r *http.Request, rec *statusRecorder, info *requestInfo, aborted bool) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
		if info.code == codeClientClosed {
			status = statusClientClosed
		}
	}
	attrs := []any{
		"method", r.Method, "path", r.URL.Path, "status", status, "bytes", rec.bytes,
		"duration_ms", ms(time.Since(info.start)), "remote", r.RemoteAddr,
	}
	if info.class != "" {
		attrs = append(attrs, "class", info.class)
	}
	if info.code != "" {
		attrs = append(attrs, "error", info.code)
	}
	if info.stored != "" {
		attrs = append(attrs, "stored", info.stored)
	}
	if info.storeErr != nil {
		attrs = append(attrs, "store_error", info.storeErr.Error())
	}
	if info.err != nil {
		attrs = append(attrs, "cause", info.err.Error())
	}
	if info.panicked != nil {
		attrs = append(attrs, "panic", fmt.Sprint(info.panicked), "stack", string(info.stack))
	}
	if aborted {
		attrs = append(attrs, "aborted", true)
	}
	level := slogLevel(status)
	if info.panicked != nil || aborted {
		level = slog.LevelError
	}
	log.Log(r.Context(), level, "request", attrs...)
}

// slogLevel logs client errors as warnings and server errors as errors.
func slogLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
