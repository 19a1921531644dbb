package crawl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// ErrInvalidAPIKey matches (errors.Is) a Flickr answer with error code 100: Flickr
// rejected the API key.
var ErrInvalidAPIKey = errors.New("invalid Flickr API key")

// Flickr error codes the crawler treats specially.
const (
	// codeInvalidKey is "Invalid API Key": fatal, nothing is downloaded.
	codeInvalidKey = 100
	// codeServiceUnavailable is "Service currently unavailable": retried.
	codeServiceUnavailable = 105
	// codeSearchUnavailable is "Sorry, the Flickr search API is not
	// currently available": retried like codeServiceUnavailable.
	codeSearchUnavailable = 10
	// codeExcessiveOffset is "Excessive photo offset in search": a page
	// past the results Flickr returns for one query (MaxResults); the end
	// of the results.
	codeExcessiveOffset = 20
)

// retryableCode reports whether a Flickr error code means "try again later".
func retryableCode(code int) bool {
	return code == codeServiceUnavailable || code == codeSearchUnavailable
}

// errNotJSON marks an answer that is not JSON at all, such as a maintenance
// page served with status 200; it is retried.
var errNotJSON = errors.New("not a JSON answer")

// apiError is a Flickr answer with stat=fail.
type apiError struct {
	Code    int
	Message string
}

// Error describes the failure; for code 100 it says where the key comes from.
func (e *apiError) Error() string {
	if e.Code == codeInvalidKey {
		return fmt.Sprintf("Flickr rejected the API key (code %d: %s); check %s, -api-key or -api-key-file", e.Code, e.Message, APIKeyEnv)
	}
	return fmt.Sprintf("Flickr API error %d: %s", e.Code, e.Message)
}

// Is reports whether target is ErrInvalidAPIKey and e has code 100.
func (e *apiError) Is(target error) bool {
	return target == ErrInvalidAPIKey && e.Code == codeInvalidKey
}

// photo is one flickr.photos.search result.
type photo struct {
	ID        string
	Owner     string // NSID, e.g. "12345678@N00"
	OwnerName string // extras owner_name
	Title     string
	License   string // Flickr license id, see licenseInfo
	// URL is the image of the configured size (url_q, ...); empty when
	// Flickr has no such size for the photo.
	URL string
}

// pageURL is the photo's page on Flickr, for attribution. The owner's id
// comes from the search answer: it is escaped, so that nothing in it can
// leave the path (or the credits' Markdown link).
func (p photo) pageURL() string {
	return "https://www.flickr.com/photos/" + url.PathEscape(p.Owner) + "/" + url.PathEscape(p.ID) + "/"
}

// searchPage is one page of flickr.photos.search results.
type searchPage struct {
	Page, Pages, Total int
	Photos             []photo
	// Malformed describes the results left out because a field the
	// crawler uses could not be decoded.
	Malformed []string
}

// flexInt decodes a JSON number, a numeric string ("150") or "" / null (0).
// A number an int cannot hold (1e19, "NaN", "Inf") is an error.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*n = 0
		return nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unq)
	}
	if s == "" {
		*n = 0
		return nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(i)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %.40q", s)
	}
	// Converted, NaN, the infinities and numbers beyond an int's range
	// give an arbitrary int (math.MinInt64 on amd64).
	if !(f >= math.MinInt && f < -math.MinInt) {
		return fmt.Errorf("number out of range: %.40q", s)
	}
	*n = flexInt(int(f))
	return nil
}

// flexString decodes a JSON string or number as a string.
type flexString string

func (v *flexString) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*v = ""
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*v = flexString(str)
	default:
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return fmt.Errorf("not a string or number: %.40q", s)
		}
		*v = flexString(num.String())
	}
	return nil
}

// apiResponse is the envelope of every Flickr JSON answer.
type apiResponse struct {
	Stat    string  `json:"stat"`
	Code    flexInt `json:"code"`
	Message string  `json:"message"`
	Photos  *struct {
		Page  flexInt                      `json:"page"`
		Pages flexInt                      `json:"pages"`
		Total flexInt                      `json:"total"`
		Photo []map[string]json.RawMessage `json:"photo"`
	} `json:"photos"`
	Licenses *struct {
		License []rawLicense `json:"license"`
	} `json:"licenses"`
}

