package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Error codes: the stable values of ErrorResponse.Error. Clients branch on
// these, never on the message.
const (
	// CodeBadRequest: the request could not be read (e.g. a malformed multipart body).
	CodeBadRequest = "bad_request"
	// CodeMissingFile: no "file" part in the form, or a file part without a file.
	CodeMissingFile = "missing_file"
	// CodeEmptyFile: the uploaded file or raw body has zero bytes.
	CodeEmptyFile = "empty_file"
	// CodeRequestTimeout: the upload did not arrive within Config.ReadTimeout (408).
	CodeRequestTimeout = "request_timeout"
	// CodeBodyTooLarge: the upload is larger than Config.MaxUploadBytes (413).
	CodeBodyTooLarge = "body_too_large"
	// CodeUnsupportedMediaType: the bytes are not an image in a supported format (415).
	CodeUnsupportedMediaType = "unsupported_media_type"
	// CodeInvalidImage: the bytes look like an image but cannot be decoded (422).
	CodeInvalidImage = "invalid_image"
	// CodeTooManyPixels: the header declares more than Config.MaxPixels pixels (422).
	CodeTooManyPixels = "too_many_pixels"
	// CodeBusy: no upload place (Config.MaxUploads) or decode slot became
	// free within Config.QueueTimeout (503, with Retry-After).
	CodeBusy = "busy"
	// CodePredictionFailed: the classifier returned an error (500).
	CodePredictionFailed = "prediction_failed"
	// CodeInternal: any other server fault (500).
	CodeInternal = "internal"
	// CodeNotFound: no such API path (404).
	CodeNotFound = "not_found"
	// CodeMethodNotAllowed: the path exists, the method does not (405).
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeCrossOrigin: a browser posted from a page of another site (403):
	// a page elsewhere cannot make its visitors' browsers use this server
	// (see also CodeHostNotAllowed). Clients that are not browsers (curl,
	// scripts) are not concerned.
	CodeCrossOrigin = "cross_origin"
	// CodeHostNotAllowed: a server listening on a loopback address got a
	// request for another host name than localhost or Config.AllowedHosts
	// (403): a page whose domain name resolves to 127.0.0.1 (DNS rebinding).
	CodeHostNotAllowed = "host_not_allowed"
)

// codeClientClosed and statusClientClosed (nginx's "499 Client Closed
// Request") mark a request whose client went away before it was answered,
// e.g. while it waited for a decode slot. Such a request gets no answer: its
// connection is cut (see noteError), and it appears only in the request's
// log line, as a warning.
const (
	codeClientClosed   = "client_closed"
	statusClientClosed = 499
)

// ErrorResponse is the JSON body of every API error.
type ErrorResponse struct {
	// Error is one of the Code* constants.
	Error string `json:"error"`
	// Message explains the error to a person.
	Message string `json:"message"`
}

// ClassProbability is one class with its display name and probability.
type ClassProbability struct {
	// Class is the class name as the model knows it, e.g. "monkey".
	Class string `json:"class"`
	// DisplayName is the class name in the response's language.
	DisplayName string `json:"display_name"`
	// Probability is the model's probability for this class, in [0, 1].
	Probability float32 `json:"probability"`
}

// ClassInfo is one of the model's classes with its display name.
type ClassInfo struct {
	// Class is the class name as the model knows it, e.g. "monkey".
	Class string `json:"class"`
	// DisplayName is the class name in the response's language.
	DisplayName string `json:"display_name"`
}

// ImageInfo describes an uploaded image as read from its header.
type ImageInfo struct {
	// Format is the sniffed format, e.g. "jpeg" or "png".
	Format string `json:"format"`
	// Width is the image's width in pixels.
	Width int `json:"width"`
	// Height is the image's height in pixels.
	Height int `json:"height"`
}

// PredictResponse is the JSON body of a successful POST /api/predict.
type PredictResponse struct {
	// Class is the most probable class.
	Class string `json:"class"`
	// DisplayName is Class in the response's language.
	DisplayName string `json:"display_name"`
	// Probability is the probability of Class.
	Probability float32 `json:"probability"`
	// Probabilities holds every class, in the model's class order.
	Probabilities []ClassProbability `json:"probabilities"`
	// ModelID identifies the model that answered.
	ModelID string `json:"model_id"`
	// Lang is the language of the display names.
	Lang string `json:"lang"`
	// Image describes the upload.
	Image ImageInfo `json:"image"`
	// PredictMS is the time spent decoding and classifying, in milliseconds.
	PredictMS float64 `json:"predict_ms"`
	// ElapsedMS is the time from the start of the request (upload included)
	// to the answer, in milliseconds.
	ElapsedMS float64 `json:"elapsed_ms"`
}

// ModelResponse is the JSON body of GET /api/model.
type ModelResponse struct {
	// ModelID identifies the training run.
	ModelID string `json:"model_id"`
	// Classes lists the classes in the model's order, localised to Lang.
	Classes []ClassInfo `json:"classes"`
	// Lang is the language of the display names.
	Lang string `json:"lang"`
	// Languages lists the languages the page and display names are offered in.
	Languages []string `json:"languages"`
	// ImageSize is the model's square input size in pixels.
	ImageSize int `json:"image_size"`
	// Normalization names the model's input scaling.
	Normalization string `json:"normalization,omitempty"`
	// Backend is the backend the model runs on in this server.
	Backend string `json:"backend"`
	// TrainedBackend is the backend the model was trained on.
	TrainedBackend string `json:"trained_backend,omitempty"`
	// Created is when training started.
	Created time.Time `json:"created"`
	// DatasetHash identifies the training data.
	DatasetHash string `json:"dataset_hash,omitempty"`
	// Metrics are the training run's evaluation figures, e.g. "test_accuracy".
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// MaxUploadBytes is this server's cap on the size of one upload, in bytes.
	MaxUploadBytes int64 `json:"max_upload_bytes"`
	// MaxPixels is this server's cap on width×height.
	MaxPixels int64 `json:"max_pixels"`
}

// HealthResponse is the JSON body of GET /healthz.
type HealthResponse struct {
	// Status is "ok".
	Status string `json:"status"`
	// ModelID identifies the loaded model.
	ModelID string `json:"model_id"`
}

// apiError is an error with its HTTP status and stable code.
type apiError struct {
	status  int
	code    string
	message string
	err     error // underlying cause, logged, never sent
}

func (e *apiError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s: %s: %v", e.code, e.message, e.err)
	}
	return e.code + ": " + e.message
}

func (e *apiError) Unwrap() error { return e.err }

func newAPIError(status int, code, message string, cause error) *apiError {
	return &apiError{status: status, code: code, message: message, err: cause}
}

// writeJSON writes v with status. Encoding errors are only possible for
// values we build ourselves and were checked (no NaN), so they are logged by
// the caller's middleware through the status alone.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorResponse{Error: CodeInternal, Message: "could not encode the response"})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
