package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
)

// The cases below were found by mutation testing: each test fails when the
// behaviour it names is removed.

// A first crawl creates the images folder, and a stray file beside the class
// folders (credits, .DS_Store) is not taken for one.
func TestFreshImagesDirAndStrayFiles(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 3)
	f.cfg.PerClass = 3
	f.cfg.ImagesDir = filepath.Join(t.TempDir(), "data", "images")
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatalf("crawl into a folder not created yet: %v", err)
	}
	for _, n := range []string{"CREDITS.md", ".DS_Store"} {
		if err := os.WriteFile(filepath.Join(f.cfg.ImagesDir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.cfg.PerClass = 4
	f.fake.AddGenerated("monkey", 1)
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatalf("crawl beside stray files: %v", err)
	}
	if c := rep.Classes[0]; c.Kept != 4 || c.Downloaded != 1 || c.Existing != 3 {
		t.Errorf("report %+v, want 4 kept: 3 there and 1 downloaded", c)
	}
	for _, n := range []string{"CREDITS.md", ".DS_Store"} {
		if b, err := os.ReadFile(filepath.Join(f.cfg.ImagesDir, n)); err != nil || string(b) != "x" {
			t.Errorf("the stray file %s: %q, %v, want it left as it was", n, b, err)
		}
	}
}

// Flickr repeats photos across pages: each is fetched and counted once.
func TestRepeatedResultsFetchedOnce(t *testing.T) {
	f := newFixture(t)
	ps := f.fake.AddGenerated("monkey", 4)
	f.fake.Add("monkey", ps[0], ps[1])
	f.cfg.PerClass = 10
	f.cfg.PerPage = 3
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Results != 4 || len(c.Rejected) != 0 || c.Kept != 4 {
		t.Errorf("report %+v, want 4 distinct results kept, nothing rejected", c)
	}
	for id, n := range f.fake.PhotoRequests() {
		if n != 1 {
			t.Errorf("photo %s fetched %d times", id, n)
		}
	}
	// 6 results at 3 a page: pages 1 and 2, no third.
	var pages []string
	for _, r := range searchRequests(f.fake) {
		pages = append(pages, r.Query.Get("page"))
	}
	if !slices.Equal(pages, []string{"1", "2"}) {
		t.Errorf("pages asked for %v, want [1 2]", pages)
	}
}

// Only an image matching every field a signature sets is the placeholder; a
// signature without fields matches nothing.
func TestPlaceholderSignature(t *testing.T) {
	sig := DefaultConfig().Placeholders
	for _, c := range []struct {
		size          int64
		width, height int
		want          bool
	}{
		{2051, 500, 374, true},
		{40000, 500, 374, false}, // a real 500×374 photo
		{2051, 640, 374, false},
		{2051, 500, 333, false},
	} {
		if got := matchesPlaceholder(c.size, c.width, c.height, sig); got != c.want {
			t.Errorf("%d bytes %d×%d: placeholder %v, want %v", c.size, c.width, c.height, got, c.want)
		}
	}
	if matchesPlaceholder(1000, 10, 10, []PlaceholderSignature{{}}) {
		t.Error("an empty signature matches every photo")
	}
}

// A download declaring more pixels than its size allows is refused before
// decoding.
func TestDownloadOverPixelCapRejected(t *testing.T) {
	f := newFixture(t)
	big := jpegBytes(t, flickrtest.Generate("big", 1500, 1500)) // 2.25 MP, size q allows 2
	f.fake.Add("monkey", flickrtest.Photo{Data: big})
	f.cfg.PerClass = 1
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 0 || len(c.Rejected) != 1 || c.Rejected[0].Reason != ReasonNotImage {
		t.Errorf("report %+v, want the 1500×1500 photo rejected as not an image", c)
	}
}

// A Config built by hand, without MaxRetryAfter, honours a short Retry-After.
func TestZeroMaxRetryAfterMeansDefault(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 2)
	f.cfg.PerClass = 2
	f.cfg.MaxRetryAfter = 0
	f.fake.FailAPI(flickrtest.Fault{Status: 429, RetryAfter: "1"})
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err) // with a MaxRetryAfter of 0, a wait of 1 s would be too long
	}
	var api []time.Time
	for _, r := range f.fake.Requests() {
		if strings.HasPrefix(r.Path, flickrtest.APIPath) {
			api = append(api, r.Time)
		}
	}
	if len(api) < 2 || api[1].Sub(api[0]) < 900*time.Millisecond {
		t.Errorf("API requests at %v: want the retry a second after the 429", api)
	}
}

