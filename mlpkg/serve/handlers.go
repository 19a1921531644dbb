package serve

import (
	"net/http"
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
	return s.logRequests(s.recoverPanics(securityHeaders(s.refuseOtherHosts(refuseCrossOrigin(mux)))))
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

// writeErrorJSON answers an API error as JSON.
func writeErrorJSON(w http.ResponseWriter, r *http.Request, e *apiError) {
	noteError(w, r, e)
	writeJSON(w, e.status, ErrorResponse{Error: e.code, Message: e.message})
}

// noteError records e for the request's log line (its code, and its cause
// for server faults) and sets the headers its status calls for. A request
// whose client went away (clientClosed) is not answered: noteError cuts its
// connection (panicking with http.ErrAbortHandler, which net/http handles)
// rather than let net/http send an empty 200.
func noteError(w http.ResponseWriter, r *http.Request, e *apiError) {
	info := infoFrom(r.Context())
	info.code = e.code
	if e.status >= 500 {
		info.err = e
	}
	switch e.status {
	case statusClientClosed:
		panic(http.ErrAbortHandler)
	case http.StatusRequestEntityTooLarge, http.StatusRequestTimeout:
		// The rest of the body is not read: the connection cannot be reused.
		w.Header().Set("Connection", "close")
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// requestStart is when the request's handling began (set by logRequests).
func requestStart(r *http.Request) time.Time {
	return infoFrom(r.Context()).start
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
	s.renderPage(w, e.status, d)
}
