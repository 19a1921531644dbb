package serve

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// maxJPEGScans caps the scans (SOS segments) of a JPEG. Every scan of a
// progressive JPEG walks all of the image's blocks, so a small file with
// thousands of tiny scans costs minutes of CPU within the pixel cap. Real
// encoders write at most a few dozen (libjpeg's default progression: 10).
const maxJPEGScans = 100

// preflight rejects, before any decoding, uploads that the header check
// alone would let through but that cost far more than their size: formats
// the server does not accept and JPEGs with too many scans.
func preflight(format string, data []byte) *apiError {
	if !slices.Contains(imageio.UntrustedFormats, format) { // TIFF, which imageio reads for local files
		return newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			fmt.Sprintf("%s images are not accepted here: send %s", format, english.join(acceptedFormats)), nil)
	}
	if format == "jpeg" {
		if n := jpegScans(data, maxJPEGScans); n > maxJPEGScans {
			return newAPIError(http.StatusUnprocessableEntity, CodeInvalidImage,
				fmt.Sprintf("the JPEG has more than %d scans", maxJPEGScans), nil)
		}
	}
	return nil
}

// jpegScans counts the SOS markers (FF DA) in a JPEG, stopping once it
// passes limit: an upper bound of the scans a decoder reads. Entropy-coded
// data never holds FF DA (an FF there is followed by 00 or a restart
// marker), so no scan goes uncounted; metadata may add a few that are not
// scans (an EXIF thumbnail's own), far below maxJPEGScans. Walking the
// marker segments instead, as an earlier version did, can be fooled: Go's
// decoder skips an FF 00 between segments as junk, where a walker reads a
// segment length, and a small file then hid thousands of scans (15 s of
// decoding for 131 KB).
func jpegScans(data []byte, limit int) int {
	sos := []byte{0xFF, 0xDA}
	scans := 0
	for scans <= limit {
		i := bytes.Index(data, sos)
		if i < 0 {
			break
		}
		scans++
		data = data[i+len(sos):]
	}
	return scans
}
