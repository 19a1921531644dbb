package crawl

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/flagvalue"
)

// defaultAPIURL is Flickr's REST endpoint.
const defaultAPIURL = "https://api.flickr.com/services/rest/"

// APIKeyEnv is the environment variable the API key is read from.
const APIKeyEnv = "FLICKR_API_KEY"

// maxPerPage is the largest per_page Flickr accepts.
const maxPerPage = 500

// MaxResults is how many results Flickr returns for one query at most,
// whatever the page size.
const MaxResults = 4000

// defaultUserAgent identifies the crawler to Flickr.
const defaultUserAgent = "animalcnn-crawler/1.0 (+https://github.com/animalcnn/animalcnn; course project, 1 request/s)"

// Sizes returns the photo sizes Flickr's extras can ask for (url_<size>): sq
// 75×75 square, q 150×150 square (the course's), t 100, s 240, n 320, m 500,
// z 640, c 800, l 1024 on the longest side, o original. Every photo has the
// sizes up to z; c exists only for photos uploaded since March 2012, l for
// large enough originals, o when the owner allows it: results without the
// size asked for are skipped (ClassReport.NoSize). The slice is the
// caller's.
func Sizes() []string { return slices.Clone(sizes) }

// sizes is what Sizes returns.
var sizes = []string{"sq", "q", "t", "s", "n", "m", "z", "c", "l", "o"}

// sizeSides is the longest side, in pixels, of each size of sizes but "o".
var sizeSides = map[string]int64{"sq": 75, "q": 150, "t": 100, "s": 240, "n": 320, "m": 500, "z": 640, "c": 800, "l": 1024}

// minMaxPixels is the floor of maxPixels: Flickr's "photo unavailable"
// placeholder is 500×374 whatever the size asked for, and must decode to be
// recognised.
const minMaxPixels = 2_000_000

// maxPixels is the most pixels a downloaded photo may have: a square of
// twice its size's longest side (Flickr serves at most that side), at least
// minMaxPixels, or imageio.MaxPixels for originals ("o"). A photo that
// declares more is refused from its header, before decoding: a few hundred
// bytes can declare 48 MP and cost a gigabyte to decode.
func (c *Config) maxPixels() int64 {
	if side, ok := sizeSides[c.Size]; ok {
		return max(4*side*side, minMaxPixels)
	}
	return imageio.MaxPixels
}

// ErrNoAPIKey is returned (wrapped) when no API key was configured. Its text
// is the one line the CLI prints.
var ErrNoAPIKey = errors.New("no Flickr API key: set " + APIKeyEnv +
	" (or -api-key / -api-key-file); get a free non-commercial key at https://www.flickr.com/services/apps/create/apply/")

// Class is one class to crawl: Name is the folder under the output directory
// and the label; Query is the search text (Name when empty).
type Class struct {
	Name  string
	Query string
}

// searchText is the text sent to flickr.photos.search for c.
func (c Class) searchText() string {
	if c.Query != "" {
		return c.Query
	}
	return c.Name
}

// Progress reports one class's state after each photo kept or rejected.
type Progress struct {
	Class    string // class name
	Kept     int    // photos in the class folder (including those already there)
	Wanted   int    // Config.PerClass
	Rejected int    // photos discarded so far in this run
	Done     bool   // true on the class's last event
}

// PlaceholderSignature describes a known "photo unavailable" image by its
// byte size and pixel dimensions (zero fields match anything, but at least
// one must be set).
type PlaceholderSignature struct {
	Bytes         int64
	Width, Height int
}

