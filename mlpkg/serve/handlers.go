package serve

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("POST /{$}", s.handlePageUpload)
	mux.HandleFunc("POST /api/predict", s.handlePredict)
	mux.HandleFunc("GET /api/model", s.handleModel)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.Handle("GET /static/", staticHandler())
	// JSON answers for the API's wrong methods and unknown paths.
	mux.HandleFunc("/api/predict", methodNotAllowed("POST"))
	mux.HandleFunc("/api/model", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/healthz", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErrorJSON(w, r, newAPIError(http.StatusNotFound, CodeNotFound, "no such API endpoint", nil))
	})
	mux.HandleFunc("/", s.handleNotFoundPage)
	return s.logRequests(recoverPanics(securityHeaders(mux)))
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeErrorJSON(w, r, newAPIError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			r.Method+" is not allowed here; use "+allow, nil))
	}
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
	data, aerr := s.readUpload(w, r)
	if aerr != nil {
		return nil, aerr
	}
	res, aerr := s.classify(r.Context(), data)
	if aerr != nil {
		return nil, aerr
	}
	if info := infoFrom(r.Context()); info != nil {
		info.class = res.pred.Class
	}
	if s.store != nil {
		name, err := s.store.save(data, res.info.Format)
		if info := infoFrom(r.Context()); info != nil {
			info.stored, info.storeErr = name, err
		}
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

// writeErrorJSON answers an API error as JSON.
func writeErrorJSON(w http.ResponseWriter, r *http.Request, e *apiError) {
	noteError(w, r, e)
	writeJSON(w, e.status, ErrorResponse{Error: e.code, Message: e.message})
}

// noteError records e for the request's log line (its code, and its cause
// for server faults) and sets the headers its status calls for.
func noteError(w http.ResponseWriter, r *http.Request, e *apiError) {
	if info := infoFrom(r.Context()); info != nil {
		info.code = e.code
		if e.status >= 500 {
			info.err = e
		}
	}
	switch e.status {
	case http.StatusRequestEntityTooLarge:
		// The rest of the body is not read: the connection cannot be reused.
		w.Header().Set("Connection", "close")
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// requestStart is when the request's handling began (set by logRequests).
func requestStart(r *http.Request) time.Time {
	if info := infoFrom(r.Context()); info != nil {
		return info.start
	}
	return time.Now()
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

// recoverPanics answers 500 for a handler panic instead of dropping the
// connection, and logs it.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				if info := infoFrom(r.Context()); info != nil {
					info.panicked = p
				}
				writeErrorJSON(w, r, newAPIError(http.StatusInternalServerError, CodeInternal, "internal error", nil))
			}
		}()
		next.ServeHTTP(w, r)
	})
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
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
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
// its cause for 5xx) and the stored upload's name. Never any image data,
// query string or client file name.
func (s *server) logRequests(next http.Handler) http.Handler {
	log := s.cfg.logger()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{start: time.Now()}
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
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
			attrs = append(attrs, "panic", info.panicked)
		}
		level := slogLevel(status)
		log.Log(r.Context(), level, "request", attrs...)
	})
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
