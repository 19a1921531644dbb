package crawl

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
	"golang.org/x/image/tiff"
)

// testKey must never show up in logs, errors or reports.
const testKey = "tEsT-SeCrEt-KeY-8c1f0e"

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is a fake Flickr plus a config pointing at it with fast settings.
type fixture struct {
	fake *flickrtest.Server
	cfg  Config
	logs *syncBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fake := flickrtest.New()
	fake.Key = testKey
	apiURL, stop := fake.Start()
	t.Cleanup(stop)
	logs := &syncBuffer{}
	cfg := DefaultConfig()
	cfg.APIURL = apiURL
	cfg.APIKey = testKey
	cfg.ImagesDir = t.TempDir()
	cfg.Classes = []Class{{Name: "monkey"}}
	cfg.PerClass = 5
	cfg.Interval = 0
	cfg.Concurrency = 3
	cfg.Timeout = 2 * time.Second
	cfg.Retries = 3
	cfg.Backoff = 5 * time.Millisecond
	cfg.MaxBackoff = 20 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := &fixture{fake: fake, cfg: cfg, logs: logs}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), testKey) {
			t.Errorf("the API key appears in the logs:\n%s", logs.String())
		}
	})
	return f
}

// run crawls and checks that the key leaks into neither the error nor the report.
func (f *fixture) run(t *testing.T, ctx context.Context) (*Report, error) {
	t.Helper()
	rep, err := Run(ctx, f.cfg)
	if err != nil && strings.Contains(err.Error(), testKey) {
		t.Errorf("the API key appears in the error: %v", err)
	}
	if s := fmt.Sprintf("%+v", rep); strings.Contains(s, testKey) {
		t.Errorf("the API key appears in the report: %s", s)
	}
	return rep, err
}

func (f *fixture) classDir(class string) string { return filepath.Join(f.cfg.ImagesDir, class) }

// jpegBytes encodes img as a JPEG of quality 90.
func jpegBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkFolder checks that every file in dir is a decodable image, the
// manifest or another known file (no temporary or partial files), that the
// manifest matches the images, and returns the image names.
func checkFolder(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var images []string
	for _, e := range ents {
		switch n := e.Name(); {
		case n == ManifestFile || n == RejectedFile || n == dataset.ExcludeFile:
		case imageio.HasImageExt(n):
			if _, err := imageio.Load(filepath.Join(dir, n)); err != nil {
				t.Errorf("%s does not decode: %v", n, err)
			}
			if info, err := e.Info(); err != nil || info.Mode().Perm() != 0o644 {
				t.Errorf("%s: mode %v (%v), want 0644 like every file the project writes", n, info.Mode().Perm(), err)
			}
			images = append(images, n)
		default:
			t.Errorf("unexpected file %s in the class folder", n)
		}
	}
	entries, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, e := range entries {
		listed = append(listed, e.File)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, images) {
		t.Errorf("manifest lists %v, folder holds %v", listed, images)
	}
	return images
}

func TestPagination(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 23)
	f.cfg.PerClass = 23
	f.cfg.PerPage = 5
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Classes[0]; got.Kept != 23 || got.Downloaded != 23 || got.SearchTotal != 23 {
		t.Errorf("report %+v, want 23 kept and downloaded of 23", got)
	}
	if n := len(checkFolder(t, f.classDir("monkey"))); n != 23 {
		t.Errorf("%d images, want 23", n)
	}
	var pages []string
	for _, r := range searchRequests(f.fake) {
		pages = append(pages, r.Query.Get("page"))
		if r.Query.Get("per_page") != "5" {
			t.Errorf("per_page=%s, want 5", r.Query.Get("per_page"))
		}
	}
	if want := []string{"1", "2", "3", "4", "5"}; !slices.Equal(pages, want) {
		t.Errorf("pages requested %v, want %v", pages, want)
	}

	// Only as many pages as needed.
	g := newFixture(t)
	g.fake.AddGenerated("monkey", 23)
	g.cfg.PerClass = 7
	g.cfg.PerPage = 5
	if _, err := g.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(searchRequests(g.fake)); n != 2 {
		t.Errorf("%d search requests for 7 photos at 5 per page, want 2", n)
	}
}

// apiRequests counts the API requests, whatever their method.
func apiRequests(fake *flickrtest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if strings.HasPrefix(r.Path, flickrtest.APIPath) {
			n++
		}
	}
	return n
}

// methodRequests returns the API requests of one method, in order.
func methodRequests(fake *flickrtest.Server, method string) []flickrtest.Request {
	var out []flickrtest.Request
	for _, r := range fake.Requests() {
		if strings.HasPrefix(r.Path, flickrtest.APIPath) && r.Query.Get("method") == method {
			out = append(out, r)
		}
	}
	return out
}

// searchRequests returns the flickr.photos.search requests, in order.
func searchRequests(fake *flickrtest.Server) []flickrtest.Request {
	return methodRequests(fake, flickrtest.MethodSearch)
}

// A search result without a URL for the configured size (a photo too small
// or too old for it) is skipped and counted, and never requested.
func TestResultsWithoutTheSize(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.Add("monkey",
		flickrtest.Photo{Title: "medium"}, flickrtest.Photo{Title: "small", Missing: []string{"m"}}, flickrtest.Photo{Title: "medium too"})
	f.cfg.Size = "m"
	f.cfg.PerClass = 3
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 2 || c.NoSize != 1 || c.Skipped != 1 || len(c.Rejected) != 0 || !c.Exhausted {
		t.Errorf("report %+v, want 2 kept and 1 skipped without the size", c)
	}
	if n := f.fake.PhotoRequests()[photos[1].ID]; n != 0 {
		t.Errorf("the photo without the size was requested %d times", n)
	}
	if n := len(f.fake.Requests()) - apiRequests(f.fake); n != 2 {
		t.Errorf("%d image requests, want 2", n)
	}
}

// Every size of Sizes downloads, at that size (the fake Flickr keeps its own
// copy of the size list, which this keeps in step).
func TestEverySizeDownloads(t *testing.T) {
	for _, size := range Sizes() {
		t.Run(size, func(t *testing.T) {
			f := newFixture(t)
			f.fake.AddGenerated("monkey", 1)
			f.cfg.Size = size
			f.cfg.PerClass = 1
			rep, err := f.run(t, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if c := rep.Classes[0]; c.Kept != 1 || c.NoSize != 0 {
				t.Fatalf("report %+v, want the photo kept", c)
			}
			files, err := filepath.Glob(filepath.Join(f.classDir("monkey"), "*.jpg"))
			if err != nil || len(files) != 1 {
				t.Fatalf("photos %v (%v), want one", files, err)
			}
			data, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if side, known := sizeSides[size]; known && max(cfg.Width, cfg.Height) != int(side) {
				t.Errorf("%d×%d photo, want %d px on the longest side", cfg.Width, cfg.Height, side)
			}
		})
	}
	if Sizes()[0] = "xl"; Sizes()[0] != "sq" {
		t.Errorf("Sizes()[0] is %q after changing a returned slice", Sizes()[0])
	}
}

// Flickr returns at most MaxResults (4000) results per search, whatever
// number of pages it reports: the crawler asks for no page past them.
func TestNoPagePastMaxResults(t *testing.T) {
	f := newFixture(t)
	ps := make([]flickrtest.Photo, MaxResults+600)
	for i := range ps {
		ps[i].Missing = []string{"q"} // skipped without a download
	}
	f.fake.Add("monkey", ps...)
	f.cfg.PerClass = 10
	f.cfg.PerPage = maxPerPage
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 0 || c.Results != MaxResults || c.NoSize != MaxResults || c.SearchTotal != len(ps) || !c.Exhausted {
		t.Errorf("report %+v, want %d results met of %d, none kept", c, MaxResults, len(ps))
	}
	searches := searchRequests(f.fake)
	var pages []string
	for _, r := range searches {
		pages = append(pages, r.Query.Get("page"))
	}
	if want := []string{"1", "2", "3", "4", "5", "6", "7", "8"}; !slices.Equal(pages, want) {
		t.Errorf("pages asked for %v, want %v (%d per page, %d results at most)", pages, want, maxPerPage, MaxResults)
	}
}

// Flickr answers a page past the results it returns for one query with
// error 20, "Excessive photo offset in search": the end of the results, not
// a failure of the crawl.
func TestExcessiveOffsetEndsResults(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 10)
	f.cfg.PerClass = 10
	f.cfg.PerPage = 4
	f.fake.FailMethod(flickrtest.MethodSearch, flickrtest.Fault{}, flickrtest.Fault{Code: 20})
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 4 || !c.Exhausted || c.Results != 4 {
		t.Errorf("report %+v, want the first page's 4 photos and the results exhausted", c)
	}
	// The fake itself answers error 20 past MaxResults.
	u := f.cfg.APIURL + "?method=" + flickrtest.MethodSearch + "&api_key=" + testKey +
		"&format=json&nojsoncallback=1&text=monkey&per_page=500&page=9"
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ae *apiError
	if _, err := parseSearch(body, "q"); !errors.As(err, &ae) || ae.Code != codeExcessiveOffset {
		t.Errorf("page 9 of 500 (past %d): %v, want Flickr error 20", MaxResults, err)
	}
}

