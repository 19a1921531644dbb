package crawl

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// Fuzz targets for what the crawler reads from the network (Flickr's API
// answers, Retry-After) and from its own files (the manifest and the
// rejected list, read back after a crash), and for the credits it writes
// from them. Their seeds run with go test; to fuzz one:
//
//	go test -run '^$' -fuzz '^FuzzParseSearch$' -fuzztime 3m ./mlpkg/crawl/

// searchSeeds are search answers as Flickr (and flickrtest) writes them,
// and damaged ones.
var searchSeeds = []string{
	`{"photos":{"page":1,"pages":3,"perpage":100,"total":250,"photo":[{"id":"123","owner":"1@N00","secret":"ab","server":"65535","farm":66,"title":"A monkey","ispublic":1,"license":"4","ownername":"Ann","url_q":"https://live.staticflickr.com/65535/123_ab_q.jpg","height_q":150,"width_q":150}]},"stat":"ok"}`,
	`jsonFlickrApi({"photos":{"page":"2","pages":"3","perpage":"100","total":"250","photo":[{"id":456,"owner":"2@N00","title":"","license":0,"url_q":"u"}]},"stat":"ok"})`,
	`{"stat":"ok","photos":{"page":1,"pages":1,"total":2,"photo":[{"id":"1","url_q":{"x":1}},{"id":"2","url_q":"u"},null]}}`,
	`{"stat":"ok","photos":{"page":1,"pages":"1e19","total":"NaN","photo":[]}}`,
	`{"stat":"fail","code":100,"message":"Invalid API Key (Key has invalid format)"}`,
	`{"stat":"fail","code":"105","message":"Service currently unavailable"}`,
	`{"stat":"fail","code":20,"message":"Excessive photo offset in search"}`,
	`{"stat":"ok"}`,
	`{"stat":"maybe"}`,
	"<html>Bad gateway</html>",
	"jsonFlickrApi(",
	`{"photos":{"page":1,"pa`,
	"",
}

// FuzzParseSearch checks that any search answer decodes without panicking,
// the same as JSON and as JSONP; that a refusal is an *apiError, matching
// ErrInvalidAPIKey exactly for code 100; and that the photos decoded read
// back the same from an answer written the way Flickr writes them.
func FuzzParseSearch(f *testing.F) {
	for _, s := range searchSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := parseSearch(body, "q")
		checkAPIError(t, err)
		if (err == nil) == (res == nil) {
			t.Fatalf("result %+v, error %v", res, err)
		}
		if trimmed := bytes.TrimSpace(body); !bytes.HasPrefix(trimmed, []byte("jsonFlickrApi(")) {
			wrapped := append(append([]byte("jsonFlickrApi("), body...), ')')
			res2, err2 := parseSearch(wrapped, "q")
			if !sameAPIOutcome(err, err2) || !reflect.DeepEqual(res, res2) {
				t.Fatalf("JSON: %+v, %v; as JSONP: %+v, %v", res, err, res2, err2)
			}
		}
		if err != nil {
			return
		}
		// The photos as Flickr would write them read back the same.
		list := make([]map[string]string, len(res.Photos))
		for i, p := range res.Photos {
			list[i] = map[string]string{"id": p.ID, "owner": p.Owner, "ownername": p.OwnerName, "title": p.Title, "license": p.License}
			if p.URL != "" {
				list[i]["url_q"] = p.URL
			}
		}
		again, err := json.Marshal(map[string]any{"stat": "ok", "photos": map[string]any{
			"page": res.Page, "pages": strconv.Itoa(res.Pages), "total": res.Total, "photo": list}})
		if err != nil {
			t.Fatal(err)
		}
		res2, err := parseSearch(again, "q")
		if err != nil {
			t.Fatalf("rewritten answer %s: %v", again, err)
		}
		if res2.Page != res.Page || res2.Pages != res.Pages || res2.Total != res.Total || len(res2.Malformed) != 0 ||
			!slices.Equal(res2.Photos, res.Photos) {
			t.Fatalf("decoded %+v; rewritten and decoded again %+v", res, res2)
		}
	})
}

