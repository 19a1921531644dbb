package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

// routes a FuzzRequest input picks from (route % len(fuzzRoutes)); the
// last one takes its path from the input's target.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/api/predict"}, {"POST", "/"}, {"GET", "/api/model"}, {"GET", "/"},
	{"HEAD", "/"}, {"GET", "/healthz"}, {"GET", "/static/app.js"}, {"PUT", "/api/predict"},
	{"OPTIONS", "/"}, {"GET", ""},
}

// body framings a FuzzRequest input picks from (route / len(fuzzRoutes) % 4).
const (
	framingLength  = iota // a Content-Length, the body's
	framingChunked        // chunks
	framingShort          // a Content-Length 10 bytes longer than the body: cut short
	framingHuge           // a Content-Length over the upload limit
)

// dnsName matches a host name that is not an IP address (its last label
// has a letter), with an optional port.
var dnsName = regexp.MustCompile(`^([a-z0-9-]+\.)*[a-z0-9-]*[a-z][a-z0-9-]*\.?(:[0-9]+)?$`)

// FuzzRequest sends arbitrary requests (method and path among the
// server's, query string, Host, Content-Type, Accept-Language, Origin or
// Sec-Fetch-Site, body and its framing) through the server's handler, as
// net/http parses them off a loopback connection. It checks that client
// garbage never gets a 5xx or a panic; that each answer is in its route's
// format (JSON with a known error code under /api/ and for /healthz, HTML
// for the page); that the language chosen is one the server offers, and
// the one ?lang= names exactly; that a host name other than localhost and
// -allowed-hosts is refused; and that the page's form answers an upload
// with the same status as the API.
func FuzzRequest(f *testing.F) {
	png := imagetest.Encode(f, "png", solid(8, 8, red))
	form, formType := fileForm(f, "a.png", png)
	f.Add(uint8(0), "", "127.0.0.1:8080", formType, "", "", form)
	f.Add(uint8(0), "?lang=ja", "localhost", "image/png", "ja-JP,ja;q=0.9", "same-origin", png)
	f.Add(uint8(1), "?lang=xx-Latn-u-ca-gregory", "[::1]:80", formType, "*;q=0, en;q=abc", "", form)
	f.Add(uint8(0), "", "example.org", "multipart/form-data", "", "", form)
	f.Add(uint8(1), "", "evil.example:8080", "multipart/form-data; boundary=\"a b\"", "", "cross-site", form)
	f.Add(uint8(10), "", "127.0.0.1", "application/octet-stream", "", "http://evil.example", png[:20])
	f.Add(uint8(20), "", "127.0.0.1", "multipart/form-data; boundary=x", "", "", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"))
	f.Add(uint8(30), "", "127.0.0.1", "image/png; q=", "", "", png)
	f.Add(uint8(2), "?lang=ja&lang=en", "LOCALHOST.", "", strings.Repeat("en-US-x-abcdefgh,", 100), "", []byte(nil))
	f.Add(uint8(9), "/api/..%2fmodel?%zz", "127.0.0.1", "", "", "", []byte(nil))
	f.Add(uint8(9), "//static/../healthz", "a.localhost:1", "", "", "", []byte(nil))

	cfg := testConfig()
	cfg.MaxUploadBytes = 1 << 16
	cfg.MaxPixels = 1 << 16
	cfg.AllowedHosts = []string{"example.org"}
	s, err := newServer(cfg, fake.New())
	if err != nil {
		f.Fatal(err)
	}
	s.checkHost = true // as Serve on a loopback address
	known := map[string]int{
		CodeBadRequest: 400, CodeMissingFile: 400, CodeEmptyFile: 400, CodeBodyTooLarge: 413,
		CodeUnsupportedMediaType: 415, CodeInvalidImage: 422, CodeTooManyPixels: 422, CodeNotFound: 404,
		CodeMethodNotAllowed: 405, CodeCrossOrigin: 403, CodeHostNotAllowed: 403,
	}

	f.Fuzz(func(t *testing.T, route uint8, target, host, contentType, acceptLanguage, origin string, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		framing := int(route) / len(fuzzRoutes) % 4
		path := rt.path
		switch {
		case path == "":
			path, target = target, ""
		case target != "" && !strings.HasPrefix(target, "?"):
			target = "?" + target // a query string
		}
		req := buildRequest(rt.method, path+target, host, contentType, acceptLanguage, origin, body, framing, cfg.MaxUploadBytes)
		if req == nil {
			return // net/http would answer 400 itself
		}
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %s: %d %s", rt.method, req.URL, rec.Code, rec.Body)
		}
		if rec.Header().Get("Content-Type") == "" && rec.Code != http.StatusNotModified {
			t.Fatalf("%s %s: %d without a Content-Type", rt.method, req.URL, rec.Code)
		}
		if req.Method == "HEAD" {
			return
		}
		api := isAPIPath(req.URL.Path)
		switch ct := rec.Header().Get("Content-Type"); {
		case api && ct != "application/json; charset=utf-8":
			t.Fatalf("%s %s: %d with %q", rt.method, req.URL, rec.Code, ct)
		case api && rec.Code != http.StatusOK:
			var e ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || known[e.Error] != rec.Code || e.Message == "" {
				t.Fatalf("%s %s: %d %s", rt.method, req.URL, rec.Code, rec.Body)
			}
		case req.URL.Path == "/healthz":
		case api:
			var m struct{ Lang string }
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("%s %s: %s: %v", rt.method, req.URL, rec.Body, err)
			}
			checkLang(t, req, m.Lang, s.langs.tags)
		case strings.HasPrefix(req.URL.Path, "/static/") && rec.Code == http.StatusOK:
		case !strings.HasPrefix(ct, "text/html"):
			t.Fatalf("%s %s: page answered %d with %q", rt.method, req.URL, rec.Code, ct)
		case rec.Header().Get("Content-Language") != "":
			checkLang(t, req, rec.Header().Get("Content-Language"), s.langs.tags)
		}
		h := strings.ToLower(req.Host)
		if dnsName.MatchString(h) && !slices.Contains([]string{"localhost", "example.org"}, strings.TrimSuffix(strings.Split(h, ":")[0], ".")) &&
			!strings.HasSuffix(strings.Split(h, ":")[0], ".localhost") && !strings.HasSuffix(strings.Split(h, ":")[0], ".localhost.") &&
			rec.Code != http.StatusForbidden {
			t.Fatalf("Host %q: %d, want 403", req.Host, rec.Code)
		}
		// The form without JavaScript gets the API's status.
		if rt.path == "/api/predict" && rt.method == "POST" {
			page := buildRequest("POST", "/"+target, host, contentType, acceptLanguage, origin, body, framing, cfg.MaxUploadBytes)
			prec := httptest.NewRecorder()
			s.handler.ServeHTTP(prec, page)
			if prec.Code != rec.Code {
				t.Fatalf("upload answered %d by the API (%s), %d by the page", rec.Code, rec.Body, prec.Code)
			}
		}
	})
}