// Config holds every crawl setting. DefaultConfig returns the defaults:
// start from it, as zero values are not defaults (Validate refuses a zero
// PerClass, Concurrency or Timeout; a zero Interval turns the rate limit
// off). Only the fields without a flag (Backoff, MaxBackoff, MaxRetryAfter,
// MaxBytes, HTTPClient, Logger) take their default when zero; nil
// Placeholders knows no placeholder image.
// RegisterFlags derives command-line flags from it.
type Config struct {
	// Classes to crawl, in order.
	Classes []Class
	// PerClass is how many photos each class folder should hold, at least
	// 1. Photos already there count, but not those its
	// exclude.txt lists (a rerun after curating replaces them), nor those
	// kept under a license outside Licenses (ClassReport.OtherLicense).
	PerClass int
	// ImagesDir is the root of the folder-per-class layout (data/images).
	ImagesDir string

	// APIKey is the Flickr API key. When empty, APIKeyFile is read, then
	// the FLICKR_API_KEY environment variable. It is never logged.
	APIKey string
	// APIKeyFile is a file holding the API key (surrounding space trimmed).
	APIKeyFile string
	// APIURL is the REST endpoint (Flickr's by default; a fake server in tests).
	APIURL string

	// Size is the photo size to download, one of Sizes ("q" like the course).
	Size string
	// Licenses restricts results to these Flickr license ids (empty: any).
	// "cc" stands for every Creative Commons license (CC BY..., CC0: a
	// creativecommons.org license URL) in the list
	// flickr.photos.licenses.getInfo gives, or the CC 2.0 licenses and CC0
	// (ids 1 to 6 and 9) when that list cannot be fetched. Photos an
	// earlier run kept under other licenses (the manifest says which) stay
	// in the folder, but do not count toward PerClass.
	Licenses []string
	// Sort is the search order ("relevance").
	Sort string
	// SafeSearch is 1 (safe), 2 (moderate) or 3 (restricted).
	SafeSearch int
	// PerPage is the search page size, at most 500 (Flickr's limit); 0
	// picks min(PerClass, 500).
	PerPage int

	// Interval is the minimum time between two requests (API or image),
	// across all downloads: the global rate limit. 0 disables it.
	Interval time.Duration
	// Concurrency bounds the downloads in flight.
	Concurrency int
	// Timeout bounds each request attempt, body included.
	Timeout time.Duration
	// Retries is how many times a failed request is retried (5xx, 429,
	// network errors, timeouts, Flickr codes 105 and 10, API answers that
	// are not JSON).
	Retries int
	// Backoff is the wait before the first retry; it doubles each retry up
	// to MaxBackoff. A Retry-After header longer than that is honoured.
	Backoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After honoured (the whole client
	// pauses that long); a server asking for longer stops the crawl with
	// ErrRateLimited.
	MaxRetryAfter time.Duration
	// UserAgent is sent with every request (not empty).
	UserAgent string
	// MaxBytes bounds one downloaded file.
	MaxBytes int64
	// Placeholders are known "photo unavailable" images, discarded besides
	// any response redirected to a URL containing "photo_unavailable"
	// (DefaultConfig lists Flickr's).
	Placeholders []PlaceholderSignature

	// HTTPClient sends the requests (a new client when nil).
	HTTPClient *http.Client
	// Logger receives progress and retry logs (slog.Default() when nil).
	Logger *slog.Logger
	// Progress, when set, is called after each photo kept or rejected,
	// from one goroutine at a time.
	Progress func(Progress)
}

// DefaultConfig returns the course's settings: monkey, boar and crow
// (searched as "monkey", "wild boar" and "crow"), 400 photos each of size q
// (150×150), sorted by relevance, safe search, one request per second.
func DefaultConfig() Config {
	return Config{
		Classes:       []Class{{Name: "monkey"}, {Name: "boar", Query: "wild boar"}, {Name: "crow"}},
		PerClass:      400,
		ImagesDir:     dataset.DefaultImagesDir,
		APIURL:        defaultAPIURL,
		Size:          "q",
		Sort:          "relevance",
		SafeSearch:    1,
		Interval:      time.Second,
		Concurrency:   4,
		Timeout:       30 * time.Second,
		Retries:       4,
		Backoff:       2 * time.Second,
		MaxBackoff:    time.Minute,
		MaxRetryAfter: 5 * time.Minute,
		UserAgent:     defaultUserAgent,
		MaxBytes:      20 << 20,
		// Flickr's 500×374 "This photo is no longer available" PNG as
		// reported by other crawlers (not verified from here); the redirect
		// to a photo_unavailable URL is the primary signal.
		Placeholders: []PlaceholderSignature{{Bytes: 2051, Width: 500, Height: 374}},
	}
}

// RegisterFlags adds one flag per command-line setting to fs, bound to c's
// fields and with c's current values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Var((*classesValue)(&c.Classes), "classes",
		"comma-separated `classes`; NAME=SEARCH TEXT sets a class's search text (e.g. \"monkey,boar=wild boar,crow\")")
	fs.IntVar(&c.PerClass, "per-class", c.PerClass, "photos wanted per class (photos already on disk count, except those listed in exclude.txt or under a license outside -license)")
	fs.StringVar(&c.ImagesDir, "images", c.ImagesDir, "images folder to fill: one sub-folder per class (what prepare -images reads)")
	fs.Var((*secretValue)(&c.APIKey), "api-key",
		"Flickr API `key` (default: -api-key-file, then $"+APIKeyEnv+"); visible to other users in the process list, prefer the variable")
	fs.StringVar(&c.APIKeyFile, "api-key-file", c.APIKeyFile, "file holding the Flickr API key")
	fs.StringVar(&c.APIURL, "api-url", c.APIURL, "Flickr REST endpoint (change for a proxy or a fake server)")
	fs.StringVar(&c.Size, "size", c.Size, "photo size to download: "+strings.Join(sizes, ", ")+" (q: 150x150 square; m: 500 px; many photos lack c, l and o)")
	fs.Var((*flagvalue.List)(&c.Licenses), "license",
		"comma-separated Flickr license `ids` to accept, or \"cc\" for Creative Commons only (default: any)")
	fs.StringVar(&c.Sort, "sort", c.Sort, "search order: relevance, interestingness-desc, date-posted-desc, ...")
	fs.IntVar(&c.SafeSearch, "safe-search", c.SafeSearch, "1 safe, 2 moderate, 3 restricted")
	fs.IntVar(&c.PerPage, "per-page", c.PerPage, fmt.Sprintf("search page size, at most %d (0: min(per-class, %d))", maxPerPage, maxPerPage))
	fs.DurationVar(&c.Interval, "interval", c.Interval, "minimum time between two requests, all downloads together (0: no limit)")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "downloads in flight at most")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "time limit for each request attempt")
	fs.IntVar(&c.Retries, "retries", c.Retries, "retries per request on 5xx, 429, network errors and timeouts")
	fs.StringVar(&c.UserAgent, "user-agent", c.UserAgent, "User-Agent header sent with every request")
}

