package crawl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrRateLimited matches (errors.Is) the error that stops a crawl when
// Flickr answers 429 or a 5xx with a Retry-After longer than
// Config.MaxRetryAfter, or answers 429 to every retry of a request. Photos
// kept until then stay; a rerun resumes.
var ErrRateLimited = errors.New("rate limited by Flickr")

// ErrHostNotFound matches (errors.Is) the error of a request to a host
// whose name does not resolve: no network, or a mistyped address. It is not
// retried (a name that does not resolve now will not a few seconds later),
// and a crawl that cannot reach Flickr's API stops at once.
var ErrHostNotFound = errors.New("host not found (no network?)")

// httpError is an unexpected HTTP status.
type httpError struct {
	StatusCode int
	Status     string
}

// Error returns the status line.
func (e *httpError) Error() string { return "HTTP " + e.Status }

// retryableError marks an error worth retrying, after at least after.
type retryableError struct {
	err   error
	after time.Duration
}

func (e *retryableError) Error() string { return e.err.Error() }

func (e *retryableError) Unwrap() error { return e.err }

// fetched is a complete 200 response.
type fetched struct {
	body     []byte
	finalURL string // after redirects
	// complete is true when the server marked where the body ends (a
	// Content-Length, which net/http checks, chunks, HTTP/2 or gzip), so
	// all of it arrived; false when only the connection closing ended it,
	// which a transfer cut off does too.
	complete bool
}

// maxAPIBytes bounds an answer of Flickr's API (a search page of 500
// photos is about 300 KB): decoding JSON takes many times its size in
// memory, so the 20 MB allowed for a photo would be too much.
const maxAPIBytes = 4 << 20