func TestSearchParameters(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("wild boar", 3)
	f.cfg.Classes = []Class{{Name: "boar", Query: "wild boar"}}
	f.cfg.PerClass = 3
	f.cfg.Size = "m"
	f.cfg.Licenses = []string{"cc"}
	f.cfg.UserAgent = "test-agent/1"
	start := time.Now()
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 3 {
		t.Errorf("kept %d photos, want 3: %+v", c.Kept, c)
	}
	reqs := f.fake.Requests()
	searches := searchRequests(f.fake)
	if len(searches) == 0 {
		t.Fatal("no search request")
	}
	q := searches[0].Query
	want := map[string]string{
		"method": "flickr.photos.search", "text": "wild boar", "media": "photos", "content_type": "1", "sort": "relevance",
		"safe_search": "1", "extras": "url_m,license,owner_name", "format": "json", "nojsoncallback": "1",
		// Every Creative Commons license of the stand-in's getInfo answer,
		// its (made-up) CC 4.0 ids 11 to 16 included.
		"license": "1,2,3,4,5,6,9,11,12,13,14,15,16", "api_key": testKey, "per_page": "3", "page": "1",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s=%q, want %q", k, q.Get(k), v)
		}
	}
	for _, r := range reqs {
		if r.UserAgent != "test-agent/1" {
			t.Errorf("%s sent User-Agent %q", r.Path, r.UserAgent)
		}
	}
	entries, err := ReadManifest(f.classDir("boar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("manifest has %d entries, want 3", len(entries))
	}
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(f.classDir("boar"), e.File))
		if err != nil || fi.Size() != e.Size || e.Size == 0 {
			t.Errorf("photo %s: manifest size %d, file %v %v", e.ID, e.Size, fi, err)
		}
		// Fetched is in whole seconds.
		if e.Fetched.Before(start.Truncate(time.Second)) || e.Fetched.After(time.Now()) {
			t.Errorf("photo %s fetched at %v, not during the crawl (from %v)", e.ID, e.Fetched, start)
		}
	}
	for _, e := range entries {
		if !slices.Contains(ccLicenseIDs, e.License) {
			t.Errorf("photo %s has license %s, not CC", e.ID, e.License)
		}
		if max(e.Width, e.Height) != 500 || e.Query != "wild boar" || e.OwnerName == "" || e.Title == "" || len(e.SHA256) != 64 {
			t.Errorf("manifest entry %+v", e)
		}
	}
}

func TestNumbersAsStringsAndJSONP(t *testing.T) {
	for _, mode := range []string{"strings", "jsonp"} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t)
			f.fake.NumbersAsStrings = mode == "strings"
			f.fake.AlwaysJSONP = mode == "jsonp"
			f.fake.AddGenerated("monkey", 6)
			f.cfg.PerPage = 2
			rep, err := f.run(t, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Classes[0].Kept != 5 || rep.Classes[0].SearchTotal != 6 {
				t.Errorf("report %+v", rep.Classes[0])
			}
			entries, _ := ReadManifest(f.classDir("monkey"))
			for _, e := range entries {
				if e.Width != 150 || e.Height != 150 {
					t.Errorf("photo %s is %dx%d, want 150x150", e.ID, e.Width, e.Height)
				}
			}
		})
	}
}

func TestParseSearch(t *testing.T) {
	body := `jsonFlickrApi({"photos":{"page":"2","pages":3,"perpage":"100","total":"250","photo":[
		{"id":"123","owner":"1@N00","secret":"ab","server":"65535","farm":66,"title":"A monkey","license":4,
		 "ownername":"Ann","url_q":"https://live.staticflickr.com/65535/123_ab_q.jpg","height_q":"150","width_q":150},
		{"id":456,"owner":"2@N00","title":"","license":"0","url_m":"x"}]},"stat":"ok"})`
	res, err := parseSearch([]byte(body), "q")
	if err != nil {
		t.Fatal(err)
	}
	if res.Page != 2 || res.Pages != 3 || res.Total != 250 || len(res.Photos) != 2 {
		t.Fatalf("result %+v", res)
	}
	want := photo{ID: "123", Owner: "1@N00", OwnerName: "Ann", Title: "A monkey", License: "4",
		URL: "https://live.staticflickr.com/65535/123_ab_q.jpg"}
	if p := res.Photos[0]; p != want {
		t.Errorf("photo %+v, want %+v", p, want)
	}
	if q := res.Photos[1]; q.ID != "456" || q.URL != "" || q.License != "0" {
		t.Errorf("photo without url_q: %+v", q)
	}
	_, err = parseSearch([]byte(`{"stat":"fail","code":"105","message":"Service currently unavailable"}`), "q")
	var apiErr *apiError
	if !errors.As(err, &apiErr) || apiErr.Code != 105 {
		t.Errorf("error %v, want apiError 105", err)
	}
	// One result that does not decode is left out, not the whole page.
	bad := `{"stat":"ok","photos":{"page":1,"pages":1,"total":2,"photo":[{"id":"1","url_q":{"x":1}},{"id":"2","url_q":"u"}]}}`
	res, err = parseSearch([]byte(bad), "q")
	if err != nil || len(res.Photos) != 1 || res.Photos[0].ID != "2" {
		t.Errorf("a URL that is an object: %+v, %v; want the other photo only", res, err)
	} else if len(res.Malformed) != 1 || !strings.Contains(res.Malformed[0], "url_q") {
		t.Errorf("malformed %q, want one naming url_q", res.Malformed)
	}
	if _, err := parseSearch([]byte("<html>Bad gateway</html>"), "q"); err == nil {
		t.Error("HTML accepted as a search answer")
	}
}

// A count that an int cannot hold is refused, not wrapped round: "pages"
// of 1e19 came out as math.MinInt64 (no next page) and "NaN" as any int.
func TestFlexIntOutOfRange(t *testing.T) {
	for _, v := range []string{`1e19`, `"9223372036854775808"`, `-1e300`, `"NaN"`, `"Inf"`, `"-Infinity"`} {
		var n flexInt
		if err := n.UnmarshalJSON([]byte(v)); err == nil {
			t.Errorf("%s decoded to %d, want an error", v, n)
		}
	}
	for v, want := range map[string]flexInt{`9223372036854775807`: math.MaxInt64, `-9.2e18`: -9.2e18, `"1.9"`: 1, `-2.5`: -2} {
		if n := flexInt(7); n.UnmarshalJSON([]byte(v)) != nil || n != want {
			t.Errorf("%s decoded to %d, want %d", v, n, want)
		}
	}
	body := `{"stat":"ok","photos":{"page":1,"pages":"1e19","total":1,"photo":[]}}`
	if res, err := parseSearch([]byte(body), "q"); err == nil {
		t.Errorf("pages 1e19 decoded: %+v", res)
	}
}

