package serve

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// preflight rejects, before any decoding, uploads in the formats the
// server does not accept (TIFF, which imageio reads for local files). A
// JPEG with too many scans is stopped by the decoder (decodeError).
func preflight(format string) *apiError {
	if !slices.Contains(imageio.UntrustedFormats(), format) {
		return newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			fmt.Sprintf("%s images are not accepted here: send %s", format, english.join(acceptedFormats)), nil)
	}
	return nil
}