// fetch GETs rawURL, a body of at most limit bytes, retrying on network
// errors, timeouts, 429 and 5xx (and on errors check marks retryable) with
// exponential backoff. A Retry-After, or a 429 without one (then for the
// backoff), pauses the whole client, every request of every goroutine; a
// Retry-After longer than MaxRetryAfter, or 429 to every retry, fails with
// ErrRateLimited instead. Errors never contain the API key.
func (c *client) fetch(ctx context.Context, rawURL string, limit int64, check func(*fetched) error) (*fetched, error) {
	var last error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if attempt > 0 {
			wait := c.backoff(attempt)
			// The API's retries are warnings: the crawl waits on them (a
			// search page, the license list); a photo's are routine.
			level, msg := slog.LevelInfo, "retrying"
			if strings.HasPrefix(rawURL, c.cfg.APIURL) {
				level, msg = slog.LevelWarn, "Flickr's API did not answer: retrying"
			}
			c.log.Log(ctx, level, msg, "url", c.redact(rawURL), "attempt", attempt+1, "wait", wait, "error", c.scrub(last).Error())
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
		f, err := c.attempt(ctx, rawURL, limit)
		if err == nil && check != nil {
			err = check(f)
		}
		if err == nil {
			return f, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var re *retryableError
		if !errors.As(err, &re) {
			return nil, c.scrub(err)
		}
		after := re.after
		if after == 0 && tooManyRequests(err) {
			// Flickr's 429s carry no Retry-After: back off the whole
			// client, not only this request.
			after = c.backoff(attempt + 1)
		}
		if after > 0 {
			c.pause(after)
			if re.after > c.cfg.MaxRetryAfter {
				return nil, c.scrub(rateLimited(re.after, c.cfg.MaxRetryAfter, err))
			}
		}
		last = err
	}
	if tooManyRequests(last) {
		// Every photo after this one would be refused too: stop the crawl.
		return nil, c.scrub(fmt.Errorf("%w: Flickr answered %d requests in a row with %v; photos kept so far stay, rerun later to resume",
			ErrRateLimited, c.cfg.Retries+1, last))
	}
	if c.cfg.Retries == 0 {
		return nil, c.scrub(last)
	}
	return nil, c.scrub(fmt.Errorf("%d attempts: %w", c.cfg.Retries+1, last))
}

// tooManyRequests reports whether err is an HTTP 429 answer.
func tooManyRequests(err error) bool {
	var he *httpError
	return errors.As(err, &he) && he.StatusCode == http.StatusTooManyRequests
}

// rateLimited is the error wrapping ErrRateLimited for a wait longer than
// limit that the server asked for (cause, when known, its answer).
func rateLimited(wait, limit time.Duration, cause error) error {
	err := fmt.Errorf("%w: Flickr asks to wait %v before the next request, more than the %v the crawler waits; "+
		"photos kept so far stay, rerun later to resume", ErrRateLimited, wait.Round(time.Second), limit)
	if cause != nil {
		err = fmt.Errorf("%w (%v)", err, cause)
	}
	return err
}

// pause delays every later request of the client by d from now (unless a
// longer pause is already set).
func (c *client) pause(d time.Duration) {
	c.pauseMu.Lock()
	defer c.pauseMu.Unlock()
	if t := time.Now().Add(d); t.After(c.notBefore) {
		c.notBefore = t
		c.log.Info("pausing every request", "wait", d)
	}
}

// waitPause waits until the client's pause is over; a pause longer than
// MaxRetryAfter fails at once with ErrRateLimited.
func (c *client) waitPause(ctx context.Context) error {
	for {
		c.pauseMu.Lock()
		d := time.Until(c.notBefore)
		c.pauseMu.Unlock()
		switch {
		case d <= 0:
			return nil
		case d > c.cfg.MaxRetryAfter:
			return rateLimited(d, c.cfg.MaxRetryAfter, nil)
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// attempt makes one request, after any pause and its turn from the rate
// limiter, with the per-attempt time limit.
func (c *client) attempt(ctx context.Context, rawURL string, limit int64) (*fetched, error) {
	if err := c.waitPause(ctx); err != nil {
		return nil, err
	}
	if err := c.limiter.Wait(ctx); err != nil {
		// Cancelled, or no turn before ctx's deadline: nothing to do but
		// wait for it, so the caller sees ctx's error, not a failed photo.
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if err := c.waitPause(ctx); err != nil { // set while waiting for the turn
		return nil, err
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	c.log.Debug("GET", "url", c.redact(rawURL))
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = c.redact(ue.URL)
		}
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, fmt.Errorf("%w: %w", ErrHostNotFound, err)
		}
		return nil, &retryableError{err: err}
	}
	defer func() {
		// Read a little of what is left (an error page), so that the
		// connection can be reused, then close.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return nil, &retryableError{err: &httpError{StatusCode: resp.StatusCode, Status: resp.Status}, after: retryAfter(resp.Header)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &httpError{StatusCode: resp.StatusCode, Status: resp.Status}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		// Truncated bodies (connection closed before Content-Length) and
		// timeouts while reading land here.
		return nil, &retryableError{err: fmt.Errorf("read body: %w", err)}
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("body larger than %d bytes", limit)
	}
	complete := resp.ContentLength >= 0 || slices.Contains(resp.TransferEncoding, "chunked") ||
		resp.ProtoMajor >= 2 || resp.Uncompressed
	return &fetched{body: body, finalURL: resp.Request.URL.String(), complete: complete}, nil
}

// maxRetryAfterSeconds is the longest Retry-After in seconds that a
// time.Duration holds (about 292 years).
const maxRetryAfterSeconds = int64(math.MaxInt64 / time.Second)

// retryAfter parses a Retry-After header (seconds or HTTP date); 0 if absent.
// More seconds than a time.Duration holds give the longest Duration of whole
// seconds: a wait too long to make, never a short (overflowed) one.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	// Out of range, ParseInt returns the largest int64 with ErrRange.
	if s, err := strconv.ParseInt(v, 10, 64); (err == nil || errors.Is(err, strconv.ErrRange)) && s >= 0 {
		return time.Duration(min(s, maxRetryAfterSeconds)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// backoff is the wait before retry number attempt (1, 2, …): Backoff,
// doubled at each retry, at most MaxBackoff.
func (c *client) backoff(attempt int) time.Duration {
	d := c.cfg.Backoff
	for range attempt - 1 { // doubled step by step: a shift by attempt-1 overflows
		if d >= c.cfg.MaxBackoff {
			break
		}
		d *= 2
	}
	return min(d, c.cfg.MaxBackoff)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// apiKeyParam matches the api_key parameter of a URL, with its value.
var apiKeyParam = regexp.MustCompile(`(api_key=)[^&#\s"']*`)

// minRawKeyLen is the shortest API key also replaced wherever it appears
// outside an api_key parameter: a shorter one (a test key such as "k")
// would garble every word that contains it. Flickr's keys have 32 letters.
const minRawKeyLen = 8

// redact replaces the API key in a URL or text: the value of any api_key
// parameter, and the key itself wherever it appears (when it is
// minRawKeyLen long or more).
func (c *client) redact(s string) string {
	if c.key == "" {
		return s
	}
	s = apiKeyParam.ReplaceAllString(s, "${1}REDACTED")
	if len(c.key) >= minRawKeyLen {
		s = strings.ReplaceAll(s, c.key, "REDACTED")
		s = strings.ReplaceAll(s, url.QueryEscape(c.key), "REDACTED")
	}
	return s
}

// scrub returns err, or an error with the same chain whose text has the API
// key replaced, should the text contain it.
func (c *client) scrub(err error) error {
	if err == nil || c.key == "" {
		return err
	}
	msg := err.Error()
	if red := c.redact(msg); red != msg {
		return &scrubbedError{msg: red, err: err}
	}
	return err
}

// scrubbedError is an error whose text was redacted.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Unwrap() error { return e.err }
