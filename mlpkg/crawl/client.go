package crawl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Client talks to Flickr's API and image servers: every request waits for
// the one rate limiter, carries the User-Agent, has a time limit and is
// retried on transient failures. It is safe for concurrent use.
type Client struct {
	cfg     Config
	key     string
	http    *http.Client
	limiter *rate.Limiter
	log     *slog.Logger
}

// NewClient checks cfg (Classes may be empty) and resolves the API key:
// without one it returns an error wrapping ErrNoAPIKey.
func NewClient(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("crawl config: %w", err)
	}
	key, err := cfg.resolveAPIKey()
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	lim := rate.Inf
	if cfg.Interval > 0 {
		lim = rate.Every(cfg.Interval)
	}
	return &Client{cfg: cfg, key: key, http: hc, limiter: rate.NewLimiter(lim, 1), log: cfg.Logger}, nil
}

// SearchParams selects one page of flickr.photos.search results.
type SearchParams struct {
	Text    string // search text
	Page    int    // 1-based page (1 when 0)
	PerPage int    // page size, at most MaxPerPage (the config's when 0)
}

// Search runs flickr.photos.search for one page: photos only, the config's
// sort, safe search, license filter and size (url_<size>), with license and
// owner name. An invalid key gives an error matching ErrInvalidAPIKey; code
// 105 (service unavailable) is retried like a 5xx.
func (c *Client) Search(ctx context.Context, p SearchParams) (*SearchResult, error) {
	if strings.TrimSpace(p.Text) == "" {
		return nil, errors.New("search: empty search text")
	}
	if p.Page < 1 {
		p.Page = 1
	}
	if p.PerPage <= 0 {
		p.PerPage = c.cfg.perPage()
	}
	p.PerPage = min(p.PerPage, MaxPerPage)
	u, err := url.Parse(c.cfg.APIURL)
	if err != nil {
		return nil, fmt.Errorf("search: API URL: %w", err)
	}
	q := u.Query()
	q.Set("method", "flickr.photos.search")
	q.Set("api_key", c.key)
	q.Set("text", p.Text)
	q.Set("page", strconv.Itoa(p.Page))
	q.Set("per_page", strconv.Itoa(p.PerPage))
	q.Set("media", "photos")
	q.Set("sort", c.cfg.Sort)
	q.Set("safe_search", strconv.Itoa(c.cfg.SafeSearch))
	q.Set("extras", "url_"+c.cfg.Size+",license,owner_name")
	if len(c.cfg.Licenses) > 0 {
		q.Set("license", strings.Join(c.cfg.Licenses, ","))
	}
	q.Set("format", "json")
	q.Set("nojsoncallback", "1")
	u.RawQuery = q.Encode()

	c.log.Debug("flickr search", "text", p.Text, "page", p.Page, "per_page", p.PerPage)
	var res *SearchResult
	_, err = c.fetch(ctx, u.String(), func(f *fetched) error {
		r, err := parseSearch(f.body, c.cfg.Size)
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Code == CodeServiceUnavailable {
			return &retryableError{err: err}
		}
		res = r
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("search %q page %d: %w", p.Text, p.Page, err)
	}
	return res, nil
}

// HTTPError is an unexpected HTTP status.
type HTTPError struct {
	StatusCode int
	Status     string
}

// Error returns the status line.
func (e *HTTPError) Error() string { return "HTTP " + e.Status }

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
	header   http.Header
}

// fetch GETs rawURL, retrying on network errors, timeouts, 429 and 5xx
// (and on errors check marks retryable) with exponential backoff, honouring
// Retry-After. Errors never contain the API key.
func (c *Client) fetch(ctx context.Context, rawURL string, check func(*fetched) error) (*fetched, error) {
	var last error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if attempt > 0 {
			wait := min(c.cfg.Backoff<<(attempt-1), c.cfg.MaxBackoff)
			var re *retryableError
			if errors.As(last, &re) && re.after > 0 {
				if re.after > c.cfg.MaxRetryAfter {
					return nil, c.scrub(fmt.Errorf("server asks to retry after %v (more than %v): %w", re.after, c.cfg.MaxRetryAfter, last))
				}
				wait = max(wait, re.after)
			}
			c.log.Info("retrying", "url", c.redact(rawURL), "attempt", attempt+1, "wait", wait, "error", c.scrub(last).Error())
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
		f, err := c.attempt(ctx, rawURL)
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
		last = err
	}
	if c.cfg.Retries == 0 {
		return nil, c.scrub(last)
	}
	return nil, c.scrub(fmt.Errorf("%d attempts: %w", c.cfg.Retries+1, last))
}

// attempt makes one rate-limited request with the per-attempt time limit.
func (c *Client) attempt(ctx context.Context, rawURL string) (*fetched, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		// Cancelled, or no turn before ctx's deadline: nothing to do but
		// wait for it, so the caller sees ctx's error, not a failed photo.
		<-ctx.Done()
		return nil, ctx.Err()
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
		return nil, &retryableError{err: err}
	}
	defer func() {
		// Read a little of what is left (an error page), so that the
		// connection can be reused, then close.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return nil, &retryableError{err: &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status}, after: retryAfter(resp.Header)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBytes+1))
	if err != nil {
		// Truncated bodies (connection closed before Content-Length) and
		// timeouts while reading land here.
		return nil, &retryableError{err: fmt.Errorf("read body: %w", err)}
	}
	if int64(len(body)) > c.cfg.MaxBytes {
		return nil, fmt.Errorf("body larger than %d bytes", c.cfg.MaxBytes)
	}
	return &fetched{body: body, finalURL: resp.Request.URL.String(), header: resp.Header}, nil
}

// retryAfter parses a Retry-After header (seconds or HTTP date); 0 if absent.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
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

// redact replaces the API key in a URL or text.
func (c *Client) redact(s string) string {
	if c.key == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.key, "REDACTED")
	return strings.ReplaceAll(s, url.QueryEscape(c.key), "REDACTED")
}

// scrub returns err, or an error with the same chain whose text has the API
// key replaced, should the text contain it.
func (c *Client) scrub(err error) error {
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