func TestFakeServesJSONPWithoutNoJSONCallback(t *testing.T) {
	fake := flickrtest.New()
	fake.AddGenerated("crow", 1)
	apiURL, stop := fake.Start()
	defer stop()
	for _, tc := range []struct{ query, prefix string }{
		{"&nojsoncallback=1", `{`},
		{"", `jsonFlickrApi({`},
	} {
		resp, err := http.Get(apiURL + "?method=flickr.photos.search&api_key=k&text=crow&format=json" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(string(b), tc.prefix) {
			t.Errorf("query %q: body %.40q, want prefix %q", tc.query, b, tc.prefix)
		}
		if res, err := parseSearch(b, "q"); err != nil || res.Total != 1 {
			t.Errorf("query %q: parse: %v %+v", tc.query, err, res)
		}
	}
}

func TestInvalidKey(t *testing.T) {
	f := newFixture(t)
	f.fake.Key = "another-key"
	f.fake.AddGenerated("monkey", 5)
	_, err := f.run(t, context.Background())
	if !errors.Is(err, ErrInvalidAPIKey) {
		t.Fatalf("error %v, want ErrInvalidAPIKey", err)
	}
	if !strings.Contains(err.Error(), "code 100") || !strings.Contains(err.Error(), APIKeyEnv) {
		t.Errorf("error %q should name code 100 and %s", err, APIKeyEnv)
	}
	// The first call, the one that failed, is the license list: the error
	// names it, and no search.
	if !strings.Contains(err.Error(), "list Flickr's licenses: ") || strings.Contains(err.Error(), "search") {
		t.Errorf("error %q should name the license list as the call that failed", err)
	}
	if n := len(f.fake.PhotoRequests()); n != 0 {
		t.Errorf("%d photos requested with an invalid key", n)
	}
	if n := apiRequests(f.fake); n != 1 {
		t.Errorf("%d API requests, want 1 (no retry on code 100)", n)
	}
	ents, _ := os.ReadDir(f.classDir("monkey"))
	for _, e := range ents {
		if imageio.HasImageExt(e.Name()) {
			t.Errorf("image written: %s", e.Name())
		}
	}
}

func TestServiceUnavailable105(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 5)
	f.fake.FailAPI(flickrtest.Fault{Code: 105}, flickrtest.Fault{Code: 105})
	rep, err := f.run(t, context.Background())
	if err != nil || rep.Classes[0].Kept != 5 {
		t.Fatalf("after two code 105: %v, %+v", err, rep)
	}

	g := newFixture(t)
	g.fake.AddGenerated("monkey", 5)
	g.cfg.Retries = 2
	g.fake.FailMethod(flickrtest.MethodSearch, flickrtest.Fault{Code: 105}, flickrtest.Fault{Code: 105}, flickrtest.Fault{Code: 105})
	_, err = g.run(t, context.Background())
	var apiErr *apiError
	if !errors.As(err, &apiErr) || apiErr.Code != 105 {
		t.Fatalf("error %v, want apiError 105 after the retries", err)
	}
	if n := len(searchRequests(g.fake)); n != 3 {
		t.Errorf("%d search requests, want 3", n)
	}
}

func TestRetryOn500And429(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 5)
	f.fake.FailAPI(flickrtest.Fault{Status: 500})
	f.fake.FailPhoto(photos[0].ID, flickrtest.Fault{Status: 500}, flickrtest.Fault{Status: 503})
	f.fake.FailPhoto(photos[1].ID, flickrtest.Fault{Status: 429, RetryAfter: "1"})
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 5 || len(c.Rejected) != 0 {
		t.Errorf("report %+v", c)
	}
	counts := f.fake.PhotoRequests()
	if counts[photos[0].ID] != 3 || counts[photos[1].ID] != 2 {
		t.Errorf("requests per photo %v", counts)
	}
	// The API's retry is a warning (the crawl waits on it), a photo's not.
	logs := f.logs.String()
	if n := strings.Count(logs, `level=WARN msg="Flickr's API did not answer: retrying"`); n != 1 {
		t.Errorf("%d warnings of the API's retry, want 1:\n%s", n, logs)
	}
	if n := strings.Count(logs, "level=INFO msg=retrying"); n != 3 {
		t.Errorf("%d routine retries of photos logged, want 3:\n%s", n, logs)
	}
	var times []time.Time
	for _, r := range f.fake.Requests() {
		if strings.Contains(r.Path, photos[1].ID) {
			times = append(times, r.Time)
		}
	}
	if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
		t.Errorf("retried %v after a 429 with Retry-After: 1", gap)
	}
}

// Retries wait Backoff, then twice as long each time, up to MaxBackoff.
func TestBackoffDoublesUpToMax(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 1)
	f.cfg.PerClass = 1
	f.cfg.Retries = 3
	f.cfg.Backoff = 50 * time.Millisecond
	f.cfg.MaxBackoff = 120 * time.Millisecond
	f.fake.FailPhoto(photos[0].ID, flickrtest.Fault{Status: 500}, flickrtest.Fault{Status: 500}, flickrtest.Fault{Status: 500})
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 1 {
		t.Errorf("report %+v", c)
	}
	var times []time.Time
	for _, r := range f.fake.Requests() {
		if strings.Contains(r.Path, photos[0].ID) {
			times = append(times, r.Time)
		}
	}
	if len(times) != 4 {
		t.Fatalf("photo requested %d times, want 4", len(times))
	}
	// Waits of 50, 100 and 120 ms (not 200: capped), as backoff says; the
	// gaps are only checked from below, which a loaded machine cannot break.
	c := &client{cfg: f.cfg}
	for i, want := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 120 * time.Millisecond} {
		if got := c.backoff(i + 1); got != want {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, want)
		}
		if gap := times[i+1].Sub(times[i]); gap < want*95/100 {
			t.Errorf("retry %d sent %v after the failure, want at least %v", i+1, gap, want)
		}
	}
	// However many retries are allowed: 2 s << 33 overflows int64.
	c.cfg.Backoff, c.cfg.MaxBackoff = 2*time.Second, time.Minute
	for _, attempt := range []int{6, 34, 65, 1000} {
		if got := c.backoff(attempt); got != time.Minute {
			t.Errorf("backoff(%d) of 2 s, at most a minute: %v, want a minute", attempt, got)
		}
	}
}

// Retry-After is seconds or an HTTP date (RFC 9110); a date already past
// means no wait, and anything else is ignored.
func TestRetryAfterHeader(t *testing.T) {
	h := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	// HTTP dates have whole seconds: 2 s from now, truncated, is 1 to 2 s away.
	target := time.Now().Add(2 * time.Second).Truncate(time.Second)
	future := target.UTC().Format(http.TimeFormat)
	before := time.Now()
	d := retryAfter(h(future))
	after := time.Now()
	// retryAfter measured it at some moment between before and after.
	if lo, hi := target.Sub(after), target.Sub(before); d < lo || d > hi || d > 2*time.Second {
		t.Errorf("Retry-After: %s gives %v, want %v to %v", future, d, lo, hi)
	}
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	if d := retryAfter(h(past)); d != 0 {
		t.Errorf("Retry-After: %s (an hour ago) gives %v, want 0", past, d)
	}
	for v, want := range map[string]time.Duration{"": 0, "7": 7 * time.Second, " 3 ": 3 * time.Second, "-1": 0, "soon": 0} {
		if d := retryAfter(h(v)); d != want {
			t.Errorf("Retry-After: %q gives %v, want %v", v, d, want)
		}
	}
	if d := retryAfter(http.Header{}); d != 0 {
		t.Errorf("no Retry-After gives %v", d)
	}
}

// A Retry-After of more seconds than a time.Duration holds is the longest
// wait, too long to make: the crawl stops with ErrRateLimited. Multiplied
// out it overflowed, into a negative wait (ignored: retried at once) or a
// short one (18446744074 s wrapped round to 0.29 s).
func TestRetryAfterBeyondDuration(t *testing.T) {
	for _, v := range []string{"9223372037", "18446744074", "99999999999999999999"} {
		if d := retryAfter(http.Header{"Retry-After": {v}}); d < 100*365*24*time.Hour {
			t.Errorf("Retry-After: %s gives %v, want the longest wait", v, d)
		}
	}
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 3)
	f.fake.FailAPI(flickrtest.Fault{Status: 503, RetryAfter: "18446744074"})
	if _, err := f.run(t, context.Background()); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("error %v, want ErrRateLimited", err)
	}
}

// A license id that Flickr's license list lacks stops the crawl before any
// search, naming the ids there are (it would otherwise find no photo).
func TestUnknownLicenseID(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 5)
	f.cfg.Licenses = []string{"4", "999"}
	rep, err := f.run(t, context.Background())
	if err == nil || !strings.Contains(err.Error(), "license 999: Flickr has no such license (its license ids: 0, 1, 2") {
		t.Fatalf("error %v, want one naming license 999 and Flickr's ids", err)
	}
	if rep != nil && len(rep.Classes) > 0 && rep.Classes[0].Downloaded > 0 {
		t.Errorf("photos downloaded: %+v", rep.Classes[0])
	}
}

// A host name that does not resolve (no network) stops the crawl at its
// first request, the license list, without retries.
func TestHostNotFoundStopsAtOnce(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 5)
	f.cfg.Licenses = []string{"cc"}
	f.cfg.Backoff, f.cfg.MaxBackoff = time.Hour, time.Hour // a retry would never end
	requests := 0
	f.cfg.HTTPClient = &http.Client{Transport: &http.Transport{
		DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			requests++
			return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
		},
	}}
	_, err := f.run(t, context.Background())
	if !errors.Is(err, ErrHostNotFound) || !strings.Contains(err.Error(), "no such host") {
		t.Fatalf("error %v, want ErrHostNotFound", err)
	}
	if requests != 1 || strings.Contains(err.Error(), "search") {
		t.Errorf("%d requests, error %q: want the license list only, not retried", requests, err)
	}
}