// checkLang checks the language of an answer: one the server offers, and
// the one a ?lang= naming one of them asks for.
func checkLang(t *testing.T, req *http.Request, lang string, tags []string) {
	t.Helper()
	if !slices.Contains(tags, lang) {
		t.Fatalf("%s: language %q, not one of %q", req.URL, lang, tags)
	}
	if q := req.URL.Query().Get("lang"); slices.Contains(tags, q) && lang != q {
		t.Fatalf("%s: language %q", req.URL, lang)
	}
}

// buildRequest writes an HTTP/1.1 request and reads it back as net/http's
// server does; nil when net/http would refuse it before any handler (a
// malformed request line, header or Host).
func buildRequest(method, target, host, contentType, acceptLanguage, origin string, body []byte, framing int, limit int64) *http.Request {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, host)
	for _, h := range [][2]string{{"Content-Type", contentType}, {"Accept-Language", acceptLanguage}} {
		if h[1] != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
		}
	}
	switch {
	case origin == "":
	case strings.Contains(origin, "://"):
		fmt.Fprintf(&b, "Origin: %s\r\n", origin)
	default:
		fmt.Fprintf(&b, "Sec-Fetch-Site: %s\r\n", origin)
	}
	switch framing {
	case framingLength:
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
		b.Write(body)
	case framingChunked:
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for c := range slices.Chunk(body, 7) {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
		}
		b.WriteString("0\r\n\r\n")
	case framingShort:
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body)+10)
		b.Write(body)
	case framingHuge:
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", limit+1<<20)
		b.Write(body)
	}
	req, err := http.ReadRequest(bufio.NewReader(&b))
	if err != nil || !validHeaders(req) {
		return nil
	}
	req.RemoteAddr = "127.0.0.1:1234"
	return req
}

// validHeaders is what net/http's server checks of a request read, beyond
// http.ReadRequest: one Host header, of valid bytes, and header values
// without control characters.
func validHeaders(req *http.Request) bool {
	if len(req.Header["Host"]) > 1 {
		return false
	}
	for _, c := range []byte(req.Host) { // httpguts.ValidHostHeader
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!$%&'()*+,-.:;=[]_~", c) >= 0) {
			return false
		}
	}
	for _, vv := range req.Header {
		for _, v := range vv {
			if strings.IndexFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) >= 0 {
				return false
			}
		}
	}
	if _, err := url.ParseRequestURI(req.RequestURI); err != nil {
		return false
	}
	return true
}
