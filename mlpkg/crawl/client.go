package crawl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// client talks to Flickr's API and image servers: every request waits for
// the one rate limiter and for any pause Flickr asked for (Retry-After),
// carries the User-Agent, has a time limit and is retried on transient
// failures. The classes one client crawls share which photos they took, so
// that no photo gets two labels.
//
// Run drives it from one goroutine, which searches, admits and settles the
// photos (claims, lic); the download goroutines only fetch, sharing the
// limiter and the pause (pauseMu).
type client struct {
	cfg     Config
	key     string
	http    *http.Client
	limiter *rate.Limiter
	log     *slog.Logger

	pauseMu   sync.Mutex
	notBefore time.Time // no request before this time (Retry-After)

	lic    licenseState
	claims claims
}

// newClient checks cfg (Classes may be empty) and resolves the API key:
// without one it returns an error wrapping ErrNoAPIKey.
func newClient(cfg Config) (*client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
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
	c := &client{cfg: cfg, key: key, http: hc, limiter: rate.NewLimiter(lim, 1), log: cfg.Logger, claims: newClaims()}
	c.lic.filter = expandLicenses(cfg.Licenses, ccLicenseIDs)
	return c, nil
}

// searchParams selects one page of flickr.photos.search results.
type searchParams struct {
	Text    string // search text
	Page    int    // 1-based page (1 when 0)
	PerPage int    // page size, at most maxPerPage (the config's when 0)
}

// search runs flickr.photos.search for one page: photos only (media=photos,
// content_type=1: no screenshots or illustrations), the config's sort, safe
// search, license filter and size (url_<size>), with license and owner name.
// The client's first search fetches Flickr's license list first (see
// licenses), to expand "cc". An invalid key gives an error matching
// ErrInvalidAPIKey; codes 105 and 10 (service or search unavailable) and
// answers that are not JSON (a maintenance page) are retried like a 5xx.
func (c *client) search(ctx context.Context, p searchParams) (*searchPage, error) {
	if strings.TrimSpace(p.Text) == "" {
		return nil, errors.New("search: empty search text")
	}
	if p.Page < 1 {
		p.Page = 1
	}
	if p.PerPage <= 0 {
		p.PerPage = c.cfg.perPage()
	}
	p.PerPage = min(p.PerPage, maxPerPage)
	filter, err := c.licenseFilter(ctx)
	if err != nil {
		return nil, err // "list Flickr's licenses: …", the call that failed
	}
	q := url.Values{}
	q.Set("text", p.Text)
	q.Set("page", strconv.Itoa(p.Page))
	q.Set("per_page", strconv.Itoa(p.PerPage))
	q.Set("media", "photos")
	q.Set("content_type", "1")
	q.Set("sort", c.cfg.Sort)
	q.Set("safe_search", strconv.Itoa(c.cfg.SafeSearch))
	q.Set("extras", "url_"+c.cfg.Size+",license,owner_name")
	if len(filter) > 0 {
		q.Set("license", strings.Join(filter, ","))
	}
	u, err := c.apiURL("flickr.photos.search", q)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}

	c.log.Debug("flickr search", "text", p.Text, "page", p.Page, "per_page", p.PerPage)
	var res *searchPage
	_, err = c.fetch(ctx, u, min(c.cfg.MaxBytes, maxAPIBytes), func(f *fetched) error {
		r, err := parseSearch(f.body, c.cfg.Size)
		res = r
		return retryableAPI(err)
	})
	if err != nil {
		return nil, fmt.Errorf("search %q page %d: %w", p.Text, p.Page, err)
	}
	if n := len(res.Malformed); n > 0 {
		c.log.Warn("search results left out: fields that do not decode", "text", p.Text, "page", p.Page,
			"count", n, "first", res.Malformed[0])
	}
	return res, nil
}

// licenses lists Flickr's licenses (flickr.photos.licenses.getInfo), with
// the same rate limit and retries as the searches.
func (c *client) licenses(ctx context.Context) ([]license, error) {
	u, err := c.apiURL("flickr.photos.licenses.getInfo", nil)
	if err != nil {
		return nil, fmt.Errorf("licenses: %w", err)
	}
	var list []license
	_, err = c.fetch(ctx, u, min(c.cfg.MaxBytes, maxAPIBytes), func(f *fetched) error {
		l, err := parseLicenses(f.body)
		list = l
		return retryableAPI(err)
	})
	if err != nil {
		return nil, fmt.Errorf("list Flickr's licenses: %w", err)
	}
	return list, nil
}

// apiURL is the REST endpoint's URL calling method with params, the API key
// and format=json&nojsoncallback=1.
func (c *client) apiURL(method string, params url.Values) (string, error) {
	u, err := url.Parse(c.cfg.APIURL)
	if err != nil {
		return "", fmt.Errorf("API URL: %w", err)
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	q.Set("method", method)
	q.Set("api_key", c.key)
	q.Set("format", "json")
	q.Set("nojsoncallback", "1")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// retryableAPI marks the API answers worth asking again: Flickr error codes
// 105 and 10, and answers that are not JSON at all.
func retryableAPI(err error) error {
	var apiErr *apiError
	if (errors.As(err, &apiErr) && retryableCode(apiErr.Code)) || errors.Is(err, errNotJSON) {
		return &retryableError{err: err}
	}
	return err
}
