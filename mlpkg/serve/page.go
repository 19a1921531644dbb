package serve

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
)

// assets holds the page template, its stylesheet and its script: the page
// loads nothing from anywhere else.
//
//go:embed assets
var assets embed.FS

// pageTemplate is the page. It is parsed from the embedded assets, which
// are fixed at build time: a template that does not parse fails every test.
var pageTemplate = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"pct": formatPct[float32],
}).ParseFS(assets, "assets/page.html"))

// staticHandler serves the embedded stylesheet and script. Only files are
// served: a directory, /static/ itself included, is not found (no listing).
// Each has an ETag, the hash of its content, and browsers check it on every
// use ("no-cache": a 304 without the file when unchanged), so that after an
// upgrade the page never runs an old script. Embedded files have no date.
func (s *server) staticHandler() http.Handler {
	sub, err := fs.Sub(assets, "assets/static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	etags := map[string]string{}
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		sum := sha256.Sum256(b)
		etags[path] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return err
	})
	if err != nil {
		panic(err)
	}
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		etag, ok := etags[strings.TrimPrefix(r.URL.Path, "/static/")]
		if !ok {
			s.handleNotFoundPage(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", etag) // http.FileServer answers If-None-Match with it
		fsrv.ServeHTTP(w, r)
	})
}

// pageData is what the page template shows.
type pageData struct {
	Lang      string
	T         uiText
	Intro     string // T.Intro with the model's classes in Lang
	Languages []langLink
	ModelID   string
	Backend   string
	Accuracy  string // test accuracy, formatted; empty when unknown
	MaxUpload string // Config.MaxUploadBytes, e.g. "10 MiB"
	// MaxUploadBytes and TooLarge let the script refuse a file over the
	// limit before sending it, with the server's own message: a browser
	// often shows the server's early 413 as a network error.
	MaxUploadBytes int64
	TooLarge       string
	Accept         string // the file input's accept list
	Result         *pageResult
	Error          *pageError
}

type langLink struct {
	Tag, Name string
	Current   bool
}

type pageResult struct {
	Top           ClassProbability
	Probabilities []ClassProbability
	Image         ImageInfo
}

type pageError struct {
	Code, Message string
}

func (s *server) pageData(lang string) *pageData {
	d := &pageData{
		Lang:      lang,
		T:         textFor(lang),
		ModelID:   s.meta.ModelID,
		Backend:   s.cl.Backend(),
		MaxUpload: formatBytes(s.cfg.MaxUploadBytes),
		Accept:    acceptTypes,
	}
	names := make([]string, len(s.meta.Classes))
	for i, c := range s.meta.Classes {
		names[i] = s.meta.DisplayName(c, lang)
	}
	d.Intro = d.T.intro(names)
	d.MaxUploadBytes = s.cfg.MaxUploadBytes
	d.TooLarge = d.T.errorMessage(tooLarge(s.cfg.MaxUploadBytes, nil))
	if a, ok := s.meta.Metrics["test_accuracy"]; ok {
		d.Accuracy = formatPct(a)
	}
	for _, t := range s.langs.tags {
		d.Languages = append(d.Languages, langLink{Tag: t, Name: languageName(t), Current: t == lang})
	}
	return d
}

// handlePage is GET /: the upload form.
func (s *server) handlePage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, http.StatusOK, s.pageData(s.langs.pick(r)))
}

// handlePageUpload is POST /: the form posted without JavaScript. It answers
// a full page with the result (or the error, with the API's status code).
func (s *server) handlePageUpload(w http.ResponseWriter, r *http.Request) {
	lang := s.langs.pick(r)
	d := s.pageData(lang)
	res, aerr := s.upload(w, r)
	if aerr != nil {
		noteError(w, r, aerr)
		d.Error = &pageError{Code: aerr.code, Message: d.T.errorMessage(aerr)}
		s.renderPage(w, aerr.status, d)
		return
	}
	pr := s.predictResponse(res, lang)
	d.Result = &pageResult{
		Top:           ClassProbability{Class: pr.Class, DisplayName: pr.DisplayName, Probability: pr.Probability},
		Probabilities: pr.Probabilities,
		Image:         pr.Image,
	}
	s.renderPage(w, http.StatusOK, d)
}

// handleNotFoundPage answers unknown non-API paths with a short HTML page.
func (s *server) handleNotFoundPage(w http.ResponseWriter, r *http.Request) {
	writeShortPage(w, http.StatusNotFound, "Not found", "Not found.")
}

// writeShortPage answers status with a minimal HTML page: a title, one
// sentence and a link back to the classifier.
func writeShortPage(w http.ResponseWriter, status int, title, sentence string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>%s</title><p>%s <a href=\"/\">Back to the classifier</a></p></html>\n",
		html.EscapeString(title), html.EscapeString(sentence))
}

func (s *server) renderPage(w http.ResponseWriter, status int, d *pageData) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		s.cfg.logger().Error("render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", d.Lang)
	h.Set("Vary", "Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorMessage returns the page's wording for an upload error: a
// translation of its code when there is one, else the API's message.
func (t uiText) errorMessage(e *apiError) string {
	if m, ok := t.Errors[e.code]; ok {
		return m
	}
	return e.message
}

// formatPct writes a probability or an accuracy as a percentage with one
// decimal, e.g. "97.3%", as the page's script does (pct in app.js).
func formatPct[F float32 | float64](p F) string {
	return strconv.FormatFloat(float64(p)*100, 'f', 1, 64) + "%"
}
