// Package flickrtest is an offline STAND-IN for Flickr: a small fake of the
// flickr.photos.search and flickr.photos.licenses.getInfo REST methods and
// of the image servers, for tests and
// for demonstrating the crawler where Flickr cannot be reached. It is not
// Flickr and only imitates the parts package crawl uses; photos it serves are
// generated pictures or bytes a test gives it, never real Flickr photos.
//
// It answers flickr.photos.search in JSON (JSONP when nojsoncallback is
// missing, as Flickr does) with pagination, the url_<size>/width/height,
// license and owner_name extras and the license and content_type filters;
// flickr.photos.licenses.getInfo with its own license table (Licenses);
// optionally with numbers as strings; stat=fail codes 100 (invalid key), 3
// (parameterless search) and 112 (unknown method); and injectable faults,
// for any method or one (HTTP statuses with Retry-After, stat=fail codes
// such as 105 and 10, hanging responses, truncated bodies, bodies without
// a length, HTML instead of an image or an API answer, "photo unavailable"
// redirects).
//
//	fake := flickrtest.Demo(20)
//	apiURL, stop := fake.Start()
//	defer stop()
//	cfg := crawl.DefaultConfig()
//	cfg.APIURL, cfg.APIKey = apiURL, flickrtest.DemoKey
package flickrtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/disintegration/imaging"
)

// DemoKey is the API key Demo's server accepts.
const DemoKey = "stand-in-key-0123456789abcdef"

// APIPath is where the fake API answers (as Flickr: /services/rest/).
const APIPath = "/services/rest/"

// UnavailablePath is the placeholder unavailable photos redirect to.
const UnavailablePath = "/images/photo_unavailable.png"

// MaxResults is how many results per query the fake returns at most, as
// Flickr; a page starting past them is answered with Flickr's error 20,
// "Excessive photo offset in search" (older Flickr repeated results). It
// repeats crawl.MaxResults: package crawl's own tests import flickrtest,
// so flickrtest cannot import crawl (an import cycle).
const MaxResults = 4000

// Method names the fake answers.
const (
	MethodSearch   = "flickr.photos.search"
	MethodLicenses = "flickr.photos.licenses.getInfo"
)

// License is one entry of flickr.photos.licenses.getInfo's answer.
type License struct {
	ID   int
	Name string
	URL  string
}

// Licenses is the fake's answer to flickr.photos.licenses.getInfo. Ids 0 to
// 10 are Flickr's list before 2025. Flickr added the six Creative Commons
// 4.0 licenses on 2025-06-18 under ids above 10: the ids and NAMES OF IDS 11
// TO 16 HERE ARE MADE UP FOR THE TESTS (only their creativecommons.org URLs
// are real), not copied from Flickr.
var Licenses = []License{
	{0, "All Rights Reserved", ""},
	{1, "Attribution-NonCommercial-ShareAlike License", "https://creativecommons.org/licenses/by-nc-sa/2.0/"},
	{2, "Attribution-NonCommercial License", "https://creativecommons.org/licenses/by-nc/2.0/"},
	{3, "Attribution-NonCommercial-NoDerivs License", "https://creativecommons.org/licenses/by-nc-nd/2.0/"},
	{4, "Attribution License", "https://creativecommons.org/licenses/by/2.0/"},
	{5, "Attribution-ShareAlike License", "https://creativecommons.org/licenses/by-sa/2.0/"},
	{6, "Attribution-NoDerivs License", "https://creativecommons.org/licenses/by-nd/2.0/"},
	{7, "No known copyright restrictions", "https://www.flickr.com/commons/usage/"},
	{8, "United States Government Work", "http://www.usa.gov/copyright.shtml"},
	{9, "Public Domain Dedication (CC0)", "https://creativecommons.org/publicdomain/zero/1.0/"},
	{10, "Public Domain Mark", "https://creativecommons.org/publicdomain/mark/1.0/"},
	// Made up for the tests (see above).
	{11, "Stand-in CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"},
	{12, "Stand-in CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"},
	{13, "Stand-in CC BY-ND 4.0", "https://creativecommons.org/licenses/by-nd/4.0/"},
	{14, "Stand-in CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"},
	{15, "Stand-in CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"},
	{16, "Stand-in CC BY-NC-ND 4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"},
}