// A Retry-After longer than MaxRetryAfter stops the whole run with
// ErrRateLimited, instead of failing the photo and going on with the next
// one; what was kept stays consistent and a rerun resumes.
func TestRetryAfterTooLong(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 30)
	f.cfg.Classes = []Class{{Name: "monkey"}, {Name: "crow"}}
	f.fake.AddGenerated("crow", 3)
	f.cfg.PerClass = 30
	// Requests 20 ms apart: while the 429 travels back to the client and
	// stops it, a few more may leave (more on a loaded machine), not the
	// two dozen photos left.
	f.cfg.Interval = 20 * time.Millisecond
	f.cfg.MaxRetryAfter = time.Second
	f.fake.FailPhoto(photos[5].ID, flickrtest.Fault{Status: 429, RetryAfter: "3600"})
	rep, err := f.run(t, context.Background())
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("error %v, want ErrRateLimited", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "1h0m0s") || !strings.Contains(msg, "rerun later") {
		t.Errorf("error %q should say how long Flickr asks to wait and that a rerun resumes", msg)
	}
	if len(rep.Classes) != 1 {
		t.Fatalf("report %+v, want monkey only (the run stops)", rep)
	}
	c := rep.Classes[0]
	if len(c.Rejected) != 0 || c.Failed != 0 || c.Exhausted {
		t.Errorf("report %+v, want nothing rejected and not exhausted", c)
	}
	if n := len(checkFolder(t, f.classDir("monkey"))); n != c.Kept || n == 30 {
		t.Errorf("%d images, report %+v", n, c)
	}
	var limited time.Time
	for _, r := range f.fake.Requests() {
		if strings.Contains(r.Path, photos[5].ID) {
			limited = r.Time
		}
	}
	after := 0
	for _, r := range f.fake.Requests() {
		if r.Time.After(limited) {
			after++
		}
	}
	if after > f.cfg.Concurrency+3 {
		t.Errorf("%d requests after the 429 asking to wait an hour, want at most the %d in flight and a few more", after, f.cfg.Concurrency-1)
	}
	if _, err := os.Stat(f.classDir("crow")); err == nil {
		t.Error("the next class was crawled after the rate limit")
	}

	// Later, the rerun resumes.
	rep, err = f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 30 || c.Existing+c.Downloaded != 30 {
		t.Errorf("rerun report %+v", c)
	}
	checkFolder(t, f.classDir("monkey"))

	// A search asking to wait too long stops the run before any download.
	g := newFixture(t)
	g.fake.AddGenerated("monkey", 5)
	g.cfg.MaxRetryAfter = time.Second
	g.fake.FailMethod(flickrtest.MethodSearch, flickrtest.Fault{Status: 503, RetryAfter: "600"})
	if _, err := g.run(t, context.Background()); !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), "10m0s") {
		t.Errorf("error %v, want ErrRateLimited saying 10m0s", err)
	}
	if n := len(g.fake.PhotoRequests()); n != 0 {
		t.Errorf("%d photos requested", n)
	}
}

// A Retry-After within MaxRetryAfter pauses every request of the client,
// not only the one retried; so does a 429 without one (Flickr's are), for
// the backoff.
func TestTooManyRequestsPausesEveryRequest(t *testing.T) {
	for name, c := range map[string]struct {
		fault   flickrtest.Fault
		backoff time.Duration
	}{
		"Retry-After: 1":              {flickrtest.Fault{Status: 429, RetryAfter: "1"}, 5 * time.Millisecond},
		"no Retry-After, backoff 1 s": {flickrtest.Fault{Status: 429}, time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			// At one request per 50 ms, the crawl lasts well over a second
			// without the pause. With many downloads at once, others are
			// waiting for their turn while the limited one waits: a pause
			// of only the limited request would let them through. (With
			// few, settling in search order holds them back anyway.)
			photos := f.fake.AddGenerated("monkey", 25)
			f.cfg.PerClass = 25
			f.cfg.Concurrency = 12
			f.cfg.Interval = 50 * time.Millisecond
			f.cfg.Backoff, f.cfg.MaxBackoff = c.backoff, c.backoff
			f.fake.FailPhoto(photos[1].ID, c.fault)
			rep, err := f.run(t, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if c := rep.Classes[0]; c.Kept != 25 || len(c.Rejected) != 0 {
				t.Errorf("report %+v", c)
			}
			reqs := f.fake.Requests()
			var limited time.Time
			for _, r := range reqs {
				if strings.Contains(r.Path, photos[1].ID) {
					limited = r.Time
					break
				}
			}
			// Requests already on their way when the 429 came may arrive
			// just after it (on a loaded machine, one of them late); none
			// may start during the pause. Without the pause, a dozen would
			// arrive in that window (one per 50 ms).
			var during []string
			for _, r := range reqs {
				if d := r.Time.Sub(limited); d > 300*time.Millisecond && d < 900*time.Millisecond {
					during = append(during, fmt.Sprintf("%s %v after", r.Path, d))
				}
			}
			if len(during) > 1 {
				t.Errorf("%d requests sent during the pause after the 429: %v", len(during), during)
			}
		})
	}
}

// A 429 to every retry stops the whole run with ErrRateLimited: every later
// photo would be refused too. A rerun resumes.
func TestTooManyRequestsEveryRetryStopsCrawl(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 10)
	f.cfg.PerClass = 10
	f.cfg.Concurrency = 1
	f.cfg.Retries = 2
	f.fake.FailPhoto(photos[3].ID, flickrtest.Fault{Status: 429}, flickrtest.Fault{Status: 429}, flickrtest.Fault{Status: 429})
	rep, err := f.run(t, context.Background())
	if !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "rerun later") {
		t.Fatalf("error %v, want ErrRateLimited naming the 429 and saying a rerun resumes", err)
	}
	c := rep.Classes[0]
	if c.Kept != 3 || len(c.Rejected) != 0 || c.Failed != 0 {
		t.Errorf("report %+v, want the 3 photos before the refused one, nothing rejected", c)
	}
	if n := f.fake.PhotoRequests()[photos[4].ID]; n != 0 {
		t.Errorf("the photo after the refused one was requested %d times", n)
	}
	rep, err = f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 10 || c.Existing != 3 {
		t.Errorf("rerun report %+v", c)
	}
}

func TestTimeouts(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 5)
	// Long enough that an answered request never times out on a loaded
	// machine (a retry would change the counts below), short for a test.
	f.cfg.Timeout = time.Second
	f.fake.FailAPI(flickrtest.Fault{Hang: true})
	f.fake.FailPhoto(photos[2].ID, flickrtest.Fault{Hang: true})
	start := time.Now()
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 5 {
		t.Errorf("report %+v", c)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v: a hanging request was not cut at the 1 s timeout", d)
	}
	if n := f.fake.PhotoRequests()[photos[2].ID]; n != 2 {
		t.Errorf("hanging photo requested %d times, want 2", n)
	}

	// Hanging every time: reported, nothing written.
	g := newFixture(t)
	ps := g.fake.AddGenerated("monkey", 2)
	g.cfg.PerClass = 2
	g.cfg.Retries = 1
	g.cfg.Timeout = 500 * time.Millisecond
	g.fake.FailPhoto(ps[0].ID, flickrtest.Fault{Hang: true}, flickrtest.Fault{Hang: true})
	rep, err = g.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The results ran out, but a rerun may get the failed photo: the class
	// is not exhausted.
	if c := rep.Classes[0]; c.Kept != 1 || len(c.Rejected) != 1 || c.Rejected[0].Reason != ReasonFailed || c.Failed != 1 || c.Exhausted {
		t.Errorf("report %+v", c)
	}
	checkFolder(t, g.classDir("monkey"))
}

