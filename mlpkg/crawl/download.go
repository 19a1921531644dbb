package crawl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
)

// fetchOutcome is how one download ended: a verified temporary file, a
// rejection, cancelled, or an error that stops the crawl.
type fetchOutcome struct {
	photo     photo
	tmp       string   // complete temporary file
	v         verified // what tmp holds
	reject    *Rejection
	cancelled bool  // the context was cancelled: nothing was written
	fatal     error // the photo could not be saved locally: stop the crawl
}

// rejectError marks a download to discard without retrying: the same
// request would get the same verdict.
type rejectError struct {
	reason Reason
	err    error
}

func (e *rejectError) Error() string { return e.err.Error() }

func (e *rejectError) Unwrap() error { return e.err }

// download fetches one photo, checks it is a real image and writes it to a
// temporary file in dir, synced; the caller renames or removes it. A body
// that does not decode is not an image (ReasonNotImage) only when all of it
// arrived (fetched.complete); one that may have been cut off is retried, as
// a transfer cut off against its Content-Length is.
func (c *client) download(ctx context.Context, dir string, p photo) fetchOutcome {
	d := fetchOutcome{photo: p}
	f, err := c.fetch(ctx, p.URL, c.cfg.MaxBytes, func(f *fetched) error {
		if redirectedToPlaceholder(f.finalURL) {
			return &rejectError{reason: ReasonUnavailable, err: errors.New("redirected to " + f.finalURL)}
		}
		if format, ok := imageio.Sniff(f.body); ok && !slices.Contains(imageio.UntrustedFormats(), format) {
			return &rejectError{reason: ReasonNotImage, err: fmt.Errorf("%s images are not accepted from the network", format)}
		}
		v, err := inspect(f.body, c.cfg.maxPixels())
		switch {
		case err != nil && !f.complete:
			return &retryableError{err: fmt.Errorf("%w (the body had no length: it may have been cut off)", err)}
		case err != nil:
			return &rejectError{reason: ReasonNotImage, err: err}
		}
		if matchesPlaceholder(v.size, v.width, v.height, c.cfg.Placeholders) {
			return &rejectError{reason: ReasonUnavailable, err: fmt.Errorf("the placeholder Flickr serves for unavailable photos (%d bytes, %dx%d)", v.size, v.width, v.height)}
		}
		d.v = v
		return nil
	})
	if err != nil {
		switch {
		case ctx.Err() != nil:
			d.cancelled = true
		case errors.Is(err, ErrRateLimited):
			d.fatal = fmt.Errorf("photo %s: %w", p.ID, err)
		default:
			d.reject = &Rejection{ID: p.ID, URL: p.URL, Reason: failureReason(err), Detail: err.Error()}
		}
		return d
	}
	tmp, err := savePhoto(dir, p.ID, f.body)
	if err != nil {
		// A full disk or a read-only folder fails every later photo too.
		d.fatal = fmt.Errorf("save photo %s: %w", p.ID, err)
		return d
	}
	d.tmp = tmp
	return d
}

// failureReason classifies a failed download: what the check rejected (not
// an image, or unavailable), an image gone for good (HTTP 404 or 410:
// unavailable), or a failure that may pass (failed). Only the last is
// fetched again by a rerun.
func failureReason(err error) Reason {
	var re *rejectError
	var he *httpError
	switch {
	case errors.As(err, &re):
		return re.reason
	case errors.As(err, &he) && (he.StatusCode == http.StatusNotFound || he.StatusCode == http.StatusGone):
		return ReasonUnavailable
	}
	return ReasonFailed
}

// writeTemp is atomicfile.WriteTemp; tests replace it to fail like a full
// disk.
var writeTemp = atomicfile.WriteTemp

// savePhoto writes b to a new temporary file in dir (see tempPrefix),
// flushed to disk, and returns its path.
func savePhoto(dir, id string, b []byte) (string, error) {
	return writeTemp(dir, tempPrefix+id+"-*"+tempSuffix, 0o644, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// verified is what a photo's bytes were checked to be: an image of this
// format and size in pixels, and the bytes' length and SHA-256 (hex).
type verified struct {
	format        string
	width, height int
	size          int64
	sha256        string
}

// inspect decodes b (decodeImage, at most maxPixels pixels) and hashes it.
func inspect(b []byte, maxPixels int64) (verified, error) {
	img, format, err := decodeImage(b, maxPixels)
	if err != nil {
		return verified{}, err
	}
	sum := sha256.Sum256(b)
	return verified{format: format, width: img.Bounds().Dx(), height: img.Bounds().Dy(),
		size: int64(len(b)), sha256: hex.EncodeToString(sum[:])}, nil
}

// redirectedToPlaceholder reports whether a download ended at Flickr's
// "photo unavailable" image: a URL containing "photo_unavailable".
func redirectedToPlaceholder(finalURL string) bool {
	return strings.Contains(finalURL, "photo_unavailable")
}

// matchesPlaceholder reports whether an image of size bytes and width×height
// pixels matches one of the known "photo unavailable" signatures.
func matchesPlaceholder(size int64, width, height int, sigs []PlaceholderSignature) bool {
	for _, s := range sigs {
		if s.Bytes == 0 && s.Width == 0 && s.Height == 0 {
			continue
		}
		if (s.Bytes == 0 || s.Bytes == size) && (s.Width == 0 || s.Width == width) && (s.Height == 0 || s.Height == height) {
			return true
		}
	}
	return false
}
