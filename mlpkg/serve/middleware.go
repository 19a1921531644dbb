package serve

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

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

// refuseCrossOrigin answers 403 to the requests that change something (a
// POST) sent by a browser from a page of another origin, which browsers
// send without asking first for a form or a text body: otherwise any page a
// visitor opens could make their browser post to a server on their machine
// or network. The check is Go's http.CrossOriginProtection: the
// Sec-Fetch-Site header, else Origin against Host. Clients that are not
// browsers send neither and pass.
func refuseCrossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const why = "a page of another site cannot post here"
		if isAPIPath(r.URL.Path) {
			writeErrorJSON(w, r, newAPIError(http.StatusForbidden, CodeCrossOrigin, why, nil))
			return
		}
		infoFrom(r.Context()).code = CodeCrossOrigin
		writeShortPage(w, http.StatusForbidden, "Forbidden", "Refused: "+why+".")
	}))
	return cop.Handler(next)
}

// refuseOtherHosts answers 403 (host_not_allowed) to a request whose Host
// header names another host than localhost, an IP address or one of
// Config.AllowedHosts, when the server listens on a loopback address only
// (Serve sets checkHost). A page of a domain whose name its owner points at
// 127.0.0.1 (DNS rebinding) is, to the browser, of the server's origin, so
// refuseCrossOrigin lets it post; but its requests name that domain as
// Host. Jupyter refuses them the same way.
func (s *server) refuseOtherHosts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.checkHost || hostAllowed(r.Host, s.cfg.AllowedHosts) {
			next.ServeHTTP(w, r)
			return
		}
		why := "this server answers only to localhost, its IP address and the names of -allowed-hosts, not " + r.Host
		if isAPIPath(r.URL.Path) {
			writeErrorJSON(w, r, newAPIError(http.StatusForbidden, CodeHostNotAllowed, why, nil))
			return
		}
		infoFrom(r.Context()).code = CodeHostNotAllowed
		writeShortPage(w, http.StatusForbidden, "Forbidden", "Refused: "+why+".")
	})
}

// hostAllowed reports whether a Host header (a name or address, with or
// without its port) names localhost (or a name under .localhost), an IP
// address, or one of allowed ("*": any). An empty one (HTTP/1.0) is
// allowed: browsers always send it.
func hostAllowed(hostHeader string, allowed []string) bool {
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil {
		return true
	}
	for _, a := range allowed {
		if a == "*" || strings.TrimSuffix(strings.ToLower(a), ".") == host {
			return true
		}
	}
	return false
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
		s.running.Add(1)
		defer s.running.Add(-1)
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
	if info.code == codeClientClosed {
		aborted = false // the cut connection is noteError's, not a fault
	}
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
	if info.storeErr != nil {
		level = max(level, slog.LevelWarn) // answered, but not kept as asked
	}
	if info.panicked != nil || aborted {
		level = slog.LevelError
	}
	log.Log(r.Context(), level, "request", attrs...)
}

// slogLevel logs client errors, and 503 (busy: every classification slot
// taken, as designed under load), as warnings, and other server errors as
// errors.
func slogLevel(status int) slog.Level {
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