// sortOrders are the orders flickr.photos.search accepts.
var sortOrders = []string{"relevance", "interestingness-desc", "interestingness-asc",
	"date-posted-desc", "date-posted-asc", "date-taken-desc", "date-taken-asc"}

// Validate reports the first invalid setting. Run calls it; the API key is
// checked only there.
func (c *Config) Validate() error {
	seen := map[string]bool{}
	for _, cl := range c.Classes {
		if err := checkClassName(cl.Name); err != nil {
			return err
		}
		if seen[cl.Name] {
			return fmt.Errorf("class %q listed twice", cl.Name)
		}
		seen[cl.Name] = true
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("API URL %q is not an http(s) URL", c.APIURL)
	}
	switch {
	case c.PerClass < 1:
		return fmt.Errorf("per-class must be at least 1, got %d", c.PerClass)
	case !slices.Contains(sortOrders, c.Sort):
		return fmt.Errorf("unknown sort order %q (want one of %s)", c.Sort, strings.Join(sortOrders, ", "))
	case c.ImagesDir == "":
		return errors.New("no output folder")
	case !slices.Contains(sizes, c.Size):
		return fmt.Errorf("unknown size %q (want one of %s)", c.Size, strings.Join(sizes, ", "))
	case c.PerPage < 0 || c.PerPage > maxPerPage:
		return fmt.Errorf("per-page must be between 0 and %d, got %d", maxPerPage, c.PerPage)
	case c.SafeSearch < 1 || c.SafeSearch > 3:
		return fmt.Errorf("safe-search must be 1, 2 or 3, got %d", c.SafeSearch)
	case c.Concurrency < 1:
		return fmt.Errorf("concurrency must be at least 1, got %d", c.Concurrency)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout must be positive, got %v", c.Timeout)
	case c.Retries < 0:
		return fmt.Errorf("retries must not be negative, got %d", c.Retries)
	case c.Interval < 0:
		return fmt.Errorf("interval must not be negative, got %v", c.Interval)
	case c.Backoff < 0 || c.MaxBackoff < 0 || c.MaxRetryAfter < 0:
		return fmt.Errorf("backoff, max backoff and max Retry-After must not be negative, got %v, %v, %v", c.Backoff, c.MaxBackoff, c.MaxRetryAfter)
	case c.MaxBytes < 0:
		return fmt.Errorf("max bytes must not be negative, got %d", c.MaxBytes)
	case c.UserAgent == "":
		return errors.New("no user agent")
	}
	for _, l := range c.Licenses {
		l = strings.TrimSpace(l) // as withDefaults reads them
		if !strings.EqualFold(l, "cc") && (l == "" || strings.Trim(l, "0123456789") != "") {
			return fmt.Errorf("license %q is not a Flickr license id (or \"cc\")", l)
		}
	}
	return nil
}

