package imageio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxJPEGScans caps the scans (SOS segments) of a JPEG that Decode reads.
// Every scan of a progressive JPEG walks all of the image's blocks, so a
// file of a few kilobytes with thousands of tiny scans costs minutes of CPU
// within the pixel cap (15 ms a scan at 48 MP). Real encoders write at most
// a few dozen (libjpeg's default progression: 10).
const MaxJPEGScans = 100

// ErrTooManyScans is returned (wrapped) by Decode for a JPEG with more than
// MaxJPEGScans scans.
var ErrTooManyScans = fmt.Errorf("JPEG with more than %d scans", MaxJPEGScans)

// MaxFileBytes is the largest file Load reads (256 MiB, far above any photo).
const MaxFileBytes = 256 << 20

// scanLimiter passes a JPEG stream through to the decoder, counting the SOS
// markers (FF DA) in it, and fails with ErrTooManyScans past MaxJPEGScans.
// Entropy-coded data never holds FF DA (an FF there is followed by 00 or a
// restart marker), so no scan goes uncounted, even one hidden behind junk
// that a walk of the marker segments would misread; metadata may add a few
// that are not scans (an EXIF thumbnail's own). Only what the decoder reads
// is counted (with its read-ahead, 4 KiB at most), not data after the image:
// a phone's "motion photo" appends a video, whose bytes hold FF DA by
// chance, about once in every 64 KiB.
type scanLimiter struct {
	r     io.Reader
	scans int
	ff    bool // the previous byte was 0xFF
}

func (l *scanLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if l.ff && c == 0xDA {
			if l.scans++; l.scans > MaxJPEGScans {
				return 0, ErrTooManyScans
			}
		}
		l.ff = c == 0xFF
	}
	return n, err
}

// ReadFile reads a picture file: a regular file (or a link to one) of at
// most MaxFileBytes. A device (it could be read without end), a named pipe
// (the read would wait for a writer) or a larger file is refused. Its errors
// are *fs.PathError, as os.ReadFile's, wrapping ErrNotRegular or
// ErrTooLarge for those.
func ReadFile(path string) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if len(data) > MaxFileBytes {
		return nil, &fs.PathError{Op: "read", Path: path,
			Err: fmt.Errorf("more than %d MiB, too large for a picture: %w", MaxFileBytes>>20, ErrTooLarge)}
	}
	return data, nil
}

// ErrNotRegular is returned (wrapped) by OpenRegular and ReadFile for a path
// that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens path for reading if it is (or links to) a regular file,
// and fails for anything else (a device such as /dev/zero, a folder), with
// an *fs.PathError wrapping ErrNotRegular. It opens without blocking, so a
// named pipe is refused rather than waited on.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, st.Mode().Type())}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
