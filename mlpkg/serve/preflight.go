package serve

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// preflight rejects, before any decoding, uploads that the header check
// alone would let through but that cost far more than their size: formats
// the server does not accept and JPEGs with too many scans.
func preflight(format string, data []byte) *apiError {
	if !slices.Contains(imageio.UntrustedFormats(), format) { // TIFF, which imageio reads for local files
		return newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			fmt.Sprintf("%s images are not accepted here: send %s", format, english.join(acceptedFormats)), nil)
	}
	if format == "jpeg" {
		if n := imageio.JPEGScans(data, imageio.MaxJPEGScans); n > imageio.MaxJPEGScans {
			return newAPIError(http.StatusUnprocessableEntity, CodeInvalidImage,
				fmt.Sprintf("the JPEG has more than %d scans", imageio.MaxJPEGScans), nil)
		}
	}
	return nil
}