// Photo is one photo the fake knows.
type Photo struct {
	ID        string // digits, like Flickr's
	Owner     string // NSID, e.g. "12345678@N00"
	OwnerName string
	Title     string
	License   string // Flickr license id
	// Data, when set, is served as-is for every size (e.g. to serve the
	// same bytes under two ids, or a broken file).
	Data []byte
	// Unavailable photos redirect to UnavailablePath, as Flickr does for
	// deleted or private photos.
	Unavailable bool
	// ContentType is Flickr's content type: 1 photo (when 0), 2
	// screenshot, 3 other (illustration, art...).
	ContentType int
	// Missing lists sizes (by extras name, e.g. "m") the photo lacks, as
	// photos too small or too old for them do: search answers carry no
	// url_<size> for them, and their images are not found.
	Missing []string
}

// Fault changes the fake's next answer to one request.
type Fault struct {
	Status     int    // answer this HTTP status with a small HTML page
	RetryAfter string // Retry-After header sent with Status
	Code       int    // API only: answer stat=fail with this Flickr code (and its message)
	Hang       bool   // send nothing until the client gives up (at most a minute)
	// Delay, when set alone, answers normally after waiting that long.
	Delay    time.Duration
	Truncate bool // declare the full Content-Length, send half, close
	// NoLength sends no Content-Length (nor chunks): the body ends when the
	// connection closes, so a client cannot tell a Truncate'd body (half,
	// then close) from a whole one.
	NoLength bool
	// Body, when set, is sent with status 200 instead of the real answer
	// (e.g. an HTML page instead of an image), as ContentType.
	Body        []byte
	ContentType string
}

// Request is one request the fake received.
type Request struct {
	Time      time.Time
	Method    string
	Path      string
	Query     url.Values
	UserAgent string
}

// Server is the fake. Its exported fields may be changed between requests
// by the goroutine that set it up, not while a crawl runs.
type Server struct {
	// Key is the API key accepted; "" accepts any non-empty key.
	Key string
	// NumbersAsStrings sends every number as a string ("150"), as Flickr
	// sometimes does.
	NumbersAsStrings bool
	// AlwaysJSONP wraps answers in jsonFlickrApi(...) even with
	// nojsoncallback=1.
	AlwaysJSONP bool
	// Licenses, when not nil, is this server's answer to
	// flickr.photos.licenses.getInfo instead of the package's Licenses.
	Licenses []License

	mu          sync.Mutex
	byText      map[string][]string // lower-cased search text → photo ids
	photos      map[string]*Photo
	apiFaults   map[string][]Fault // method ("" any) → faults
	photoFaults map[string][]Fault
	requests    []Request
	cache       map[string][]byte // id/size → bytes
	nextID      int
}

// New returns an empty fake accepting any API key.
func New() *Server {
	return &Server{byText: map[string][]string{}, photos: map[string]*Photo{}, apiFaults: map[string][]Fault{},
		photoFaults: map[string][]Fault{}, cache: map[string][]byte{}, nextID: 50000000000}
}

// Start serves s on a local port and returns the API URL to configure
// (crawl.Config.APIURL) and a function that stops the server.
func (s *Server) Start() (apiURL string, stop func()) {
	ts := httptest.NewServer(s)
	return ts.URL + APIPath, ts.Close
}

// Add makes photos the results of searching text (case-insensitive), in
// order. Photos without an id get a new one; ids already known are shared
// with their earlier definition.
func (s *Server) Add(text string, photos ...Photo) []Photo {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(strings.TrimSpace(text))
	out := make([]Photo, len(photos))
	for i, p := range photos {
		if p.ID == "" {
			s.nextID++
			p.ID = strconv.Itoa(s.nextID)
		}
		if p.Owner == "" {
			h := fnv.New32a()
			h.Write([]byte(p.ID))
			p.Owner = fmt.Sprintf("%08d@N00", h.Sum32()%100000000)
		}
		if p.License == "" {
			p.License = "4"
		}
		if _, ok := s.photos[p.ID]; !ok {
			cp := p
			s.photos[p.ID] = &cp
		}
		s.byText[key] = append(s.byText[key], p.ID)
		out[i] = p
	}
	return out
}

