package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
)

// multipartOverhead is what a multipart body may carry besides the file
// itself (boundaries, part headers, a few small fields).
const multipartOverhead = 64 << 10

// sniffLen is how many leading bytes are given to imageio.Sniff.
const sniffLen = 512

// fileField is the form field that carries the image, as in the course's app.
const fileField = "file"

// initialReserve caps the buffer reserved up front for an upload from its
// declared Content-Length: the client's claim is not trusted (a client could
// declare 10 MiB and send 400 bytes on many connections), so the buffer
// grows with the bytes that actually arrive.
const initialReserve = 64 << 10

// readUpload returns the uploaded image bytes: the "file" part of a
// multipart/form-data body, or else the whole raw body. The client's file
// name and content type are ignored (the type is sniffed later).
//
// Before any of the body is read the upload takes one of MaxUploads places,
// waiting for one at most QueueTimeout (503 busy after that); release gives
// it back, and is nil when an error is returned. What the headers alone show to be wrong (a
// declared Content-Length over the limit, a multipart type without a
// boundary) is answered first, without taking a place.
func (s *server) readUpload(w http.ResponseWriter, r *http.Request) (data []byte, release func(), _ *apiError) {
	limit := s.cfg.MaxUploadBytes
	contentType := r.Header.Get("Content-Type")
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "multipart/") {
		// A form whose type cannot be read (e.g. "; " missing before
		// boundary=), not a raw image to sniff.
		return nil, nil, newAPIError(http.StatusBadRequest, CodeBadRequest, "malformed multipart Content-Type: "+err.Error(), err)
	}
	isMultipart := mediaType == "multipart/form-data"
	bodyLimit := limit
	if isMultipart {
		bodyLimit += multipartOverhead
	}
	if r.ContentLength > bodyLimit {
		return nil, nil, tooLarge(limit, nil)
	}
	if isMultipart && params["boundary"] == "" {
		return nil, nil, newAPIError(http.StatusBadRequest, CodeBadRequest, "multipart body without a boundary", nil)
	}
	release, aerr := s.take(r.Context(), s.uploads, "the server is busy with other uploads: try again shortly")
	if aerr != nil {
		return nil, nil, aerr
	}
	body := http.MaxBytesReader(w, r.Body, bodyLimit)
	defer body.Close()
	if isMultipart {
		data, aerr = readFilePart(body, params["boundary"], limit)
	} else {
		data, aerr = readRawBody(body, limit, r.ContentLength)
	}
	if aerr != nil {
		release()
		if aerr.code == CodeBadRequest && !errors.Is(aerr.err, io.ErrUnexpectedEOF) && r.Context().Err() != nil {
			// The read failed because the connection broke. (A body cut
			// short, or the read timeout, is answered: a client that only
			// closed its sending side still reads the answer.)
			return nil, nil, clientClosed(context.Cause(r.Context()))
		}
		return nil, nil, aerr
	}
	return data, release, nil
}

// readRawBody reads a raw (non-multipart) upload body.
func readRawBody(body io.Reader, limit, contentLength int64) ([]byte, *apiError) {
	data, err := readLimited(body, limit, contentLength)
	if err != nil {
		return nil, readError(err, limit)
	}
	if len(data) == 0 {
		return nil, newAPIError(http.StatusBadRequest, CodeEmptyFile, "the request body is empty: send an image", nil)
	}
	return data, nil
}

// readFilePart reads the "file" part of a multipart/form-data body,
// skipping any other fields.
func readFilePart(body io.Reader, boundary string, limit int64) ([]byte, *apiError) {
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, newAPIError(http.StatusBadRequest, CodeMissingFile, `the form has no "file" field: attach an image`, nil)
		}
		if err != nil {
			return nil, readError(err, limit)
		}
		if part.FormName() != fileField {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, readError(err, limit)
			}
			continue
		}
		data, err := readLimited(part, limit, -1)
		if err != nil {
			return nil, readError(err, limit)
		}
		if len(data) == 0 {
			if part.FileName() == "" {
				return nil, newAPIError(http.StatusBadRequest, CodeMissingFile, "no file was chosen", nil)
			}
			return nil, newAPIError(http.StatusBadRequest, CodeEmptyFile, "the uploaded file is empty", nil)
		}
		return data, nil
	}
}