func TestTruncatedAndHTMLBodies(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 9)
	f.cfg.Retries = 1
	// Truncated once: retried and kept.
	f.fake.FailPhoto(photos[0].ID, flickrtest.Fault{Truncate: true})
	// Truncated every time: discarded.
	f.fake.FailPhoto(photos[1].ID, flickrtest.Fault{Truncate: true}, flickrtest.Fault{Truncate: true})
	// An HTML page with status 200: discarded, not retried.
	f.fake.FailPhoto(photos[2].ID, flickrtest.Fault{Body: []byte("<!DOCTYPE html><html><body>Oops</body></html>")})
	// Half a JPEG, complete as far as HTTP knows: discarded.
	full := jpegBytes(t, flickrtest.Generate("x", 150, 150))
	f.fake.FailPhoto(photos[3].ID, flickrtest.Fault{Body: full[:len(full)/2], ContentType: "image/jpeg"})
	// A TIFF: a real image, but not one taken from the network.
	var tif bytes.Buffer
	if err := tiff.Encode(&tif, flickrtest.Generate("t", 150, 150), nil); err != nil {
		t.Fatal(err)
	}
	f.fake.FailPhoto(photos[4].ID, flickrtest.Fault{Body: tif.Bytes(), ContentType: "image/tiff"})
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if c.Kept != 5 {
		t.Errorf("kept %d, want 5 (others fill in)", c.Kept)
	}
	reasons := rejectionReasons(c)
	want := map[string]Reason{photos[1].ID: ReasonFailed, photos[2].ID: ReasonNotImage, photos[3].ID: ReasonNotImage, photos[4].ID: ReasonNotImage}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Errorf("rejections %v, want %v", reasons, want)
	}
	for _, r := range c.Rejected {
		if r.ID == photos[4].ID && !strings.Contains(r.Detail, "tiff") {
			t.Errorf("TIFF rejected with %q, want the format named", r.Detail)
		}
	}
	images := checkFolder(t, f.classDir("monkey"))
	if !slices.Contains(images, photos[0].ID+".jpg") {
		t.Errorf("photo truncated once is missing: %v", images)
	}
	counts := f.fake.PhotoRequests()
	if counts[photos[2].ID] != 1 || counts[photos[0].ID] != 2 {
		t.Errorf("requests per photo %v", counts)
	}
}