// AddGenerated adds n generated photos (distinct pictures, various owners
// and licenses) as results for text and returns them.
func (s *Server) AddGenerated(text string, n int) []Photo {
	licenses := []string{"4", "5", "1", "2", "9", "0", "3", "6", "10"}
	s.mu.Lock()
	offset := len(s.byText[strings.ToLower(strings.TrimSpace(text))])
	s.mu.Unlock()
	ps := make([]Photo, n)
	for j := range ps {
		i := offset + j
		ps[j] = Photo{
			Owner:     fmt.Sprintf("%d@N%02d", 20000000+i*7, i%8),
			OwnerName: fmt.Sprintf("Stand-in photographer %d", i%13+1),
			Title:     fmt.Sprintf("%s #%d (generated)", text, i+1),
			License:   licenses[i%len(licenses)],
		}
	}
	return s.Add(text, ps...)
}

// FailAPI queues faults for the next API requests, whatever their method,
// one each.
func (s *Server) FailAPI(faults ...Fault) { s.FailMethod("", faults...) }

// FailMethod queues faults for the next requests of one API method (e.g.
// MethodSearch), one each; they come before those FailAPI queued.
func (s *Server) FailMethod(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiFaults[method] = append(s.apiFaults[method], faults...)
}

// popAPIFault takes the next fault queued for method, or for any method.
func (s *Server) popAPIFault(method string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []string{method, ""} {
		q := s.apiFaults[m]
		if f, ok := popFault(&q); ok {
			s.apiFaults[m] = q
			return f, true
		}
	}
	return Fault{}, false
}

// FailPhoto queues faults for the next requests of photo id, one each.
func (s *Server) FailPhoto(id string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.photoFaults[id] = append(s.photoFaults[id], faults...)
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// PhotoRequests counts the requests for each photo id's images.
func (s *Server) PhotoRequests() map[string]int {
	out := map[string]int{}
	for _, r := range s.Requests() {
		if id, _, ok := parseImagePath(r.Path); ok {
			out[id]++
		}
	}
	return out
}

// ServeHTTP answers API, image and placeholder requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path,
		Query: r.URL.Query(), UserAgent: r.UserAgent()})
	s.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, strings.TrimSuffix(APIPath, "/")):
		s.serveAPI(w, r)
	case r.URL.Path == UnavailablePath:
		serveBytes(w, Placeholder(), "image/png", Fault{})
	case strings.HasPrefix(r.URL.Path, "/photos/"):
		s.servePhoto(w, r)
	default:
		http.NotFound(w, r)
	}
}

// popFault takes the next queued fault, if any.
func popFault(q *[]Fault) (Fault, bool) {
	if len(*q) == 0 {
		return Fault{}, false
	}
	f := (*q)[0]
	*q = (*q)[1:]
	return f, true
}

// defaultMessages are Flickr's messages for the codes the fake sends.
var defaultMessages = map[int]string{
	10:  "Sorry, the Flickr search API is not currently available.",
	20:  "Excessive photo offset in search",
	3:   "Parameterless searches have been disabled. Please use flickr.photos.getRecent instead.",
	100: "Invalid API Key (Key has invalid format)",
	105: "Service currently unavailable",
	112: "Method not found",
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, faulty := s.popAPIFault(q.Get("method"))
	jsonp := s.AlwaysJSONP || q.Get("nojsoncallback") != "1"
	if faulty {
		if handled := applyFault(w, r, f); handled {
			return
		}
		if f.Code != 0 {
			s.writeAPI(w, fail(f.Code, ""), jsonp, f.Truncate)
			return
		}
	}
	key := q.Get("api_key")
	switch {
	case key == "" || (s.Key != "" && key != s.Key):
		s.writeAPI(w, fail(100, ""), jsonp, f.Truncate)
		return
	case q.Get("method") == MethodLicenses:
		s.writeAPI(w, s.licensesAnswer(), jsonp, f.Truncate)
		return
	case q.Get("method") != MethodSearch:
		s.writeAPI(w, fail(112, fmt.Sprintf("Method %q not found", q.Get("method"))), jsonp, f.Truncate)
		return
	case strings.TrimSpace(q.Get("text")) == "":
		s.writeAPI(w, fail(3, ""), jsonp, f.Truncate)
		return
	}
	s.writeAPI(w, s.search(r, q), jsonp, f.Truncate)
}

