// Package serve is the web front end of the animal classifier: the course's
// Flask app done as a production Go service. New builds an http.Handler from
// a loaded classifier; ListenAndServe and Serve run it with timeouts and a
// graceful shutdown.
//
// Routes:
//
//	GET  /              upload page (works without JavaScript; with it, drag-and-drop and live results)
//	POST /              the same form posted without JavaScript: a result page
//	POST /api/predict   multipart "file" field or a raw image body → PredictResponse (JSON)
//	GET  /api/model     ModelResponse (JSON)
//	GET  /healthz       HealthResponse (JSON)
//	GET  /static/...    embedded CSS and JavaScript
//
// The image type is decided by sniffing its bytes, its size is capped
// (Config.MaxUploadBytes, 413) and its pixel count is read from the header
// before decoding (Config.MaxPixels, 422). At most Config.MaxUploads uploads
// are handled at once (more wait, their body not read, up to
// Config.QueueTimeout, then get 503), and at most Config.MaxConcurrent are
// decoded and classified at once.
// Other methods on the known paths get 405 with an Allow header. API errors are ErrorResponse
// values with a stable Code* error code. The display language comes from
// ?lang= or Accept-Language, among the languages of the model metadata's
// display names. Each request logs one structured line.
//
// A notebook cell (or any program) can start a server in a goroutine and
// stop it, as notebooks/06_serve.ipynb does:
//
//	ctx, stop := context.WithCancel(context.Background())
//	served := make(chan error, 1)
//	go func() { served <- serve.ListenAndServe(ctx, serve.DefaultConfig(), predictor) }()
//	...
//	stop()          // stops accepting connections
//	err := <-served // waits for in-flight requests: nil after a graceful stop (a busy port is an error too)
package serve

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
)

// Classifier is what the server needs from a model: *predict.Predictor
// satisfies it. Predict must be safe for concurrent use.
type Classifier interface {
	// Predict classifies each image; it returns one Prediction per image.
	Predict(imgs ...image.Image) ([]predict.Prediction, error)
	// Meta describes the model: classes, display names, image size, metrics.
	Meta() *model.Meta
	// Backend names the backend the model runs on, e.g. "go" or "xla:cpu".
	Backend() string
}

// New returns the server's handler for classifier c, configured by cfg.
// It validates cfg and the model's metadata, and opens the upload store when
// cfg.StoreUploadsDir is set.
func New(cfg Config, c Classifier) (http.Handler, error) {
	s, err := newServer(cfg, c)
	if err != nil {
		return nil, err
	}
	return s.handler, nil
}

// ListenAndServe listens on cfg.Addr and serves classifier c until ctx is
// cancelled, then shuts down gracefully: it stops accepting connections and
// waits up to cfg.ShutdownTimeout for in-flight requests to finish. It
// returns nil after a graceful shutdown.
func ListenAndServe(ctx context.Context, cfg Config, c Classifier) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err) // "listen tcp ADDR: …"
	}
	return Serve(ctx, ln, cfg, c)
}

// Serve is ListenAndServe on a listener the caller opened (e.g. on port 0 to
// get a free port); cfg.Addr is ignored. Before serving it runs one warm-up
// prediction, so a broken model (one that fails, or answers NaN) fails at
// start. Serve closes ln.
func Serve(ctx context.Context, ln net.Listener, cfg Config, c Classifier) error {
	if err := cfg.Validate(); err != nil { // before lockStore makes the store's folder
		ln.Close()
		return err
	}
	if cfg.StoreUploadsDir != "" {
		// Two servers on one store would delete each other's uploads in
		// progress and share a quota neither counts.
		unlock, err := lockStore(cfg.StoreUploadsDir)
		if err != nil {
			ln.Close()
			return fmt.Errorf("serve: %w", err)
		}
		defer unlock()
	}
	s, err := newServer(cfg, c)
	if err != nil {
		ln.Close()
		return err
	}
	log := s.cfg.logger()
	// One prediction before the first request: a broken model fails here,
	// and the first visitor does not pay for compilation.
	start := time.Now()
	preds, err := c.Predict(image.NewRGBA(image.Rect(0, 0, s.meta.ImageSize, s.meta.ImageSize)))
	if err == nil && len(preds) != 1 {
		err = fmt.Errorf("%d predictions for 1 image", len(preds))
	}
	if err == nil {
		err = checkPrediction(preds[0], s.meta.Classes) // NaN from damaged weights fails here, not on every request
	}
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve: warm-up prediction: %w", err)
	}
	log.Info("model ready", "model_id", s.meta.ModelID, "warm_up_ms", ms(time.Since(start)))
	if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		s.checkHost = true
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if hook := connStateHook; hook != nil {
		srv.ConnState = func(_ net.Conn, st http.ConnState) { hook(st) }
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "model_id", s.meta.ModelID, "backend", c.Backend(),
		"max_upload_bytes", cfg.MaxUploadBytes, "max_pixels", cfg.MaxPixels, "max_concurrent", cfg.MaxConcurrent,
		"max_uploads", s.cfg.maxUploads(), "store_uploads", cfg.StoreUploadsDir != "")

	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "addr", ln.Addr().String(), "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	if shutdownErr != nil {
		cut := "connections still open (requests still arriving)" // none in a handler
		switch n := s.running.Load(); n {                         // before Close lets the handlers end
		case 0:
		case 1:
			cut = "1 request still running"
		default:
			cut = fmt.Sprintf("%d requests still running", n)
		}
		srv.Close()
		return fmt.Errorf("serve %s: graceful shutdown: %s after %s, cut off: %w", ln.Addr(), cut, cfg.ShutdownTimeout, shutdownErr)
	}
	log.Info("stopped", "addr", ln.Addr().String())
	return nil
}

// connStateHook, when set (by tests, before Serve), sees every change of
// state of Serve's connections.
var connStateHook func(http.ConnState)

// server holds everything the handlers share.
type server struct {
	cfg     Config
	cl      Classifier
	meta    *model.Meta
	langs   *languages
	slots   chan struct{} // decode/predict semaphore (MaxConcurrent)
	uploads chan struct{} // admission semaphore (MaxUploads), taken before the body is read
	store   *uploadStore  // nil unless storing uploads
	handler http.Handler
	running atomic.Int64 // requests being handled
	// checkHost makes refuseOtherHosts check the Host header: Serve sets it,
	// before serving, when it listens on a loopback address only.
	checkHost bool
}

func newServer(cfg Config, c Classifier) (*server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("serve: no classifier")
	}
	meta := c.Meta()
	if meta == nil || len(meta.Classes) == 0 {
		return nil, errors.New("serve: the classifier's metadata has no classes")
	}
	s := &server{
		cfg:     cfg,
		cl:      c,
		meta:    meta,
		langs:   newLanguages(meta),
		slots:   make(chan struct{}, cfg.MaxConcurrent),
		uploads: make(chan struct{}, cfg.maxUploads()),
	}
	if cfg.StoreUploadsDir != "" {
		st, err := openStore(cfg.StoreUploadsDir, cfg.StoreQuotaBytes)
		if err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		s.store = st
	}
	s.handler = s.routes()
	return s, nil
}