// A download received whole that is not an image is listed in the rejected
// list, so that a rerun does not fetch it again; a download that may have
// been cut off (shorter than its Content-Length, or without a length and
// not decoding) is retried, then fails for now: a rerun tries it again.
func TestNotImageNotFetchedAgain(t *testing.T) {
	f := newFixture(t)
	full := jpegBytes(t, flickrtest.Generate("x", 150, 150))
	photos := f.fake.Add("monkey",
		flickrtest.Photo{Title: "html", Data: []byte("<!DOCTYPE html><html><body>Oops</body></html>")},
		flickrtest.Photo{Title: "half a JPEG", Data: full[:len(full)/2]},
	)
	cut := f.fake.AddGenerated("monkey", 3)
	f.fake.AddGenerated("monkey", 5)
	f.cfg.Retries = 1
	f.cfg.Concurrency = 1
	f.cfg.PerClass = 3
	// Cut off at every attempt: against the Content-Length, or without one.
	truncated := flickrtest.Fault{Truncate: true}
	f.fake.FailPhoto(cut[0].ID, truncated, truncated)
	noLength := flickrtest.Fault{Truncate: true, NoLength: true}
	f.fake.FailPhoto(cut[1].ID, noLength, noLength)
	// Cut off once without a length: retried at once, and kept.
	f.fake.FailPhoto(cut[2].ID, noLength)
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	reasons := rejectionReasons(c)
	want := map[string]Reason{photos[0].ID: ReasonNotImage, photos[1].ID: ReasonNotImage, cut[0].ID: ReasonFailed, cut[1].ID: ReasonFailed}
	if fmt.Sprint(reasons) != fmt.Sprint(want) || c.Failed != 2 || c.Kept != 3 {
		t.Errorf("report %+v, want rejections %v", c, want)
	}
	if images := checkFolder(t, f.classDir("monkey")); !slices.Contains(images, cut[2].ID+".jpg") {
		t.Errorf("the photo cut off once is not kept: %v", images)
	}
	rejected, err := readRejected(f.classDir("monkey"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, r := range rejected {
		listed = append(listed, r.ID)
	}
	if !slices.Equal(listed, []string{photos[0].ID, photos[1].ID}) {
		t.Errorf("rejected list %v, want the two that are not images, %s and %s", listed, photos[0].ID, photos[1].ID)
	}

	// The rerun skips the two, and downloads the two cut off (whole now).
	f.cfg.PerClass = 5
	rep, err = f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 5 || c.Downloaded != 2 || c.Skipped != 2 || len(c.Rejected) != 0 {
		t.Errorf("rerun report %+v, want the two cut off downloaded and the two not images skipped", c)
	}
	counts := f.fake.PhotoRequests()
	for _, p := range photos {
		if counts[p.ID] != 1 {
			t.Errorf("%s (%s) requested %d times, want once", p.ID, p.Title, counts[p.ID])
		}
	}
	for _, p := range cut[:2] {
		if counts[p.ID] != 3 {
			t.Errorf("photo %s cut off requested %d times, want 3: twice in the first run, once in the rerun", p.ID, counts[p.ID])
		}
	}
	checkFolder(t, f.classDir("monkey"))
}

// A photo that cannot be saved locally (full disk, read-only folder) stops
// the crawl with an error, instead of discarding every later download.
func TestLocalWriteFailureStopsCrawl(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 20)
	f.cfg.Concurrency = 1
	diskFull := errors.New("no space left on device")
	writeTemp = func(string, string, os.FileMode, func(io.Writer) error) (string, error) { return "", diskFull }
	t.Cleanup(func() { writeTemp = atomicfile.WriteTemp })
	_, err := f.run(t, context.Background())
	if !errors.Is(err, diskFull) {
		t.Fatalf("crawl returned %v, want the write error", err)
	}
	if n := len(f.fake.PhotoRequests()); n > 2 {
		t.Errorf("%d photos downloaded after the first write failure, want the crawl to stop", n)
	}
}

// TestSettledInSearchOrder checks that concurrent downloads are settled in
// search order: of two identical photos the first result is kept even when
// its copy finishes downloading first, and the photos kept are the first
// good ones in search order.
func TestSettledInSearchOrder(t *testing.T) {
	f := newFixture(t)
	same := jpegBytes(t, flickrtest.Generate("same", 150, 150))
	photos := f.fake.Add("monkey",
		flickrtest.Photo{Title: "original", Data: same},
		flickrtest.Photo{Title: "re-upload", Data: same},
	)
	f.fake.AddGenerated("monkey", 4)
	f.fake.FailPhoto(photos[0].ID, flickrtest.Fault{Delay: 300 * time.Millisecond})
	f.cfg.Concurrency = 4
	f.cfg.PerClass = 3
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if len(c.Rejected) != 1 || c.Rejected[0].ID != photos[1].ID || c.Rejected[0].Reason != ReasonDuplicate {
		t.Errorf("rejected %+v, want the re-upload %s as a duplicate", c.Rejected, photos[1].ID)
	}
	entries, err := ReadManifest(f.classDir("monkey"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range entries {
		kept = append(kept, e.Title)
	}
	if len(kept) != 3 || kept[0] != "original" {
		t.Errorf("kept %v in this order, want the original first, then the next results", kept)
	}
}

func TestDuplicatesAndUnavailable(t *testing.T) {
	f := newFixture(t)
	same := jpegBytes(t, flickrtest.Generate("same", 150, 150))
	f.fake.Add("monkey",
		flickrtest.Photo{Title: "first", Data: same},
		flickrtest.Photo{Title: "gone", Unavailable: true},
		flickrtest.Photo{Title: "copy", Data: same},
		flickrtest.Photo{Title: "placeholder", Data: flickrtest.Placeholder()},
	)
	f.fake.AddGenerated("monkey", 5)
	f.cfg.Concurrency = 1 // deterministic: the first of the pair is kept
	f.cfg.PerClass = 5
	f.cfg.Placeholders = []PlaceholderSignature{{Width: 500, Height: 374, Bytes: int64(len(flickrtest.Placeholder()))}}
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	var got []string
	for _, r := range c.Rejected {
		got = append(got, string(r.Reason))
	}
	if want := []string{"unavailable", "duplicate", "unavailable"}; !slices.Equal(got, want) {
		t.Errorf("rejections %v, want %v", got, want)
	}
	if c.Kept != 5 {
		t.Errorf("kept %d", c.Kept)
	}
	checkFolder(t, f.classDir("monkey"))
	rejected, _ := readRejected(f.classDir("monkey"))
	if len(rejected) != 3 {
		t.Errorf("rejected list %v", rejected)
	}

	// A rerun asking for more fetches none of them again.
	before := f.fake.PhotoRequests()
	f.cfg.PerClass = 6
	rep, err = f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 6 || c.Downloaded != 1 || c.Existing != 5 || len(c.Rejected) != 0 {
		t.Errorf("rerun report %+v", c)
	}
	after := f.fake.PhotoRequests()
	for id, n := range after {
		if n > 1 || (before[id] == 1 && n != 1) {
			t.Errorf("photo %s requested %d times in all", id, n)
		}
	}
	checkFolder(t, f.classDir("monkey"))
}

func TestResumeAfterInterruption(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 10)
	f.cfg.PerClass = 8
	ctx, cancel := context.WithCancel(context.Background())
	f.cfg.Progress = func(p Progress) {
		if p.Kept == 3 {
			cancel() // Ctrl-C after 3 photos
		}
	}
	rep, err := f.run(t, ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n := len(checkFolder(t, f.classDir("monkey"))); n < 3 || n != rep.Classes[0].Kept {
		t.Errorf("%d images after the interruption, report %+v", n, rep.Classes[0])
	}

	f.cfg.Progress = nil
	rep, err = f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if c.Kept != 8 || c.Existing < 3 || c.Existing+c.Downloaded != 8 {
		t.Errorf("rerun report %+v", c)
	}
	if n := len(checkFolder(t, f.classDir("monkey"))); n != 8 {
		t.Errorf("%d images, want 8", n)
	}
	// Nothing that was kept is downloaded twice; photos cut off in flight
	// by the interruption may be requested again.
	entries, _ := ReadManifest(f.classDir("monkey"))
	counts := f.fake.PhotoRequests()
	twice := 0
	for _, e := range entries {
		if counts[e.ID] > 1 {
			twice++
		}
	}
	if twice > f.cfg.Concurrency-1 {
		t.Errorf("%d photos requested twice: %v", twice, counts)
	}

	// A third run has nothing to do: no request at all.
	n := len(f.fake.Requests())
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := len(f.fake.Requests()); m != n {
		t.Errorf("a complete class made %d requests", m-n)
	}
}

func TestResumeAfterCrash(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 6)
	f.cfg.PerClass = 6
	dir := f.classDir("monkey")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A crash left: a partial temporary file, a complete photo renamed but
	// not yet in the manifest, and a manifest line cut short.
	if err := os.WriteFile(filepath.Join(dir, tempPrefix+photos[0].ID+"-123"+tempSuffix), []byte{0xff, 0xd8}, 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(strings.TrimSuffix(f.cfg.APIURL, flickrtest.APIPath) + "/photos/65535/" + photos[1].ID + "_" + secretFromSearch(t, f, photos[1].ID) + "_q.jpg")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := os.WriteFile(filepath.Join(dir, photos[1].ID+".jpg"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"id":"999","fi`), 0o644); err != nil {
		t.Fatal(err)
	}
	before := f.fake.PhotoRequests()[photos[1].ID]

	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if c.Kept != 6 || c.Recovered != 1 || c.Downloaded != 5 {
		t.Errorf("report %+v", c)
	}
	if n := f.fake.PhotoRequests()[photos[1].ID]; n != before {
		t.Errorf("recovered photo downloaded again")
	}
	checkFolder(t, dir)
}

// A photo whose manifest line cannot be written is not kept: the folder
// never holds a photo that the manifest, and so the credits, lack (a crash
// at that moment leaves the same).
func TestManifestWriteFailureKeepsNoUnlistedPhoto(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 4)
	f.cfg.PerClass, f.cfg.Concurrency = 4, 1
	dir := f.classDir("monkey")
	manifest, saved := filepath.Join(dir, ManifestFile), filepath.Join(t.TempDir(), ManifestFile)
	broken := false
	f.cfg.Progress = func(p Progress) {
		if p.Kept == 1 && !broken { // the manifest becomes a folder: appending to it fails
			broken = true
			if err := os.Rename(manifest, saved); err != nil {
				t.Error(err)
			}
			if err := os.Mkdir(manifest, 0o755); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := f.run(t, context.Background()); err == nil {
		t.Fatal("crawl with an unwritable manifest succeeded")
	}
	if err := os.Remove(manifest); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(saved, manifest); err != nil {
		t.Fatal(err)
	}
	if images := checkFolder(t, dir); len(images) != 1 {
		t.Errorf("the folder holds %v, want the one photo kept before the failure", images)
	}
	// A rerun completes the class.
	f.cfg.Progress = nil
	rep, err := f.run(t, context.Background())
	if err != nil || rep.Classes[0].Kept != 4 {
		t.Fatalf("rerun: %+v, %v", rep, err)
	}
	checkFolder(t, dir)
}

// A manifest line cut short at the end is what a crash mid-append leaves,
// and is ignored; a malformed line before others is corruption: reading the
// manifest, and crawling into its folder, fail naming the file and line,
// instead of forgetting the photo it described (and fetching it again).
func TestManifestCorruptLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ManifestFile)
	one := `{"id":"1","file":"1.jpg"}` + "\n"
	two := `{"id":"2","file":"2.jpg"}` + "\n"
	if err := os.WriteFile(path, []byte(one+two+`{"id":"3","fi`), 0o644); err != nil {
		t.Fatal(err)
	}
	entries, err := ReadManifest(dir)
	if err != nil || len(entries) != 2 || entries[0].ID != "1" || entries[1].ID != "2" {
		t.Errorf("manifest with a partial last line: %+v, %v; want entries 1 and 2", entries, err)
	}

	if err := os.WriteFile(path, []byte(one+"garbage\n"+two), 0o644); err != nil {
		t.Fatal(err)
	}
	entries, err = ReadManifest(dir)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("manifest with a garbage line: %+v, %v; want an error naming %s line 2", entries, err, path)
	}

	f := newFixture(t)
	f.fake.AddGenerated("monkey", 5)
	classDir := f.classDir("monkey")
	if err := os.MkdirAll(classDir, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(classDir, ManifestFile)
	if err := os.WriteFile(manifest, []byte(one+"garbage\n"+two), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = f.run(t, context.Background())
	if err == nil || !strings.Contains(err.Error(), manifest) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("crawl into a folder with a corrupt manifest: %v; want an error naming %s line 2", err, manifest)
	}
	if n := len(f.fake.PhotoRequests()); n != 0 {
		t.Errorf("%d photos downloaded into a folder with a corrupt manifest", n)
	}
}

// A photo larger than MaxBytes is not kept: the download stops there and
// the photo is rejected as too large, once (no retries).
func TestMaxBytes(t *testing.T) {
	f := newFixture(t)
	small := jpegBytes(t, flickrtest.Generate("small", 16, 16))
	big := jpegBytes(t, flickrtest.Generate("big", 400, 400))
	f.cfg.MaxBytes = 4000 // more than a search answer and the small photo
	if len(small) > 2000 || len(big) < 2*int(f.cfg.MaxBytes) {
		t.Fatalf("photos of %d and %d bytes", len(small), len(big))
	}
	photos := f.fake.Add("monkey", flickrtest.Photo{Data: big, Title: "big"}, flickrtest.Photo{Data: small, Title: "small"})
	f.cfg.PerClass = 2
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if c.Kept != 1 || len(c.Rejected) != 1 {
		t.Fatalf("report %+v, want the small photo kept and the big one rejected", c)
	}
	if r := c.Rejected[0]; r.ID != photos[0].ID || !strings.Contains(r.Detail, "larger than 4000 bytes") {
		t.Errorf("rejection %+v, want photo %s rejected as larger than 4000 bytes", r, photos[0].ID)
	}
	if n := f.fake.PhotoRequests()[photos[0].ID]; n != 1 {
		t.Errorf("the big photo was requested %d times, want once", n)
	}
	images := checkFolder(t, f.classDir("monkey"))
	if want := []string{photos[1].ID + ".jpg"}; !slices.Equal(images, want) {
		t.Errorf("folder holds %v, want %v", images, want)
	}
}

// Flickr redirects a deleted or private photo to its "photo unavailable"
// image: the redirect alone (no known placeholder signature) marks it
// unavailable, not kept, and listed so that a rerun does not fetch it again.
func TestUnavailableByRedirect(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.Add("monkey", flickrtest.Photo{Title: "gone", Unavailable: true}, flickrtest.Photo{Title: "here"})
	f.cfg.PerClass = 2
	f.cfg.Placeholders = nil
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if c.Kept != 1 || len(c.Rejected) != 1 || c.Rejected[0].ID != photos[0].ID || c.Rejected[0].Reason != ReasonUnavailable {
		t.Fatalf("report %+v, want photo %s rejected as unavailable", c, photos[0].ID)
	}
	if images := checkFolder(t, f.classDir("monkey")); !slices.Equal(images, []string{photos[1].ID + ".jpg"}) {
		t.Errorf("folder holds %v", images)
	}
	rejected, err := readRejected(f.classDir("monkey"))
	if err != nil || len(rejected) != 1 || rejected[0].ID != photos[0].ID {
		t.Errorf("rejected list %+v, %v", rejected, err)
	}
}

// secretFromSearch finds a photo's image URL secret through the API.
func secretFromSearch(t *testing.T, f *fixture, id string) string {
	t.Helper()
	c, err := newClient(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.search(context.Background(), searchParams{Text: "monkey", PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Photos {
		if p.ID == id {
			base := filepath.Base(p.URL)
			return strings.Split(base, "_")[1]
		}
	}
	t.Fatalf("photo %s not found", id)
	return ""
}

func TestCancelDuringDownload(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 3)
	f.cfg.Timeout = 30 * time.Second
	for _, p := range photos {
		f.fake.FailPhoto(p.ID, flickrtest.Fault{Hang: true})
	}
	// Cancelled once the first photo request has left (it hangs at the
	// server): the search is done, a download is under way.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	f.cfg.HTTPClient = &http.Client{Transport: &onPhotoRequest{apiURL: f.cfg.APIURL, do: func() {
		once.Do(func() { time.AfterFunc(50*time.Millisecond, cancel) })
	}}}
	start := time.Now()
	_, err := f.run(t, ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want the context's", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	if n := len(checkFolder(t, f.classDir("monkey"))); n != 0 {
		t.Errorf("%d images", n)
	}
}

// onPhotoRequest calls do when a request other than the API's (a photo's)
// leaves the client.
type onPhotoRequest struct {
	apiURL string
	do     func()
}

func (o *onPhotoRequest) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.String(), o.apiURL) {
		o.do()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// sendTimes records when each request leaves the client.
type sendTimes struct {
	mu    sync.Mutex
	times []time.Time
}

func (s *sendTimes) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 6)
	const interval = 150 * time.Millisecond
	f.cfg.Interval = interval
	f.cfg.Concurrency = 4
	f.cfg.PerPage = 3
	f.cfg.PerClass = 6
	sent := &sendTimes{}
	f.cfg.HTTPClient = &http.Client{Transport: sent}
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	times := sent.times
	if len(times) != 9 {
		t.Fatalf("%d requests, want 9 (the license list, 2 searches, 6 photos)", len(times))
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	// The limiter hands out one turn per interval; a busy machine can delay
	// a goroutine between its turn and the send, which shortens the gap
	// after it (once), and a late first send the total (by one interval at
	// most, allowed here). Without the limit, the 4 downloads at a time
	// leave together: gaps near 0, all 9 within a few milliseconds.
	var short []string
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < interval/2 {
			short = append(short, fmt.Sprintf("%d→%d %v", i-1, i, gap))
		}
	}
	if len(short) > 1 {
		t.Errorf("requests sent less than %v apart (interval %v): %v", interval/2, interval, short)
	}
	if span := times[len(times)-1].Sub(times[0]); span < 7*interval {
		t.Errorf("9 requests sent within %v (interval %v)", span, interval)
	}
}