func TestSafeSearchSent(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 1)
	f.cfg.PerClass = 1
	f.cfg.SafeSearch = 3
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range searchRequests(f.fake) {
		if s := r.Query.Get("safe_search"); s != "3" {
			t.Errorf("safe_search=%s, want 3", s)
		}
	}
}

// The last progress report of a class says it is done.
func TestProgressEndsDone(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 2)
	f.cfg.PerClass = 2
	var last Progress
	f.cfg.Progress = func(p Progress) { last = p }
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	if !last.Done || last.Kept != 2 || last.Wanted != 2 {
		t.Errorf("last progress %+v, want done with 2 of 2", last)
	}
}

// A "stat":"ok" answer without photos is an error, not a crash.
func TestSearchAnswerWithoutPhotos(t *testing.T) {
	if _, err := parseSearch([]byte(`{"stat":"ok"}`), "q"); err == nil {
		t.Error("no error")
	}
}

// Text and links from Flickr cannot break the credits' Markdown.
func TestMarkdownEscaping(t *testing.T) {
	if got := mdEscape("a\n# b <script>"); strings.ContainsAny(got, "\n<") {
		t.Errorf("mdEscape = %q, want no line break and no <", got)
	}
	if u, ok := mdURL("https://x.org/a)b"); !ok || strings.Contains(u, ")") {
		t.Errorf("mdURL = %q, %v, want the ) encoded", u, ok)
	}
	if _, ok := mdURL("javascript://x.org/%0aalert(1)"); ok {
		t.Error("a javascript: URL accepted as a link")
	}
}

// At most Concurrency downloads are in flight.
func TestConcurrencyBound(t *testing.T) {
	f := newFixture(t)
	ps := f.fake.AddGenerated("monkey", 8)
	for _, p := range ps {
		f.fake.FailPhoto(p.ID, flickrtest.Fault{Delay: 100 * time.Millisecond})
	}
	f.cfg.PerClass = 8
	f.cfg.Concurrency = 2
	inFlight := &inFlightTransport{}
	f.cfg.HTTPClient = &http.Client{Transport: inFlight}
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	// Each download waits 100 ms for its answer: without the bound, all 8
	// would wait at once.
	if inFlight.most > 2 || inFlight.most == 0 {
		t.Errorf("at most %d downloads waiting for their answer at once, want 2", inFlight.most)
	}
}

// inFlightTransport counts the photo requests waiting for their answer at
// once (the API's are left out), and records the most.
type inFlightTransport struct {
	mu        sync.Mutex
	now, most int
}

func (c *inFlightTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, flickrtest.APIPath) {
		return http.DefaultTransport.RoundTrip(r)
	}
	c.mu.Lock()
	c.now++
	c.most = max(c.most, c.now)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.now--
		c.mu.Unlock()
	}()
	return http.DefaultTransport.RoundTrip(r)
}

// A file on disk without a manifest line whose bytes are those of a photo
// already kept is not adopted: the same picture would be used twice.
func TestOrphanDuplicateNotAdopted(t *testing.T) {
	f := newFixture(t)
	ps := f.fake.AddGenerated("monkey", 3)
	f.cfg.PerClass = 1
	f.cfg.Concurrency = 1
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := f.classDir("monkey")
	kept, err := os.ReadFile(filepath.Join(dir, ps[0].ID+".jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ps[1].ID+".jpg"), kept, 0o644); err != nil {
		t.Fatal(err)
	}
	f.cfg.PerClass = 2
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Recovered != 0 || c.Skipped != 1 || c.Downloaded != 1 {
		t.Errorf("report %+v, want the copy skipped and photo 3 downloaded", c)
	}
	entries, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.ID == ps[1].ID {
			t.Errorf("the copy of a kept photo was adopted: %+v", e)
		}
	}
}