// licensesSeeds are license lists as Flickr writes them, and damaged ones.
var licensesSeeds = []string{
	`{"licenses":{"license":[{"id":0,"name":"All Rights Reserved","url":""},{"id":4,"name":"Attribution License","url":"https:\/\/creativecommons.org\/licenses\/by\/2.0\/"},{"id":"9","name":"Public Domain Dedication (CC0)","url":"https://creativecommons.org/publicdomain/zero/1.0/"},{"id":10,"name":"Public Domain Mark","url":"https://creativecommons.org/publicdomain/mark/1.0/"},{"id":11,"name":"CC BY 4.0","url":"http://WWW.CreativeCommons.org/licenses/by/4.0/"}]},"stat":"ok"}`,
	`jsonFlickrApi({"licenses":{"license":[{"id":"1","name":null,"url":7}]},"stat":"ok"});`,
	`{"licenses":{"license":[{"id":"-1","name":"x","url":"javascript:alert(1)"}]},"stat":"ok"}`,
	`{"licenses":{"license":[]},"stat":"ok"}`,
	`{"stat":"fail","code":112,"message":"Method \"x\" not found"}`,
	`{"licenses":`,
}

// FuzzParseLicenses checks that any license list decodes without panicking,
// the same as JSON and as JSONP; that every id decoded is digits; and that
// ccIDs lists the Creative Commons ones in numeric order.
func FuzzParseLicenses(f *testing.F) {
	for _, s := range licensesSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		list, err := parseLicenses(body)
		checkAPIError(t, err)
		if trimmed := bytes.TrimSpace(body); !bytes.HasPrefix(trimmed, []byte("jsonFlickrApi(")) {
			list2, err2 := parseLicenses(append(append([]byte("jsonFlickrApi("), body...), ')'))
			if !sameAPIOutcome(err, err2) || !reflect.DeepEqual(list, list2) {
				t.Fatalf("JSON: %+v, %v; as JSONP: %+v, %v", list, err, list2, err2)
			}
		}
		if err != nil {
			return
		}
		if len(list) == 0 {
			t.Fatal("no licenses and no error")
		}
		for _, l := range list {
			if l.ID == "" || strings.Trim(l.ID, "0123456789") != "" {
				t.Fatalf("license id %q", l.ID)
			}
		}
		ids := ccIDs(list)
		for i, id := range ids {
			if !slices.ContainsFunc(list, func(l license) bool {
				return l.ID == id && l.isCreativeCommons() && strings.Contains(strings.ToLower(l.URL), "creativecommons.org/")
			}) {
				t.Fatalf("license %s counted as Creative Commons: %+v", id, list)
			}
			if i > 0 {
				a, _ := new(big.Int).SetString(ids[i-1], 10)
				b, _ := new(big.Int).SetString(id, 10)
				if a.Cmp(b) > 0 {
					t.Fatalf("ccIDs not in numeric order: %q", ids)
				}
			}
		}
	})
}

// checkAPIError checks how an API answer's error is typed: an *apiError
// matches ErrInvalidAPIKey exactly for code 100; anything else never does.
func checkAPIError(t *testing.T, err error) {
	t.Helper()
	var ae *apiError
	if errors.As(err, &ae) {
		if errors.Is(err, ErrInvalidAPIKey) != (ae.Code == codeInvalidKey) {
			t.Fatalf("%v: code %d, matches ErrInvalidAPIKey: %v", err, ae.Code, errors.Is(err, ErrInvalidAPIKey))
		}
	} else if errors.Is(err, ErrInvalidAPIKey) {
		t.Fatalf("%v matches ErrInvalidAPIKey", err)
	}
}

