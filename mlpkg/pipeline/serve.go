package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// PostImage uploads the image file at path to a running web server (package
// serve) at baseURL ("http://127.0.0.1:PORT") as the browser page does: a
// multipart form with a "file" part, POSTed to /api/predict. It returns the
// JSON answer, indented; an answer other than 200 OK is an error carrying it.
func PostImage(ctx context.Context, baseURL, path string) (string, error) {
	data, err := imageio.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("post image: %w", err)
	}
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, err := form.CreateFormFile("file", filepath.Base(path))
	if err != nil {
		return "", fmt.Errorf("post image: %w", err)
	}
	if _, err := part.Write(data); err != nil {
		return "", fmt.Errorf("post image: %w", err)
	}
	if err := form.Close(); err != nil {
		return "", fmt.Errorf("post image: %w", err)
	}
	url := strings.TrimSuffix(baseURL, "/") + "/api/predict"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &body)
	if err != nil {
		return "", fmt.Errorf("post image: %w", err)
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("post image: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("post image: %w", err)
	}
	var out bytes.Buffer
	if json.Indent(&out, answer, "", "  ") != nil {
		out.Reset()
		out.Write(answer)
	}
	if resp.StatusCode != http.StatusOK {
		return out.String(), fmt.Errorf("post image: %s answered %s: %s", url, resp.Status, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}