// A photo id that cannot be a file name is rejected, and the crawl goes on.
func TestUnusableIDRejected(t *testing.T) {
	f := newFixture(t)
	f.fake.Add("monkey", flickrtest.Photo{ID: "a/b"})
	f.fake.AddGenerated("monkey", 2)
	f.cfg.PerClass = 2
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	if c.Kept != 2 || len(c.Rejected) != 1 || c.Rejected[0].Reason != ReasonFailed || !strings.Contains(c.Rejected[0].Detail, "unusable photo id") {
		t.Errorf("report %+v, want a/b rejected as an unusable id and 2 kept", c)
	}
}

// A second crawl into the same folder fails at once, before any request: it
// would delete the first one's downloads in progress.
func TestSecondCrawlRefused(t *testing.T) {
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 2)
	unlock, err := dirlock.Lock(f.cfg.ImagesDir, dataset.ImagesLockFile, "a test")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := f.run(t, context.Background()); !errors.Is(err, dirlock.ErrBusy) {
		t.Errorf("crawl into a locked folder: %v, want dirlock.ErrBusy", err)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// A shorter pause does not cut a longer one short.
func TestPauseKeepsTheLonger(t *testing.T) {
	c := &client{log: newFixture(t).cfg.Logger}
	c.pause(10 * time.Second)
	c.pause(time.Second)
	if d := time.Until(c.notBefore); d < 9*time.Second {
		t.Errorf("pause of 1 s after one of 10 s leaves %v, want about 10 s", d)
	}
}

// The manifest's and the rejected list's keys are a file format: older
// folders must stay readable and credits must keep their owner names.
func TestManifestFormat(t *testing.T) {
	f := newFixture(t)
	ps := f.fake.AddGenerated("monkey", 2)
	f.fake.FailPhoto(ps[1].ID, flickrtest.Fault{Status: 404})
	f.cfg.PerClass = 2
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := f.classDir("monkey")
	keys := func(file string) []string {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(strings.SplitN(string(b), "\n", 2)[0]), &m); err != nil {
			t.Fatal(err)
		}
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for _, k := range []string{"id", "file", "owner", "owner_name", "license", "sha256", "url", "query", "title", "page_url"} {
		if got := keys(ManifestFile); !slices.Contains(got, k) {
			t.Errorf("manifest keys %q lack %q", got, k)
		}
	}
	if got := keys(RejectedFile); !slices.Equal(got, []string{"detail", "id", "reason", "url"}) {
		t.Errorf("rejected keys %q, want detail, id, reason, url", got)
	}
}

// Settings Flickr would refuse or misread are named before any request.
func TestValidateRefusesBadSettings(t *testing.T) {
	for name, set := range map[string]func(*Config){
		"per-page must be between 0 and 500": func(c *Config) { c.PerPage = 501 },
		"safe-search must be 1, 2 or 3":      func(c *Config) { c.SafeSearch = 4 },
		"concurrency must be at least 1":     func(c *Config) { c.Concurrency = -1 },
		"is not a Flickr license id":         func(c *Config) { c.Licenses = []string{"by"} },
		`class "a" listed twice`:             func(c *Config) { c.Classes = []Class{{Name: "a"}, {Name: "a"}} },
		"retries must not be negative":       func(c *Config) { c.Retries = -1 },
		"is not an http(s) URL":              func(c *Config) { c.APIURL = "ftp://x" },
		"unknown size":                       func(c *Config) { c.Size = "xl" },
	} {
		cfg := DefaultConfig()
		cfg.APIKey = testKey
		cfg.APIURL = "http://127.0.0.1:1/" // never Flickr, should validation let one through
		set(&cfg)
		if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v", name, err)
		}
	}
	// "CC" is "cc"; spaces around the key are dropped.
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 1)
	f.cfg.PerClass = 1
	f.cfg.Licenses = []string{"CC"}
	f.cfg.APIKey = " " + testKey + "\n"
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range searchRequests(f.fake) {
		if r.Query.Get("api_key") != testKey || r.Query.Get("license") == "" {
			t.Errorf("search %v, want the trimmed key and the Creative Commons ids", r.Query)
		}
	}
}