// fail builds a stat=fail answer.
func fail(code int, msg string) map[string]any {
	if msg == "" {
		msg = defaultMessages[code]
	}
	return map[string]any{"stat": "fail", "code": code, "message": msg}
}

// licensesAnswer builds a flickr.photos.licenses.getInfo answer from the
// server's Licenses, or the package's.
func (s *Server) licensesAnswer() map[string]any {
	licenses := Licenses
	if s.Licenses != nil {
		licenses = s.Licenses
	}
	list := make([]map[string]any, len(licenses))
	for i, l := range licenses {
		list[i] = map[string]any{"id": l.ID, "name": l.Name, "url": l.URL}
	}
	return map[string]any{"stat": "ok", "licenses": map[string]any{"license": list}}
}

// contentTypes are the content types each content_type parameter selects.
var contentTypes = map[string][]int{
	"1": {1}, "2": {2}, "3": {3}, "4": {1, 2}, "5": {2, 3}, "6": {1, 3}, "7": {1, 2, 3},
}

// search builds a flickr.photos.search answer.
func (s *Server) search(r *http.Request, q url.Values) map[string]any {
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	perPage, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage < 1 {
		perPage = 100
	}
	perPage = min(perPage, 500)
	var licenses []string
	if l := q.Get("license"); l != "" {
		licenses = strings.Split(l, ",")
	}
	extras := map[string]bool{}
	for e := range strings.SplitSeq(q.Get("extras"), ",") {
		extras[strings.TrimSpace(e)] = true
	}

	s.mu.Lock()
	var matches []*Photo
	types, typed := contentTypes[q.Get("content_type")]
	for _, id := range s.byText[strings.ToLower(strings.TrimSpace(q.Get("text")))] {
		p := s.photos[id]
		if (len(licenses) == 0 || slices.Contains(licenses, p.License)) &&
			(!typed || slices.Contains(types, max(p.ContentType, 1))) {
			matches = append(matches, p)
		}
	}
	s.mu.Unlock()

	total := len(matches)
	pages := (total + perPage - 1) / perPage
	lo, hi := (page-1)*perPage, min(page*perPage, total, MaxResults)
	if lo >= MaxResults {
		return fail(20, "")
	}
	list := []map[string]any{}
	for i := lo; i < hi; i++ {
		p := matches[i]
		m := map[string]any{
			"id": p.ID, "owner": p.Owner, "secret": secretOf(p.ID), "server": "65535", "farm": 66,
			"title": p.Title, "ispublic": 1, "isfriend": 0, "isfamily": 0,
		}
		if extras["license"] {
			m["license"] = p.License
		}
		if extras["owner_name"] {
			m["ownername"] = p.OwnerName
		}
		for _, sz := range sizes {
			if !extras["url_"+sz.extra] {
				continue
			}
			b, err := s.imageBytes(p, sz)
			if err != nil {
				continue // no such size, as Flickr omits sizes a photo lacks
			}
			w, h := 0, 0
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
				w, h = cfg.Width, cfg.Height
			}
			m["url_"+sz.extra] = "http://" + r.Host + imagePath(p.ID, sz)
			m["width_"+sz.extra] = w
			m["height_"+sz.extra] = h
		}
		list = append(list, m)
	}
	return map[string]any{"stat": "ok", "photos": map[string]any{
		"page": page, "pages": pages, "perpage": perPage, "total": total, "photo": list}}
}

// writeAPI sends an answer as JSON or JSONP, numbers as strings if asked,
// truncated if asked.
func (s *Server) writeAPI(w http.ResponseWriter, v map[string]any, jsonp, truncate bool) {
	if s.NumbersAsStrings {
		v = stringifyNumbers(v).(map[string]any)
	}
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ct := "application/json"
	if jsonp {
		b = append(append([]byte("jsonFlickrApi("), b...), ')')
		ct = "text/javascript"
	}
	serveBytes(w, b, ct, Fault{Truncate: truncate})
}

