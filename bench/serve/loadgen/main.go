// Command loadgen is the bounded load client of bench/serve: it posts
// single-image predictions to a server on the loopback interface for at most
// -duration and at most -requests requests, with -concurrency requests in
// flight, and prints one JSON object: successful requests/s, latency
// percentiles of the successful requests, and errors. It refuses any host other than 127.0.0.1, localhost or ::1.
//
//	loadgen -gen-images DIR -n 24          # write 24 synthetic 150×150 JPEG photos
//	loadgen -url http://127.0.0.1:8080/api/predict -images DIR -name go
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what loadgen prints.
type Result struct {
	Name        string         `json:"name"`
	URL         string         `json:"url"`
	Concurrency int            `json:"concurrency"`
	Requests    int            `json:"requests"`
	Errors      int            `json:"errors"`
	ErrorKinds  map[string]int `json:"error_kinds,omitempty"`
	Seconds     float64        `json:"seconds"`
	RPS         float64        `json:"rps"`
	MeanMS      float64        `json:"mean_ms"`
	P50MS       float64        `json:"p50_ms"`
	P90MS       float64        `json:"p90_ms"`
	P99MS       float64        `json:"p99_ms"`
	MaxMS       float64        `json:"max_ms"`
	Images      int            `json:"images"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run() error {
	target := flag.String("url", "", "prediction endpoint, on 127.0.0.1, localhost or [::1]")
	imagesDir := flag.String("images", "", "folder of images to send, round-robin")
	name := flag.String("name", "server", "label for the result")
	duration := flag.Duration("duration", 20*time.Second, "longest measured run")
	maxRequests := flag.Int("requests", 20000, "most measured requests")
	concurrency := flag.Int("concurrency", 8, "requests in flight")
	warmup := flag.Int("warmup", 20, "unmeasured requests sent first")
	field := flag.String("field", "file", "multipart field name; empty sends the raw image as the body")
	genDir := flag.String("gen-images", "", "write synthetic JPEG photos to this folder and exit")
	genN := flag.Int("n", 24, "how many images -gen-images writes")
	flag.Parse()

	if *genDir != "" {
		return genImages(*genDir, *genN)
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http") {
		return fmt.Errorf("-url %q: want an http:// URL", *target)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return fmt.Errorf("-url %q: only loopback servers may be loaded", *target)
	}
	if *concurrency < 1 || *maxRequests < 1 || *duration <= 0 {
		return errors.New("-concurrency, -requests and -duration must be positive")
	}
	bodies, err := loadBodies(*imagesDir, *field)
	if err != nil {
		return err
	}

	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: *concurrency,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		},
		// A redirect could lead off the loopback interface: count it as an error.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	send := func(ctx context.Context, b body) (kind string, err error) {
		req, err := http.NewRequestWithContext(ctx, "POST", *target, bytes.NewReader(b.data))
		if err != nil {
			return "request", err
		}
		req.Header.Set("Content-Type", b.contentType)
		resp, err := client.Do(req)
		if err != nil {
			return "transport", err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Sprintf("http_%d", resp.StatusCode), fmt.Errorf("status %d", resp.StatusCode)
		}
		return "", nil
	}

	for i := range *warmup {
		if _, err := send(context.Background(), bodies[i%len(bodies)]); err != nil {
			return fmt.Errorf("warm-up request: %w", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	kinds := map[string]int{}
	errorsN := 0
	start := time.Now()
	var wg sync.WaitGroup
	for range *concurrency {
		wg.Go(func() {
			var local []time.Duration
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(*maxRequests) {
					break
				}
				t0 := time.Now()
				kind, err := send(ctx, bodies[int(i)%len(bodies)])
				if err != nil && ctx.Err() != nil {
					break // cut off by the time limit: not counted
				}
				if err != nil {
					// Not in the latencies: a fast refusal (503) would make
					// an overloaded server look quick.
					mu.Lock()
					errorsN++
					kinds[kind]++
					mu.Unlock()
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := Result{Name: *name, URL: *target, Concurrency: *concurrency, Requests: len(latencies) + errorsN, Errors: errorsN,
		Seconds: round(elapsed.Seconds()), Images: len(bodies)}
	if len(kinds) > 0 {
		res.ErrorKinds = kinds
	}
	if n := len(latencies); n > 0 {
		sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
		var sum time.Duration
		for _, l := range latencies {
			sum += l
		}
		pct := func(p float64) float64 {
			return msOf(latencies[min(n-1, int(math.Ceil(p*float64(n)))-1)])
		}
		res.RPS = round(float64(n) / elapsed.Seconds())
		res.MeanMS = round(msOf(sum / time.Duration(n)))
		res.P50MS, res.P90MS, res.P99MS = pct(0.50), pct(0.90), pct(0.99)
		res.MaxMS = msOf(latencies[n-1])
	}
	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(res)
}

type body struct {
	data        []byte
	contentType string
}

// loadBodies reads every file in dir and wraps each as a request body.
func loadBodies(dir, field string) ([]body, error) {
	if dir == "" {
		return nil, errors.New("-images is required")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read images: %w", err)
	}
	var out []body
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read images: %w", err)
		}
		if field == "" {
			out = append(out, body{data, "application/octet-stream"})
			continue
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, err := mw.CreateFormFile(field, e.Name())
		if err != nil {
			return nil, fmt.Errorf("build form: %w", err)
		}
		_, _ = w.Write(data)
		if err := mw.Close(); err != nil {
			return nil, fmt.Errorf("build form: %w", err)
		}
		out = append(out, body{buf.Bytes(), mw.FormDataContentType()})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no images in %s", dir)
	}
	return out, nil
}

// genImages writes n deterministic 150×150 JPEGs (Flickr's url_q size):
// smooth backgrounds with a few blobs, like small photos.
func genImages(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("gen images: %w", err)
	}
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	for k := range n {
		img := image.NewRGBA(image.Rect(0, 0, 150, 150))
		c0 := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
		c1 := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
		type blob struct {
			x, y, r float64
			c       [3]float64
		}
		blobs := make([]blob, 3+rng.IntN(4))
		for i := range blobs {
			blobs[i] = blob{rng.Float64() * 150, rng.Float64() * 150, 10 + rng.Float64()*40,
				[3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}}
		}
		for y := range 150 {
			for x := range 150 {
				t := float64(x+y) / 300
				c := [3]float64{}
				for i := range c {
					c[i] = c0[i]*(1-t) + c1[i]*t + rng.NormFloat64()*6
				}
				for _, b := range slices.Backward(blobs) {
					if dx, dy := float64(x)-b.x, float64(y)-b.y; dx*dx+dy*dy < b.r*b.r {
						c = b.c
						break
					}
				}
				img.Set(x, y, color.RGBA{clamp(c[0]), clamp(c[1]), clamp(c[2]), 255})
			}
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			return fmt.Errorf("gen images: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("photo-%03d.jpg", k)), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("gen images: %w", err)
		}
	}
	return nil
}

func clamp(v float64) uint8 { return uint8(max(0, min(255, v))) }

func msOf(d time.Duration) float64 { return round(float64(d.Microseconds()) / 1000) }

func round(v float64) float64 { return math.Round(v*100) / 100 }