// rawLicense is one flickr.photos.licenses.getInfo entry.
type rawLicense struct {
	ID   flexString `json:"id"`
	Name flexString `json:"name"`
	URL  flexString `json:"url"`
}

// stripJSONP removes a jsonFlickrApi(...) wrapper, Flickr's answer when
// nojsoncallback is missing.
func stripJSONP(body []byte) []byte {
	b := bytes.TrimSpace(body)
	const prefix = "jsonFlickrApi("
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return b
	}
	b = bytes.TrimSuffix(b[len(prefix):], []byte(";"))
	b = bytes.TrimSpace(b)
	return bytes.TrimSuffix(b, []byte(")"))
}

// decodeAPI decodes a Flickr answer (JSON or JSONP) to what (e.g.
// "search"): stat=fail gives an *apiError, an answer that is not JSON at all
// an error matching errNotJSON.
func decodeAPI(body []byte, what string) (*apiResponse, error) {
	b := stripJSONP(body)
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("decode %s answer: %w (%s)", what, errNotJSON, describeBody(body))
	}
	var resp apiResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, fmt.Errorf("decode %s answer (%s): %w", what, describeBody(body), err)
	}
	if resp.Stat != "ok" {
		if resp.Stat == "fail" {
			return nil, &apiError{Code: int(resp.Code), Message: resp.Message}
		}
		return nil, fmt.Errorf("unexpected %s answer stat %q (%s)", what, resp.Stat, describeBody(body))
	}
	return &resp, nil
}

// parseLicenses decodes a flickr.photos.licenses.getInfo answer.
func parseLicenses(body []byte) ([]license, error) {
	resp, err := decodeAPI(body, "licenses")
	if err != nil {
		return nil, err
	}
	if resp.Licenses == nil || len(resp.Licenses.License) == 0 {
		return nil, fmt.Errorf("licenses answer without licenses (%s)", describeBody(body))
	}
	out := make([]license, 0, len(resp.Licenses.License))
	for i, l := range resp.Licenses.License {
		id := strings.TrimSpace(string(l.ID))
		if id == "" || strings.Trim(id, "0123456789") != "" {
			return nil, fmt.Errorf("license %d of the answer has id %q", i, id)
		}
		out = append(out, license{ID: id, Name: strings.TrimSpace(string(l.Name)), URL: strings.TrimSpace(string(l.URL))})
	}
	return out, nil
}

// parseSearch decodes a flickr.photos.search answer (JSON or JSONP) and
// picks each photo's url_<size>; results whose fields do not decode are
// left out and described in Malformed.
func parseSearch(body []byte, size string) (*searchPage, error) {
	resp, err := decodeAPI(body, "search")
	if err != nil {
		return nil, err
	}
	if resp.Photos == nil {
		return nil, fmt.Errorf("search answer without photos (%s)", describeBody(body))
	}
	out := &searchPage{Page: int(resp.Photos.Page), Pages: int(resp.Photos.Pages), Total: int(resp.Photos.Total)}
	for i, fields := range resp.Photos.Photo {
		p, err := parsePhoto(fields, size)
		if err != nil {
			// One odd result must not lose the whole page.
			out.Malformed = append(out.Malformed, fmt.Sprintf("photo %d of page %d: %v", i, out.Page, err))
			continue
		}
		out.Photos = append(out.Photos, p)
	}
	return out, nil
}

// parsePhoto reads the fields the crawler uses from one search result, each
// a string or a number; the URL is absent when Flickr has no url_<size> for
// the photo.
func parsePhoto(fields map[string]json.RawMessage, size string) (photo, error) {
	var err error
	str := func(key string) string {
		var v flexString
		if b, ok := fields[key]; ok && err == nil {
			if e := v.UnmarshalJSON(b); e != nil {
				err = fmt.Errorf("%s: %w", key, e)
			}
		}
		return string(v)
	}
	p := photo{ID: str("id"), Owner: str("owner"), OwnerName: str("ownername"), Title: str("title"),
		License: str("license"), URL: str("url_" + size)}
	return p, err
}

// describeBody summarises a response body for an error message: its length
// and start, printable characters only.
func describeBody(body []byte) string {
	const n = 60
	head := body
	if len(head) > n {
		head = head[:n]
	}
	clean := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return ' '
		}
		return r
	}, string(head))
	return fmt.Sprintf("%d bytes: %q", len(body), clean)
}