// errUploadTooLarge marks an upload over the limit found while reading.
var errUploadTooLarge = errors.New("upload too large")

// errNotImage marks an upload whose first bytes are no supported image.
var errNotImage = errors.New("not an image")

// readLimited reads all of r, failing with errUploadTooLarge past limit
// bytes, and with errNotImage as soon as its first bytes (sniffLen) show
// that it is not an image: a large upload of something else holds its
// upload place no longer than that. sizeHint (the Content-Length, or -1)
// preallocates the buffer, but never more than initialReserve: beyond that
// the buffer grows with the data read.
func readLimited(r io.Reader, limit, sizeHint int64) ([]byte, error) {
	buf := bytes.NewBuffer(nil)
	if sizeHint > 0 && sizeHint <= limit {
		buf.Grow(int(min(sizeHint, initialReserve)) + bytes.MinRead)
	}
	r = io.LimitReader(r, limit+1)
	head, err := buf.ReadFrom(io.LimitReader(r, sniffLen))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if _, ok := imageio.Sniff(buf.Bytes()); head > 0 && !ok {
		return nil, errNotImage
	}
	n, err := buf.ReadFrom(r)
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if head+n > limit {
		return nil, errUploadTooLarge
	}
	return buf.Bytes(), nil
}

// notImage is the answer to an upload that is not an image in a supported format.
func notImage() *apiError {
	return newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
		"the upload is not an image in a supported format ("+english.join(acceptedFormats)+")", nil)
}

func tooLarge(limit int64, cause error) *apiError {
	return newAPIError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
		fmt.Sprintf("the upload is larger than %s", formatBytes(limit)), cause)
}