func TestExclusionsAndDeletedPhotosNotFetched(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 8)
	f.cfg.PerClass = 4
	f.cfg.Concurrency = 1
	dir := f.classDir("monkey")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := dataset.AddExclusions(dir, "test", photos[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.fake.PhotoRequests()[photos[0].ID]; n != 0 {
		t.Errorf("excluded photo requested %d times", n)
	}
	// Deleting a photo by hand: the rerun tops up with another one.
	if err := os.Remove(filepath.Join(dir, photos[1].ID+".jpg")); err != nil {
		t.Fatal(err)
	}
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if c.Kept != 4 || c.Downloaded != 1 || c.Skipped != 2 {
		t.Errorf("report %+v", c)
	}
	if n := f.fake.PhotoRequests()[photos[1].ID]; n != 1 {
		t.Errorf("deleted photo requested %d times", n)
	}
}

// Curating after a crawl: a kept photo listed in exclude.txt stays in the
// folder but no longer counts, so the rerun downloads a replacement.
func TestExcludedKeptPhotoIsReplaced(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 8)
	f.cfg.PerClass = 4
	f.cfg.Concurrency = 1
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := f.classDir("monkey")
	if err := dataset.AddExclusions(dir, "blurry", photos[1].ID+".jpg"); err != nil {
		t.Fatal(err)
	}
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if c.Kept != 4 || c.Existing != 3 || c.Excluded != 1 || c.Downloaded != 1 {
		t.Errorf("report %+v, want 4 kept: 3 there, 1 excluded, 1 downloaded", c)
	}
	if _, err := os.Stat(filepath.Join(dir, photos[1].ID+".jpg")); err != nil {
		t.Errorf("the excluded photo should stay in the folder: %v", err)
	}
	if n := f.fake.PhotoRequests()[photos[1].ID]; n != 1 {
		t.Errorf("excluded photo requested %d times, want once (the first crawl)", n)
	}
	if n := f.fake.PhotoRequests()[photos[4].ID]; n != 1 {
		t.Errorf("the next result, the replacement, requested %d times, want 1", n)
	}
	// A third run has nothing to do.
	rep, err = f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 4 || c.Downloaded != 0 || c.SearchTotal != -1 {
		t.Errorf("third run %+v, want 4 kept without a search", c)
	}
}

// The key is replaced in an api_key parameter whatever its length, and
// anywhere else when it is long enough not to garble other words: a test
// key "k" leaves "extras" and "text" alone.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ key, in, want string }{
		{"k", `Get "http://127.0.0.1:1/?api_key=k&extras=url_q&text=monkey": refused`,
			`Get "http://127.0.0.1:1/?api_key=REDACTED&extras=url_q&text=monkey": refused`},
		{testKey, "key " + testKey + " in a message, and api_key=" + url.QueryEscape(testKey) + "#x",
			"key REDACTED in a message, and api_key=REDACTED#x"},
		{"a b&c", "?api_key=a+b%26c&x=1", "?api_key=REDACTED&x=1"},
	} {
		c := &client{key: tc.key}
		if got := c.redact(tc.in); got != tc.want {
			t.Errorf("key %q: redact(%q) = %q, want %q", tc.key, tc.in, got, tc.want)
		}
	}
}

func TestKeyNeverLeaks(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 2)
	f.cfg.Retries = 1
	f.fake.FailMethod(flickrtest.MethodSearch, flickrtest.Fault{Status: 502}, flickrtest.Fault{Hang: true})
	f.cfg.Timeout = 100 * time.Millisecond
	if _, err := f.run(t, context.Background()); err == nil {
		t.Error("no error after a 502 and a timeout")
	}
	// Connection refused: net/http's error quotes the URL, key included.
	g := newFixture(t)
	g.cfg.APIURL = "http://127.0.0.1:1/services/rest/"
	g.cfg.Retries = 1
	_, err := g.run(t, context.Background())
	if err == nil || !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("error %v, want a redacted URL", err)
	}
	// -h output.
	cfg := DefaultConfig()
	cfg.APIKey = testKey
	fs := flag.NewFlagSet("crawl", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	cfg.RegisterFlags(fs)
	fs.PrintDefaults()
	if strings.Contains(out.String(), testKey) {
		t.Error("the key appears in the flag defaults")
	}
}

func TestAPIKeySources(t *testing.T) {
	t.Setenv(APIKeyEnv, "")
	cfg := DefaultConfig()
	cfg.ImagesDir = filepath.Join(t.TempDir(), "images")
	_, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrNoAPIKey) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q, want ErrNoAPIKey on one line", err)
	}
	if !strings.Contains(err.Error(), "https://www.flickr.com/services/apps/create") {
		t.Errorf("error %q does not say how to get a key", err)
	}
	if _, err := os.Stat(cfg.ImagesDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output folder created without a key")
	}

	t.Setenv(APIKeyEnv, " from-env\n")
	if k, err := cfg.resolveAPIKey(); k != "from-env" || err != nil {
		t.Errorf("env: %q %v", k, err)
	}
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.APIKeyFile = file
	if k, err := cfg.resolveAPIKey(); k != "from-file" || err != nil {
		t.Errorf("file: %q %v", k, err)
	}
	cfg.APIKey = "from-flag"
	if k, err := cfg.resolveAPIKey(); k != "from-flag" || err != nil {
		t.Errorf("flag: %q %v", k, err)
	}
}

