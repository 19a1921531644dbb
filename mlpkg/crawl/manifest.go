package crawl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ManifestFile is the per-class manifest: one JSON ManifestEntry per line,
// appended as photos are kept.
const ManifestFile = "manifest.jsonl"

// RejectedFile lists, one JSON Rejection per line, photos a rerun must not
// fetch again because it would get the same verdict: exact duplicates (in
// the class or of another class's photo), "photo unavailable" placeholders,
// images gone (HTTP 404 or 410) and downloads received whole that are not
// an image accepted (ReasonNotImage). Failures that may pass (ReasonFailed:
// server and network errors, bodies cut off or larger than
// Config.MaxBytes) are not listed: a rerun tries them again. Deleting a
// line (or the file) makes a rerun try that photo (or all) again.
const RejectedFile = "rejected.jsonl"

// ManifestEntry describes one kept photo.
type ManifestEntry struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner"`
	OwnerName string    `json:"owner_name,omitempty"`
	License   string    `json:"license"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`                 // the image downloaded
	PageURL   string    `json:"page_url"`            // the photo's page on Flickr
	Query     string    `json:"query"`               // the search text that found it
	File      string    `json:"file"`                // base name in the class folder
	Format    string    `json:"format"`              // jpeg, png, gif, webp or bmp
	Width     int       `json:"width"`               // pixels
	Height    int       `json:"height"`              // pixels
	Size      int64     `json:"size"`                // bytes
	SHA256    string    `json:"sha256"`              // hex, of the file
	Fetched   time.Time `json:"fetched"`             // when it was downloaded
	Recovered bool      `json:"recovered,omitempty"` // file found on disk without a manifest line (ClassReport.Recovered)
	// LicenseName and LicenseURL are the license's as
	// flickr.photos.licenses.getInfo gave them when the photo was kept;
	// absent from manifests written before, and when the list could not be
	// fetched (the built-in table of license names is used then).
	LicenseName string `json:"license_name,omitempty"`
	LicenseURL  string `json:"license_url,omitempty"`
}

// Reason says why a photo was discarded.
type Reason string

// Reasons for discarding a photo. Those of downloads are listed in
// RejectedFile, not fetched again, except ReasonFailed; ReasonOtherClass is
// listed when the content is another class's photo, not when the photo id
// is (the other class keeps it).
const (
	ReasonDuplicate   Reason = "duplicate"   // same SHA-256 as a kept photo
	ReasonUnavailable Reason = "unavailable" // Flickr's "photo unavailable" placeholder, or HTTP 404 or 410
	// ReasonNotImage: received whole (the server marked its end) but does
	// not decode as an image (HTML page, truncated file, too many pixels
	// for the size, ...) or is a format not taken from the network (TIFF).
	ReasonNotImage Reason = "not-image"
	// ReasonFailed: HTTP error or network failure after the retries, a body
	// cut off (shorter than its Content-Length, or without a length and not
	// decoding) or larger than Config.MaxBytes; a rerun tries it again.
	ReasonFailed     Reason = "failed"
	ReasonOtherClass Reason = "other-class" // already a photo of another class: one photo, one label
)

// Rejection is one discarded photo.
type Rejection struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Reason Reason `json:"reason"`
	Detail string `json:"detail,omitempty"` // e.g. the duplicate's file or the error
}

// ReadManifest reads classDir/manifest.jsonl; a missing file is an empty
// manifest. A last line without its newline (a crash while appending) is
// ignored; malformed lines are errors. When a photo id appears twice the last
// line wins.
func ReadManifest(classDir string) ([]ManifestEntry, error) {
	var out []ManifestEntry
	idx := map[string]int{}
	err := readJSONL(filepath.Join(classDir, ManifestFile), func(line []byte) error {
		var e ManifestEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		if i, ok := idx[e.ID]; ok {
			out[i] = e
			return nil
		}
		idx[e.ID] = len(out)
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return out, nil
}

// keptEntries returns the entries of classDir's manifest whose file is
// still in the folder: the photos kept there (a person may delete some).
func keptEntries(classDir string) ([]ManifestEntry, error) {
	entries, err := ReadManifest(classDir)
	if err != nil {
		return nil, err
	}
	return present(classDir, entries)
}

// present returns the entries whose file is in classDir.
func present(classDir string, entries []ManifestEntry) ([]ManifestEntry, error) {
	var out []ManifestEntry
	for _, e := range entries {
		if e.File == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(classDir, e.File)); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, err // "stat <file>: …"
		}
		out = append(out, e)
	}
	return out, nil
}

// readRejected reads classDir/rejected.jsonl (missing: empty).
func readRejected(classDir string) ([]Rejection, error) {
	var out []Rejection
	err := readJSONL(filepath.Join(classDir, RejectedFile), func(line []byte) error {
		var r Rejection
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read rejected list: %w", err)
	}
	return out, nil
}

// readJSONL calls fn for each non-blank line of path. A last line without
// its newline (a crash mid-append) is ignored. A missing file is not an error.
func readJSONL(path string, fn func([]byte) error) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if i := bytes.LastIndexByte(data, '\n'); i < len(data)-1 {
		data = data[:i+1] // drop the partial tail
	}
	for n, line := range bytes.Split(data, []byte{'\n'}) {
		if line = bytes.TrimSpace(line); len(line) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s line %d: %w", path, n+1, err)
		}
	}
	return nil
}

// repairTail truncates a partial last line (no trailing newline) left by a
// crash mid-append, so that appends start on a fresh line.
func repairTail(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("repair a partial last line: %w", err)
	}
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return nil
	}
	if err := os.Truncate(path, int64(bytes.LastIndexByte(data, '\n')+1)); err != nil {
		return fmt.Errorf("repair a partial last line: %w", err)
	}
	return nil
}

// appendJSONL appends v as one line to path and syncs the file.
func appendJSONL(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s line: %w", filepath.Base(path), err)
	}
	// The os errors name the operation and the path.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		// A part of the line written (a full disk) would run into the
		// next line appended, making one that does not read back.
		_ = f.Truncate(st.Size())
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