// withDefaults fills the zero fields that have no flag (see Config) and
// normalises Licenses.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.Backoff = cmp.Or(c.Backoff, d.Backoff)
	c.MaxBackoff = cmp.Or(c.MaxBackoff, d.MaxBackoff)
	c.MaxRetryAfter = cmp.Or(c.MaxRetryAfter, d.MaxRetryAfter)
	c.MaxBytes = cmp.Or(c.MaxBytes, d.MaxBytes)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	var lic []string
	for _, l := range c.Licenses {
		l = strings.TrimSpace(l)
		if strings.EqualFold(l, "cc") {
			l = "cc" // expanded by the client, from Flickr's license list
		}
		lic = append(lic, l)
	}
	c.Licenses = lic
	return c
}

// perPage is the search page size to use.
func (c *Config) perPage() int {
	if c.PerPage > 0 {
		return c.PerPage
	}
	return min(c.PerClass, maxPerPage)
}

// resolveAPIKey returns the API key from APIKey, APIKeyFile or the
// environment, or an error wrapping ErrNoAPIKey. The key never appears in
// the errors.
func (c *Config) resolveAPIKey() (string, error) {
	if k := strings.TrimSpace(c.APIKey); k != "" {
		return k, nil
	}
	if c.APIKeyFile != "" {
		b, err := os.ReadFile(c.APIKeyFile)
		if err != nil {
			return "", fmt.Errorf("read API key file: %w", err)
		}
		if k := strings.TrimSpace(string(b)); k != "" {
			return k, nil
		}
		return "", fmt.Errorf("API key file %s is empty: %w", c.APIKeyFile, ErrNoAPIKey)
	}
	if k := strings.TrimSpace(os.Getenv(APIKeyEnv)); k != "" {
		return k, nil
	}
	return "", ErrNoAPIKey
}

// checkClassName rejects names the dataset would not read as a class
// folder (dataset.CheckClassName), and also those with a ':' (not allowed
// in Windows file names) or with spaces around them.
func checkClassName(name string) error {
	if err := dataset.CheckClassName(name); err != nil {
		return err
	}
	switch {
	case strings.Contains(name, ":"):
		return fmt.Errorf("invalid class name %q: ':' is not allowed", name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("invalid class name %q: spaces around it", name)
	}
	return nil
}

// parseClasses parses "monkey,boar=wild boar,crow" into classes.
func parseClasses(s string) ([]Class, error) {
	var out []Class
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, query, _ := strings.Cut(part, "=")
		name, query = strings.TrimSpace(name), strings.TrimSpace(query)
		if err := checkClassName(name); err != nil {
			return nil, err
		}
		out = append(out, Class{Name: name, Query: query})
	}
	if len(out) == 0 {
		return nil, errors.New("no classes given")
	}
	return out, nil
}

// classesValue is the flag.Value behind -classes.
type classesValue []Class

func (v *classesValue) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, c := range *v {
		parts[i] = c.Name
		if c.Query != "" && c.Query != c.Name {
			parts[i] += "=" + c.Query
		}
	}
	return strings.Join(parts, ",")
}

func (v *classesValue) Set(s string) error {
	cl, err := parseClasses(s)
	if err != nil {
		return err
	}
	*v = cl
	return nil
}

// secretValue is a string flag whose value is never shown (in -h output).
type secretValue string

func (v *secretValue) String() string { return "" }

func (v *secretValue) Set(s string) error {
	*v = secretValue(s)
	return nil
}