// The default is Flickr's polite rate: one request per second, every
// download and search together, and the flag says so.
func TestDefaultOneRequestPerSecond(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Interval != time.Second {
		t.Errorf("default interval %v, want 1s", cfg.Interval)
	}
	if got := cfg.withDefaults().Interval; got != time.Second {
		t.Errorf("default interval after withDefaults %v, want 1s", got)
	}
	fs := flag.NewFlagSet("crawl", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if f := fs.Lookup("interval"); f == nil || f.DefValue != "1s" {
		t.Errorf("-interval flag %+v, want default 1s", f)
	}
}

// Zero values are not defaults: a Config not started from DefaultConfig is
// refused before any request, except for the fields without a flag.
func TestValidate(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for want, mutate := range map[string]func(*Config){
		"per-class must be at least 1":          func(c *Config) { c.PerClass = 0 },
		"concurrency must be at least 1":        func(c *Config) { c.Concurrency = 0 },
		"timeout must be positive":              func(c *Config) { c.Timeout = 0 },
		"safe-search must be 1, 2 or 3, got 0":  func(c *Config) { c.SafeSearch = 0 },
		`unknown size ""`:                       func(c *Config) { c.Size = "" },
		`unknown sort order ""`:                 func(c *Config) { c.Sort = "" },
		"no output folder":                      func(c *Config) { c.ImagesDir = "" },
		`API URL "" is not an http(s) URL`:      func(c *Config) { c.APIURL = "" },
		"no user agent":                         func(c *Config) { c.UserAgent = "" },
		"backoff, max backoff and max Retry":    func(c *Config) { c.Backoff = -time.Second },
		"max bytes must not be negative":        func(c *Config) { c.MaxBytes = -1 },
		"interval must not be negative, got -1": func(c *Config) { c.Interval = -1 },
	} {
		c := DefaultConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Validate() = %v", want, err)
		}
	}
	f := newFixture(t)
	f.cfg = Config{Classes: f.cfg.Classes, ImagesDir: f.cfg.ImagesDir, APIURL: f.cfg.APIURL, APIKey: testKey}
	if _, err := f.run(t, context.Background()); err == nil || !strings.Contains(err.Error(), "crawl config: per-class must be at least 1") {
		t.Errorf("crawl with a zero Config: %v", err)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("%d requests made with an invalid Config", n)
	}
	// The fields without a flag take their defaults when zero.
	c := Config{}.withDefaults()
	if c.Backoff != def.Backoff || c.MaxBackoff != def.MaxBackoff || c.MaxRetryAfter != def.MaxRetryAfter || c.MaxBytes != def.MaxBytes || c.Logger == nil {
		t.Errorf("withDefaults left %+v", c)
	}
}

// TestClassNames: crawl refuses every name the dataset would not read as a
// class folder (dataset.CheckClassName), a hidden ".foo" included, and its
// own extras, before any request.
func TestClassNames(t *testing.T) {
	for name, why := range map[string]string{
		".foo":    `invalid class name ".foo": a name starting with '.' is a hidden folder`,
		"../etc":  "not a plain folder name",
		"":        "empty",
		"a:b":     "':' is not allowed",
		" monkey": "spaces around it",
	} {
		f := newFixture(t)
		f.cfg.Classes = []Class{{Name: name}}
		if _, err := f.run(t, context.Background()); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("class %q: error %v, want one saying %q", name, err, why)
		}
		if n := len(f.fake.Requests()); n != 0 {
			t.Errorf("class %q: %d requests made", name, n)
		}
		if _, err := os.Stat(filepath.Join(f.cfg.ImagesDir, name)); name != "" && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("class %q: folder made (%v)", name, err)
		}
	}
	var cl classesValue
	if err := cl.Set("monkey,.foo=foo"); err == nil || !strings.Contains(err.Error(), "hidden folder") {
		t.Errorf("-classes monkey,.foo=foo: %v", err)
	}
}

func TestFlags(t *testing.T) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("crawl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	err := fs.Parse([]string{"-classes", "monkey, boar=wild boar ,crow", "-per-class", "50", "-license", "cc", "-size", "m", "-interval", "2s"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Class{{"monkey", ""}, {"boar", "wild boar"}, {"crow", ""}}
	if !slices.Equal(cfg.Classes, want) || cfg.PerClass != 50 || cfg.Size != "m" || cfg.Interval != 2*time.Second {
		t.Errorf("config %+v", cfg)
	}
	if got := cfg.withDefaults().Licenses; !slices.Equal(got, []string{"cc"}) {
		t.Errorf("licenses %v", got)
	}
	// Before Flickr's license list is fetched (or when it cannot be), "cc"
	// stands for the built-in Creative Commons ids.
	cfg.APIKey = testKey
	if c, err := newClient(cfg); err != nil || !slices.Equal(c.lic.filter, ccLicenseIDs) {
		t.Errorf("license filter before the license list: %v %v", c.lic.filter, err)
	}
	if err := fs.Parse([]string{"-classes", "../etc"}); err == nil {
		t.Error("class name with a path accepted")
	}
	for _, c := range []struct {
		name   string
		change func(*Config)
		want   string // in the error
	}{
		{"unknown size", func(c *Config) { c.Size = "huge" }, `unknown size "huge"`},
		{"unknown sort order", func(c *Config) { c.Sort = "nonsense" }, `unknown sort order "nonsense"`},
		{"API URL without a scheme", func(c *Config) { c.APIURL = "notaurl" }, `"notaurl" is not an http(s) URL`},
		{"API URL of another scheme", func(c *Config) { c.APIURL = "ftp://example.com/rest" }, "not an http(s) URL"},
	} {
		bad := DefaultConfig()
		bad.APIKey = testKey
		c.change(&bad)
		if _, err := newClient(bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %s", c.name, err, c.want)
		}
	}
	good := DefaultConfig()
	good.Sort, good.APIURL, good.APIKey = "date-taken-asc", "http://127.0.0.1:1/rest", testKey
	if _, err := newClient(good); err != nil {
		t.Errorf("a sort order and API URL Flickr's way: %v", err)
	}
}

// Shortfall splits the report's overlapping counts into categories that do
// not overlap, and says nothing of a class that is not short.
func TestShortfall(t *testing.T) {
	c := ClassReport{Wanted: 10, Kept: 4, Exhausted: true, Results: 20, SearchTotal: MaxResults + 1,
		Skipped: 5, NoSize: 3, Failed: 1,
		Rejected: []Rejection{{Reason: ReasonOtherClass}, {Reason: ReasonOtherClass}, {Reason: ReasonFailed}, {Reason: ReasonDuplicate}}}
	want := Shortfall{Exhausted: true, Capped: true, Skipped: 2, NoSize: 3, OtherClass: 2, Discarded: 1, Failed: 1}
	if got, short := c.Shortfall(); !short || got != want {
		t.Errorf("Shortfall() = %+v, %v; want %+v, true", got, short, want)
	}
	for _, c := range []ClassReport{
		{Wanted: 10, Kept: 10, Failed: 2},       // full despite failures
		{Wanted: 10, Kept: 4},                   // stopped: no reason in the counts
		{Wanted: 10, Kept: 10, Exhausted: true}, // cannot happen, but is not short
	} {
		if sf, short := c.Shortfall(); short {
			t.Errorf("%+v: Shortfall() = %+v, true; want false", c, sf)
		}
	}
	if sf, short := (ClassReport{Wanted: 10, Kept: 8, Failed: 2}).Shortfall(); !short || sf.Exhausted || sf.Failed != 2 {
		t.Errorf("short by 2 failed downloads: %+v, %v", sf, short)
	}
}

// An API answer is capped far below a photo's MaxBytes (decoding JSON
// takes many times its size: a 19 MB answer allocated 2.6 GB).
func TestAPIAnswerCapped(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 2)
	f.cfg.Retries = 0
	huge := append([]byte(`{"photos":{"page":1,"pages":1,"total":1,"photo":[`), bytes.Repeat([]byte(`{"id":1},`), (maxAPIBytes/9)+1)...)
	f.fake.FailMethod(flickrtest.MethodSearch, flickrtest.Fault{Body: huge, ContentType: "application/json"})
	if _, err := f.run(t, context.Background()); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("body larger than %d bytes", maxAPIBytes)) {
		t.Errorf("a %d-byte search answer: %v", len(huge), err)
	}
}

// A downloaded photo may have as many pixels as its size allows (with a
// floor for Flickr's 500×374 placeholder); originals up to imageio's cap.
func TestMaxPixelsBySize(t *testing.T) {
	for size, want := range map[string]int64{"q": minMaxPixels, "l": 4 * 1024 * 1024, "o": imageio.MaxPixels} {
		if got := (&Config{Size: size}).maxPixels(); got != want {
			t.Errorf("size %s: %d pixels, want %d", size, got, want)
		}
	}
	big := jpegBytes(t, flickrtest.Generate("1", 1500, 1500)) // 2.25 MP
	if _, err := inspect(big, (&Config{Size: "q"}).maxPixels()); !errors.Is(err, imageio.ErrTooLarge) {
		t.Errorf("a 1500×1500 download for size q: %v, want ErrTooLarge", err)
	}
	if _, err := inspect(big, (&Config{Size: "l"}).maxPixels()); err != nil {
		t.Errorf("a 1500×1500 download for size l: %v", err)
	}
}

// rejectionReasons maps the photo ids c rejected to their reasons.
func rejectionReasons(c ClassReport) map[string]Reason {
	reasons := map[string]Reason{}
	for _, r := range c.Rejected {
		reasons[r.ID] = r.Reason
	}
	return reasons
}