// sameAPIOutcome reports whether two decoding errors are the same outcome
// (their texts differ: they describe the bodies).
func sameAPIOutcome(a, b error) bool {
	if (a == nil) != (b == nil) || errors.Is(a, errNotJSON) != errors.Is(b, errNotJSON) {
		return false
	}
	var ea, eb *apiError
	if errors.As(a, &ea) != errors.As(b, &eb) {
		return false
	}
	return ea == nil || *ea == *eb
}

// FuzzFlexInt checks flexInt against what its input says: a JSON number,
// or a string of one, decodes to its integer part when an int holds it,
// and is refused otherwise (NaN, infinities, out of range); "", null and
// a blank string are 0.
func FuzzFlexInt(f *testing.F) {
	for _, s := range []string{`150`, `"150"`, `" 7 "`, `""`, `null`, `1.9`, `-2.5e3`, `"1e19"`, `9223372036854775807`,
		`9223372036854775808`, `-9223372036854775808`, `"NaN"`, `"-Inf"`, `1e400`, `"abc"`, `true`, `{}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n flexInt
		err := n.UnmarshalJSON([]byte(s))
		v := strings.TrimSpace(s)
		if v == "null" {
			if err != nil || n != 0 {
				t.Fatalf("null: %d, %v", n, err)
			}
			return
		}
		if u, e := strconv.Unquote(v); e == nil {
			v = strings.TrimSpace(u)
		}
		if v == "" {
			if err != nil || n != 0 {
				t.Fatalf("%q: %d, %v", s, n, err)
			}
			return
		}
		if i, e := strconv.ParseInt(v, 10, 64); e == nil {
			if err != nil || int64(n) != i {
				t.Fatalf("%q: %d, %v; want %d", s, n, err, i)
			}
			return
		}
		x, e := strconv.ParseFloat(v, 64)
		inRange := e == nil && x >= math.MinInt64 && x < math.MaxInt64 // float64(MaxInt64) is 2^63
		switch {
		case !inRange && err == nil:
			t.Fatalf("%q decoded to %d: not an integer an int holds", s, n)
		case inRange && (err != nil || int64(n) != int64(x)):
			t.Fatalf("%q: %d, %v; want %d", s, n, err, int64(x))
		}
	})
}

// FuzzRetryAfter checks that a Retry-After header never gives a negative
// wait, that seconds give that many seconds, and that a number of seconds
// too large for a time.Duration gives the longest wait, not a short or
// negative one.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "7", " 3 ", "-1", "soon", "+5", "120.5", "9223372036", "9223372037",
		"18446744074", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 06 Nov 2994 08:49:37 GMT"} {
		f.Add(s)
	}
	maxSeconds := big.NewInt(int64(math.MaxInt64 / time.Second))
	f.Fuzz(func(t *testing.T, v string) {
		d := retryAfter(http.Header{"Retry-After": {v}})
		if d < 0 {
			t.Fatalf("Retry-After %q: %v", v, d)
		}
		digits := strings.TrimSpace(v)
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return
		}
		s, _ := new(big.Int).SetString(digits, 10)
		if s.Cmp(maxSeconds) > 0 {
			s = maxSeconds
		}
		if want := time.Duration(s.Int64()) * time.Second; d != want {
			t.Fatalf("Retry-After %q: %v, want %v", v, d, want)
		}
	})
}

// FuzzReadManifest checks that any manifest and rejected list read back
// without panicking; that a partial last line (a crash mid-append) is left
// out, whatever it holds; that a photo id is listed once; and that the
// entries read, written again with appendJSONL, read back the same.
func FuzzReadManifest(f *testing.F) {
	fetched := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	line := func(e ManifestEntry) string { b, _ := json.Marshal(e); return string(b) + "\n" }
	e1 := ManifestEntry{ID: "123", Owner: "1@N00", OwnerName: "Ann", License: "4", Title: "A monkey", URL: "https://x/123_q.jpg",
		PageURL: "https://www.flickr.com/photos/1@N00/123/", Query: "monkey", File: "123.jpg", Format: "jpeg",
		Width: 150, Height: 150, Size: 4000, SHA256: strings.Repeat("ab", 32), Fetched: fetched, LicenseName: "CC BY 2.0"}
	e2 := e1
	e2.Title, e2.Recovered = "again", true
	for _, s := range []string{
		line(e1),
		line(e1) + line(e2),
		line(e1) + "\n  \n" + `{"id":"9","fetched":"2026-05-01T12:00:00+09:00"}` + "\n",
		line(e1) + `{"id":"4","ti`,
		`{"id":"1","reason":"duplicate","url":"u","detail":"same content as 2.jpg"}` + "\n",
		"null\n",
		"[]\n",
		`{"id":"1","width":"x"}` + "\n",
		`{"id":"1","fetched":"10000-01-01T00:00:00Z"}` + "\n",
		"\x00\x00\x00\n",
		"",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{ManifestFile, RejectedFile} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		entries, err := ReadManifest(dir)
		rejected, rerr := readRejected(dir)
		// Only whole lines count.
		whole := data[:bytes.LastIndexByte(data, '\n')+1]
		if len(whole) < len(data) {
			for _, name := range []string{ManifestFile, RejectedFile} {
				if err := os.WriteFile(filepath.Join(dir, name), whole, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			entries2, err2 := ReadManifest(dir)
			rejected2, rerr2 := readRejected(dir)
			if (err == nil) != (err2 == nil) || !reflect.DeepEqual(entries, entries2) ||
				(rerr == nil) != (rerr2 == nil) || !reflect.DeepEqual(rejected, rejected2) {
				t.Fatalf("a partial last line changed what is read: %v, %v then %v, %v", err, rerr, err2, rerr2)
			}
		}
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if seen[e.ID] {
				t.Fatalf("photo id %q listed twice", e.ID)
			}
			seen[e.ID] = true
		}
		// Written again, one line each, they read back the same.
		again := filepath.Join(dir, "again")
		if err := os.MkdirAll(again, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(again, ManifestFile)
		os.Remove(path)
		for _, e := range entries {
			if err := appendJSONL(path, e); err != nil {
				t.Fatalf("write back %+v: %v", e, err)
			}
		}
		back, err := ReadManifest(again)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if len(back) != len(entries) {
			t.Fatalf("%d entries written, %d read back", len(entries), len(back))
		}
		for i := range back {
			if !sameEntry(back[i], entries[i]) {
				t.Fatalf("written %+v, read back %+v", entries[i], back[i])
			}
		}
	})
}

// sameEntry compares manifest entries, their times by instant and offset.
func sameEntry(a, b ManifestEntry) bool {
	ta, tb := a.Fetched, b.Fetched
	_, oa := ta.Zone()
	_, ob := tb.Zone()
	a.Fetched, b.Fetched = time.Time{}, time.Time{}
	return a == b && ta.Equal(tb) && oa == ob
}

// FuzzManifestRoundTrip checks that an entry appended to the manifest reads
// back as written, that a second line for the same photo id replaces it,
// and that an entry that cannot be written leaves the file as it was.
func FuzzManifestRoundTrip(f *testing.F) {
	f.Add("123", "1@N00", "Ann", "A monkey", "Attribution License", "123.jpg", 150, int64(4000), int64(1777636800))
	f.Add("", "", "", "line\nbreak \u2028 \"quoted\" </script>", "", "", -1, int64(-1), int64(0))
	f.Add("x", "\xff", "\x00", "\xed\xa0\x80", "", "a b.png", 0, int64(0), int64(253402300800)) // year 10000: not JSON
	dir := f.TempDir()
	path := filepath.Join(dir, ManifestFile)
	f.Fuzz(func(t *testing.T, id, owner, ownerName, title, licenseName, file string, width int, size, unix int64) {
		if err := os.WriteFile(path, []byte(`{"id":"first"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		e := ManifestEntry{ID: id, Owner: owner, OwnerName: ownerName, Title: title, LicenseName: licenseName,
			File: file, Width: width, Height: width, Size: size, Fetched: time.Unix(unix, 0).UTC()}
		err1 := appendJSONL(path, e)
		e2 := e
		e2.Title += " (again)"
		err2 := appendJSONL(path, e2)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("first write %v, second %v", err1, err2)
		}
		entries, err := ReadManifest(dir)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if err1 != nil {
			if y := e.Fetched.Year(); y >= 0 && y <= 9999 {
				t.Fatalf("write %+v: %v", e, err1)
			}
			if len(entries) != 1 || entries[0].ID != "first" {
				t.Fatalf("a failed write changed the manifest: %+v", entries)
			}
			return
		}
		want := []string{"first", id}
		if id == "first" {
			want = want[:1]
		}
		if len(entries) != len(want) || entries[len(entries)-1].ID != validUTF8(id) {
			t.Fatalf("ids %+v, want %q", entries, want)
		}
		got := entries[len(entries)-1]
		e2.ID, e2.Owner, e2.OwnerName, e2.Title = validUTF8(e2.ID), validUTF8(e2.Owner), validUTF8(e2.OwnerName), validUTF8(e2.Title)
		e2.LicenseName, e2.File = validUTF8(e2.LicenseName), validUTF8(e2.File)
		if !sameEntry(got, e2) {
			t.Fatalf("wrote %+v, read back %+v", e2, got)
		}
	})
}

// validUTF8 is s as encoding/json writes it: invalid bytes become U+FFFD.
func validUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // utf8.RuneError for each invalid byte
		i += n
	}
	return b.String()
}

// FuzzAttribution checks that the credits of photos whose manifest entries
// hold anything (texts from Flickr, file names on disk) stay a Markdown
// list of one line per photo, without control characters, whose text
// cannot open or close a link, and whose links are http(s) only.
func FuzzAttribution(f *testing.F) {
	f.Add("123.jpg", "A monkey", "Ann", "1@N00", "https://www.flickr.com/photos/1@N00/123/", "4", "CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/")
	f.Add("123 .jpg", "[x](javascript:alert(1))", "*Ann* `b` <i>", "a/b?c#d", "javascript:alert(1)", "99", "", "http://a.b/c d(e)")
	f.Add("a`b.jpg", "title\nwith\u2028breaks", "", "", "", "0", "All\tRights\rReserved", "")
	f.Add("x\ny.jpg", "\x1b[31mred", "\\]", "", "https://a/)](javascript:x)", "", "", "HTTPS://a")
	imagesDir := f.TempDir()
	class := filepath.Join(imagesDir, "c")
	f.Fuzz(func(t *testing.T, file, title, ownerName, owner, pageURL, lic, licName, licURL string) {
		if err := os.RemoveAll(class); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(class, 0o755); err != nil {
			t.Fatal(err)
		}
		e := ManifestEntry{ID: "1", File: file, Title: title, OwnerName: ownerName, Owner: owner, PageURL: pageURL,
			License: lic, LicenseName: licName, LicenseURL: licURL}
		// A file is made only in the class folder, none of the crawl's own.
		if file != "" && file == filepath.Base(file) && file != "." && file != ".." && !strings.ContainsRune(file, 0) &&
			!slices.Contains([]string{ManifestFile, RejectedFile, "exclude.txt"}, file) && len(file) < 200 {
			_ = os.WriteFile(filepath.Join(class, file), nil, 0o644)
		}
		credits := 0
		// The manifest names the file as JSON reads it back.
		if _, err := os.Stat(filepath.Join(class, validUTF8(file))); err == nil && file != "" {
			credits++ // a manifest entry whose file is there (".": the folder)
		}
		if err := appendJSONL(filepath.Join(class, ManifestFile), e); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := WriteAttribution(&out, imagesDir, nil); err != nil {
			if strings.ContainsRune(file, 0) {
				return // no file can have that name: stat fails, "invalid argument"
			}
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		items := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "- ") {
				items++
			} else if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "Photos from Flickr") {
				t.Fatalf("line %q in\n%s", l, out.String())
			}
			if strings.IndexFunc(l, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) >= 0 {
				t.Fatalf("control character in %q", l)
			}
		}
		if items != credits {
			t.Fatalf("%d credits, %d list items:\n%s", credits, items, out.String())
		}
		if credits == 1 {
			checkCredit(t, lines[len(lines)-1])
		}
	})
}

// checkCredit checks one credit line, "- `file`: page by author, license",
// with page and license either escaped text or [escaped text](http URL).
func checkCredit(t *testing.T, line string) {
	t.Helper()
	rest, ok := strings.CutPrefix(line, "- ")
	if !ok {
		t.Fatalf("credit %q", line)
	}
	// The code span: a run of backticks, the file name, and the first run
	// as long (CommonMark), followed by ": ".
	fence := len(rest) - len(strings.TrimLeft(rest, "`"))
	if fence == 0 {
		t.Fatalf("credit %q: no code span", line)
	}
	closed := -1
	for i := fence; i < len(rest) && closed < 0; {
		n := len(rest[i:]) - len(strings.TrimLeft(rest[i:], "`"))
		if n == fence {
			closed = i
		}
		i += max(n, 1)
	}
	if closed < 0 {
		t.Fatalf("credit %q: code span not closed", line)
	}
	rest = rest[closed+fence:]
	if !strings.HasPrefix(rest, ": ") {
		t.Fatalf("credit %q: %q after the code span", line, rest)
	}
	// In the texts every [ ] ` * _ is escaped and no < is left: any ](
	// that is not escaped starts a link target, which must be http(s).
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '\\':
			i++
		case c == '`' || c == '*' || c == '_' || c == '<':
			t.Fatalf("credit %q: unescaped %c", line, c)
		case c == ']' && strings.HasPrefix(rest[i:], "](") && !strings.HasPrefix(rest[i:], "](http://") && !strings.HasPrefix(rest[i:], "](https://"):
			t.Fatalf("credit %q: link to %q", line, rest[i:])
		}
	}
}

// FuzzMarkdownHelpers checks mdURL and mdEscape alone: a link target is an
// http(s) URL with nothing that ends the link or the line; escaped text has
// no line break, no unescaped Markdown character and no "<".
func FuzzMarkdownHelpers(f *testing.F) {
	for _, s := range []string{"https://creativecommons.org/licenses/by/2.0/", "http://a.b/c d(e)<f>?q=a b#x y",
		"javascript:alert(1)", "https://", "//a.b/c", "HTTPS://A.B/\u2028", "Ann [A] *b* _c_ `d` <e> \\", "a\nb\u2028c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if u, ok := mdURL(s); ok {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				t.Fatalf("mdURL(%q) = %q", s, u)
			}
			if i := strings.IndexFunc(u, func(r rune) bool {
				return strings.ContainsRune("()<> ", r) || unicode.IsSpace(r) || unicode.IsControl(r)
			}); i >= 0 {
				t.Fatalf("mdURL(%q) = %q", s, u)
			}
		}
		e := mdEscape(s)
		for i := 0; i < len(e); i++ {
			switch c := e[i]; {
			case c == '\\':
				i++
			case strings.IndexByte("[]`*_<\n\r", c) >= 0:
				t.Fatalf("mdEscape(%q) = %q", s, e)
			}
		}
		if !utf8.ValidString(s) {
			return
		}
		if strings.IndexFunc(e, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) >= 0 {
			t.Fatalf("mdEscape(%q) = %q", s, e)
		}
	})
}
