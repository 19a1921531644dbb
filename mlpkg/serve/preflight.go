package serve

import (
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

// jpegScans counts the SOS segments of a JPEG by walking its marker
// segments and skipping entropy-coded data, stopping once it passes limit or
// at EOI. Malformed data simply ends the count: the decoder reports it.
func jpegScans(data []byte, limit int) int {
	const (
		markerSOI = 0xD8
		markerEOI = 0xD9
		markerSOS = 0xDA
	)
	if len(data) < 2 || data[0] != 0xFF || data[1] != markerSOI {
		return 0
	}
	scans := 0
	i := 2
	for i+1 < len(data) && scans <= limit {
		if data[i] != 0xFF {
			i++ // not at a marker: resynchronise, as decoders do
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == markerEOI:
			return scans
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // TEM, RSTn: no length
			i += 2
			continue
		}
		if i+3 >= len(data) {
			return scans
		}
		segLen := int(data[i+2])<<8 | int(data[i+3])
		if segLen < 2 {
			return scans
		}
		i += 2 + segLen
		if m != markerSOS {
			continue
		}
		scans++
		// Skip the entropy-coded data: up to the next marker that is neither
		// a stuffed 0xFF00 nor a restart marker.
		for i+1 < len(data) {
			if data[i] == 0xFF {
				n := data[i+1]
				if n != 0x00 && !(n >= 0xD0 && n <= 0xD7) && n != 0xFF {
					break
				}
			}
			i++
		}
	}
	return scans
}