// readError maps an error met while reading the body to an API error.
func readError(err error, limit int64) *apiError {
	var mbe *http.MaxBytesError
	if errors.Is(err, errUploadTooLarge) || errors.As(err, &mbe) {
		return tooLarge(limit, err)
	}
	if errors.Is(err, errNotImage) {
		return notImage()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return newAPIError(http.StatusRequestTimeout, CodeRequestTimeout, "the upload did not arrive in time: the server stopped waiting for the rest of it", err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return newAPIError(http.StatusBadRequest, CodeBadRequest, "the upload ended early: the request body is shorter than it was announced", err)
	}
	return newAPIError(http.StatusBadRequest, CodeBadRequest, "the request body could not be read", err)
}

// classified is the outcome of one successful classification.
type classified struct {
	pred    predict.Prediction
	info    ImageInfo
	elapsed time.Duration // decode + predict
}

// classify sniffs, checks, decodes and classifies one uploaded image. The
// type is decided by the bytes alone (see imageio.UntrustedFormats), and the
// dimensions are checked from the header before the pixels are decoded, so
// an image bomb costs only its header (a JPEG's scans are capped while it is
// decoded: imageio.MaxJPEGScans). Decoding and prediction hold one of
// MaxConcurrent slots.
func (s *server) classify(ctx context.Context, data []byte) (*classified, *apiError) {
	format, ok := imageio.Sniff(data[:min(len(data), sniffLen)])
	if !ok {
		return nil, notImage()
	}
	if aerr := preflight(format); aerr != nil {
		return nil, aerr
	}
	cfg, _, err := decodeConfig(data)
	if err != nil {
		return nil, decodeError(format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, newAPIError(http.StatusUnprocessableEntity, CodeInvalidImage,
			fmt.Sprintf("the %s image has no pixels (%d×%d)", format, cfg.Width, cfg.Height), nil)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > s.cfg.MaxPixels {
		return nil, newAPIError(http.StatusUnprocessableEntity, CodeTooManyPixels,
			fmt.Sprintf("the image is %d×%d pixels; at most %d pixels are accepted", cfg.Width, cfg.Height, s.cfg.MaxPixels), nil)
	}
	info := ImageInfo{Format: format, Width: cfg.Width, Height: cfg.Height}

	release, aerr := s.take(ctx, s.slots, "the server is busy: try again shortly")
	if aerr != nil {
		return nil, aerr
	}
	defer release()
	start := time.Now()
	img, err := decode(data)
	if err != nil {
		return nil, decodeError(format, err)
	}
	if b := img.Bounds(); int64(b.Dx())*int64(b.Dy()) > s.cfg.MaxPixels || b.Empty() {
		// The decoder disagreed with the header; never pass such an image on.
		return nil, newAPIError(http.StatusUnprocessableEntity, CodeInvalidImage,
			"the image's pixels do not match its header", nil)
	}
	preds, err := s.cl.Predict(img)
	if err != nil {
		return nil, newAPIError(http.StatusInternalServerError, CodePredictionFailed, "the model could not classify the image",
			fmt.Errorf("predict %s %dx%d: %w", format, cfg.Width, cfg.Height, err))
	}
	if len(preds) != 1 {
		return nil, newAPIError(http.StatusInternalServerError, CodePredictionFailed, "the model could not classify the image",
			fmt.Errorf("predict: got %d predictions for 1 image", len(preds)))
	}
	if err := checkPrediction(preds[0], s.meta.Classes); err != nil {
		return nil, newAPIError(http.StatusInternalServerError, CodePredictionFailed, "the model gave an invalid answer", err)
	}
	return &classified{pred: preds[0], info: info, elapsed: time.Since(start)}, nil
}

// checkPrediction rejects answers that cannot be reported: a probability
// count other than the class count, or NaN/Inf (not representable in JSON).
func checkPrediction(p predict.Prediction, classes []string) error {
	if len(p.Probabilities) != len(classes) {
		return fmt.Errorf("check prediction: %d probabilities for %d classes", len(p.Probabilities), len(classes))
	}
	for i, v := range p.Probabilities {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("check prediction: probability of %s is %v", classes[i], v)
		}
	}
	if math.IsNaN(float64(p.Probability)) || math.IsInf(float64(p.Probability), 0) {
		return fmt.Errorf("check prediction: top probability is %v", p.Probability)
	}
	return nil
}

// take takes a place in places (a semaphore: the uploads' or the decode
// slots'), waiting for one at most QueueTimeout: after that it answers 503
// busy with message busy, and a client that goes away meanwhile is
// clientClosed. A request waiting for an upload place holds nothing but
// its connection (its body is not read yet); one waiting for a decode slot
// holds its upload place and body, but no decoded image yet.
func (s *server) take(ctx context.Context, places chan struct{}, busy string) (release func(), _ *apiError) {
	select {
	case places <- struct{}{}:
		return func() { <-places }, nil
	default:
	}
	t := time.NewTimer(s.cfg.QueueTimeout)
	defer t.Stop()
	select {
	case places <- struct{}{}:
		return func() { <-places }, nil
	case <-t.C:
		return nil, newAPIError(http.StatusServiceUnavailable, CodeBusy, busy, nil)
	case <-ctx.Done():
		return nil, clientClosed(context.Cause(ctx))
	}
}

// clientClosed is the error for a request whose client went away (its
// context is done): it is logged, never answered.
func clientClosed(cause error) *apiError {
	return newAPIError(statusClientClosed, codeClientClosed, "the client closed the request", cause)
}

func decodeError(format string, err error) *apiError {
	switch {
	case errors.Is(err, imageio.ErrNotImage):
		return newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the upload is not an image in a supported format", err)
	case errors.Is(err, imageio.ErrUnsupportedVariant):
		return newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			fmt.Sprintf("the %s image uses a variant of the format that cannot be decoded here", format), err)
	case errors.Is(err, imageio.ErrTooManyScans):
		return newAPIError(http.StatusUnprocessableEntity, CodeInvalidImage,
			fmt.Sprintf("the JPEG has more than %d scans", imageio.MaxJPEGScans), err)
	}
	return newAPIError(http.StatusUnprocessableEntity, CodeInvalidImage,
		fmt.Sprintf("the %s image is damaged or truncated and cannot be decoded", format), err)
}

// decodeConfig and decode call imageio and turn a decoder panic (hostile
// input reaching a bug in a codec) into an error.
func decodeConfig(data []byte) (cfg image.Config, format string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decode image header: panic: %v", p)
		}
	}()
	cfg, format, err = imageio.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		err = fmt.Errorf("upload: %w", err)
	}
	return cfg, format, err
}

func decode(data []byte) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decode image: panic: %v", p)
		}
	}()
	img, _, err = imageio.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	return img, nil
}

// formatBytes writes n as a short human size, e.g. "10 MiB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