// stringifyNumbers turns every number into a string, recursively.
func stringifyNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = stringifyNumbers(x)
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = stringifyNumbers(x)
		}
		return out
	case int:
		return strconv.Itoa(t)
	}
	return v
}

// applyFault handles faults that replace the answer; it reports whether
// the request was answered.
func applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Delay > 0 {
		select {
		case <-r.Context().Done():
			return true
		case <-time.After(f.Delay):
		}
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return true
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1><p>Stand-in fault.</p></body></html>\n", f.Status, http.StatusText(f.Status))
		return true
	case f.Body != nil:
		ct := f.ContentType
		if ct == "" {
			ct = "text/html; charset=utf-8"
		}
		serveBytes(w, f.Body, ct, f)
		return true
	}
	return false
}

// serveBytes sends b, or with f.Truncate half of it with the full
// Content-Length declared (net/http then closes the connection); with
// f.NoLength, without Content-Length, closing the connection after it.
func serveBytes(w http.ResponseWriter, b []byte, contentType string, f Fault) {
	w.Header().Set("Content-Type", contentType)
	if f.NoLength {
		// net/http's way to send neither a length nor chunks: the
		// connection is closed after the body, which ends it.
		w.Header().Set("Transfer-Encoding", "identity")
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	}
	w.WriteHeader(http.StatusOK)
	if f.Truncate {
		_, _ = w.Write(b[:len(b)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		return
	}
	_, _ = w.Write(b)
}

func (s *Server) servePhoto(w http.ResponseWriter, r *http.Request) {
	id, suffix, ok := parseImagePath(r.URL.Path)
	s.mu.Lock()
	p := s.photos[id]
	var f Fault
	faulty := false
	if ok && p != nil {
		q := s.photoFaults[id]
		f, faulty = popFault(&q)
		s.photoFaults[id] = q
	}
	s.mu.Unlock()
	sz, known := sizeBySuffix(suffix)
	if !ok || p == nil || !known || !strings.Contains(path.Base(r.URL.Path), "_"+secretOf(id)) {
		http.NotFound(w, r)
		return
	}
	if faulty && applyFault(w, r, f) {
		return
	}
	if p.Unavailable {
		http.Redirect(w, r, UnavailablePath, http.StatusFound)
		return
	}
	b, err := s.imageBytes(p, sz)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	serveBytes(w, b, http.DetectContentType(b), f)
}

// size is one of Flickr's photo sizes.
type size struct {
	extra  string // in extras: url_<extra>
	suffix string // in file names: _<suffix> ("" for the 500 px medium)
	side   int    // longest side; 0 for the original
	square bool
}

// sizes are Flickr's sizes, in the order of crawl.Sizes (which flickrtest
// cannot import: see MaxResults).
var sizes = []size{
	{"sq", "s", 75, true}, {"q", "q", 150, true}, {"t", "t", 100, false}, {"s", "m", 240, false},
	{"n", "n", 320, false}, {"m", "", 500, false}, {"z", "z", 640, false}, {"c", "c", 800, false},
	{"l", "b", 1024, false}, {"o", "o", 0, false},
}

func sizeBySuffix(suffix string) (size, bool) {
	for _, s := range sizes {
		if s.suffix == suffix {
			return s, true
		}
	}
	return size{}, false
}

// imagePath is a photo's image URL path, Flickr style:
// /photos/<server>/<id>_<secret>[_<suffix>].jpg.
func imagePath(id string, sz size) string {
	name := id + "_" + secretOf(id)
	if sz.suffix != "" {
		name += "_" + sz.suffix
	}
	return "/photos/65535/" + name + ".jpg"
}

// parseImagePath extracts the id and size suffix from an image URL path.
func parseImagePath(p string) (id, suffix string, ok bool) {
	if !strings.HasPrefix(p, "/photos/") {
		return "", "", false
	}
	base := strings.TrimSuffix(path.Base(p), path.Ext(p))
	parts := strings.Split(base, "_")
	switch len(parts) {
	case 2:
		return parts[0], "", true
	case 3:
		return parts[0], parts[2], true
	}
	return "", "", false
}

// secretOf is a photo's fixed fake secret.
func secretOf(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return fmt.Sprintf("%08x", h.Sum32())[:8]
}

// imageBytes returns (and caches) the bytes served for p at size sz.
func (s *Server) imageBytes(p *Photo, sz size) ([]byte, error) {
	if slices.Contains(p.Missing, sz.extra) {
		return nil, fmt.Errorf("flickrtest: photo %s has no size %s", p.ID, sz.extra)
	}
	if p.Data != nil {
		return p.Data, nil
	}
	key := p.ID + "/" + sz.extra
	s.mu.Lock()
	b, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return b, nil
	}
	var img image.Image
	switch {
	case sz.square:
		img = Generate(p.ID, sz.side, sz.side)
	case sz.side == 0:
		img = Generate(p.ID, 1024, 768)
	default:
		img = Generate(p.ID, sz.side, sz.side*3/4) // drawn at the size: cheap
	}
	switch {
	case sz.square && (img.Bounds().Dx() != sz.side || img.Bounds().Dy() != sz.side):
		img = imaging.Fill(img, sz.side, sz.side, imaging.Center, imaging.Linear)
	case sz.side > 0 && max(img.Bounds().Dx(), img.Bounds().Dy()) > sz.side:
		img = imaging.Fit(img, sz.side, sz.side, imaging.Linear)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("flickrtest: encode: %w", err)
	}
	b = buf.Bytes()
	s.mu.Lock()
	s.cache[key] = b
	s.mu.Unlock()
	return b, nil
}

// Generate draws a deterministic picture for seed: a gradient with a few
// shapes, different for each seed.
func Generate(seed string, width, height int) image.Image {
	h := fnv.New64a()
	h.Write([]byte(seed))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	c0 := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
	c1 := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
	for y := range height {
		t := float64(y) / float64(max(height-1, 1))
		c := color.RGBA{lerp(c0.R, c1.R, t), lerp(c0.G, c1.G, t), lerp(c0.B, c1.B, t), 255}
		draw.Draw(img, image.Rect(0, y, width, y+1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	for range 3 + rng.IntN(4) {
		c := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		cx, cy := rng.IntN(width), rng.IntN(height)
		r := (10 + rng.IntN(30)) * min(width, height) / 100
		if rng.IntN(2) == 0 {
			draw.Draw(img, image.Rect(cx-r, cy-r, cx+r, cy+r), image.NewUniform(c), image.Point{}, draw.Src)
			continue
		}
		for y := max(cy-r, 0); y < min(cy+r, height); y++ {
			for x := max(cx-r, 0); x < min(cx+r, width); x++ {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
					img.SetRGBA(x, y, c)
				}
			}
		}
	}
	return img
}

func lerp(a, b uint8, t float64) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t) }

var (
	placeholderOnce sync.Once
	placeholderPNG  []byte
)

// Placeholder returns the fake's "photo unavailable" image: a grey 500×374
// PNG (Flickr's real one has the same dimensions but other bytes).
func Placeholder() []byte {
	placeholderOnce.Do(func() {
		img := image.NewGray(image.Rect(0, 0, 500, 374))
		draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{0xdd}), image.Point{}, draw.Src)
		var buf bytes.Buffer
		_ = png.Encode(&buf, img)
		placeholderPNG = buf.Bytes()
	})
	return placeholderPNG
}

// Demo returns a fake with n generated photos for each of "monkey", "boar",
// "wild boar" and "crow" (under various licenses), accepting DemoKey. To
// show how the crawler handles them, the third monkey result is unavailable
// and the third crow result repeats the first crow's bytes at size q.
func Demo(n int) *Server {
	s := New()
	s.Key = DemoKey
	for _, text := range []string{"monkey", "boar", "wild boar", "crow"} {
		first := s.AddGenerated(text, min(n, 2))
		switch {
		case text == "monkey" && n > 2:
			s.Add(text, Photo{Title: "gone", OwnerName: "Stand-in photographer 0", Unavailable: true})
		case text == "crow" && n > 2:
			if b, err := s.imageBytes(s.photos[first[0].ID], sizes[1]); err == nil {
				s.Add(text, Photo{Title: "re-upload", OwnerName: "Stand-in photographer 0", Data: b})
			}
		}
		s.AddGenerated(text, max(n-2, 0))
	}
	return s
}
