package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"log"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
	"github.com/animalcnn/animalcnn/mlpkg/serve"
)

// daylight stands for a trained model, which a program loads with
// predict.Load (a *predict.Predictor is a serve.Classifier): it tells "day"
// from "night" pictures by their mean brightness.
type daylight struct{}

var daylightMeta = &model.Meta{
	ModelID:       "daylight-example",
	Classes:       []string{"night", "day"},
	ImageSize:     50,
	Normalization: model.Normalization,
	Created:       time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
}

func (daylight) Meta() *model.Meta { return daylightMeta }
func (daylight) Backend() string   { return "example" }

func (daylight) Predict(imgs ...image.Image) ([]predict.Prediction, error) {
	var out []predict.Prediction
	for _, img := range imgs {
		b := img.Bounds()
		var sum float64
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				sum += float64(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
			}
		}
		day := float32(sum / float64(b.Dx()*b.Dy()) / 255)
		p := predict.Prediction{Classes: daylightMeta.Classes, Probabilities: []float32{1 - day, day}}
		p.Class, p.Probability = "day", day
		if day < 0.5 {
			p.Class, p.Probability = "night", 1-day
		}
		out = append(out, p)
	}
	return out, nil
}

// grayPNG encodes a w×h picture of one grey level as PNG.
func grayPNG(w, h int, level uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{Y: level}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// Building the web app's handler around a classifier, and posting an image
// to its JSON API as an upload form does (curl -F file=@photo.jpg). A raw
// image body is accepted too.
func ExampleNew() {
	cfg := serve.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // nil: one line per request on slog.Default()
	h, err := serve.New(cfg, daylight{})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, err := form.CreateFormFile("file", "sky.png")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := part.Write(grayPNG(80, 60, 204)); err != nil {
		log.Fatal(err)
	}
	if err := form.Close(); err != nil {
		log.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/api/predict", form.FormDataContentType(), &body)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()

	var pr serve.PredictResponse // an error status has a serve.ErrorResponse
	if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"))
	fmt.Printf("class %s (%s), probability %.2f\n", pr.Class, pr.DisplayName, pr.Probability)
	for _, c := range pr.Probabilities {
		fmt.Printf("  %s %.2f\n", c.Class, c.Probability)
	}
	fmt.Println("model", pr.ModelID, "lang", pr.Lang)
	fmt.Printf("image %s %d×%d\n", pr.Image.Format, pr.Image.Width, pr.Image.Height)
	// Output:
	// 200 OK application/json; charset=utf-8
	// class day (day), probability 0.80
	//   night 0.20
	//   day 0.80
	// model daylight-example lang en
	// image png 80×60
}

// Running the server on a port of its own until its context is cancelled,
// as a notebook cell does (ListenAndServe listens on Config.Addr instead).
func ExampleServe() {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port
	if err != nil {
		log.Fatal(err)
	}
	cfg := serve.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve.Serve(ctx, ln, cfg, daylight{}) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		log.Fatal(err)
	}
	var health serve.HealthResponse
	err = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	fmt.Println(health.Status, health.ModelID, err)

	stop()                            // stops accepting connections
	fmt.Println("stopped:", <-served) // after in-flight requests end
	// Output:
	// ok daylight-example <nil>
	// stopped: <nil>
}
