package serve

import (
	"flag"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/flagvalue"
)

// Config is the whole configuration of the web server: where it listens,
// what it accepts, whether uploads are kept, and its timeouts. Start from
// DefaultConfig; RegisterFlags exposes every field but Logger as a
// command-line flag.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on, e.g. "127.0.0.1:8080".
	Addr string
	// AllowedHosts are the host names, besides localhost and IP addresses,
	// that a request may name in its Host header when the server listens on
	// a loopback address only (127.0.0.1, ::1): the names a reverse proxy in
	// front of it passes on, e.g. "animals.example.com"; "*" allows any.
	// Other requests get 403 (host_not_allowed): a page whose own domain
	// name is made to resolve to 127.0.0.1 (DNS rebinding) would otherwise
	// be, to the browser, of the server's origin, and pass the cross-origin
	// refusal. A server listening on other addresses (0.0.0.0, a LAN
	// address) does not check the Host header, and the handler of New
	// neither: it does not know where it is served.
	AllowedHosts []string
	// MaxUploadBytes caps the size of one uploaded image (the file part of a
	// multipart form, or a raw request body), at most imageio.MaxFileBytes.
	// Larger uploads get 413.
	MaxUploadBytes int64
	// MaxPixels caps width×height, read from the image header before the
	// image is decoded. Larger images get 422 (too_many_pixels). The model
	// reads 50×50 pictures, so the cap only has to let real photos through:
	// the default, 16,777,216 (4096×4096), passes a 12 MP phone photo
	// (4000×3000) and a 16 MP one (4624×3472). Decoding costs up to 24 bytes
	// per pixel (a progressive CMYK JPEG; 15 for a progressive 4:4:4 colour
	// one, 1.5 to 3 for a baseline one), so about 400 MB per decode at the
	// default cap, and at most MaxConcurrent decodes run at once: peak decode
	// memory is about MaxConcurrent × MaxPixels × 24 bytes.
	MaxPixels int64
	// MaxConcurrent limits how many images are decoded and classified at
	// once; further requests wait (at most QueueTimeout) for a slot. It bounds
	// the memory used by decoded images (see MaxPixels). Decoding and
	// prediction are CPU-bound, so more slots than CPUs add memory, not
	// throughput: the default is runtime.NumCPU(). On a host with many
	// cores and little memory, lower it (or MaxPixels).
	MaxConcurrent int
	// QueueTimeout is how long a request waits for an upload place (see
	// MaxUploads), then again for a decode/predict slot, before it is
	// answered 503 (busy, with Retry-After).
	QueueTimeout time.Duration
	// MaxUploads limits how many uploads are handled at once, from reading
	// the body to the answer: an upload over the limit waits for a place
	// (at most QueueTimeout), its body not read meanwhile. It bounds the
	// memory held by buffered uploads (up to MaxUploadBytes each) and by the
	// requests queued for a decode slot. 0 (the default) means
	// 4 × MaxConcurrent.
	MaxUploads int

	// StoreUploadsDir, when not empty, keeps every classified upload in this
	// dedicated folder under a random name (never the client's file name).
	// Empty (the default) keeps nothing. The folder belongs to one server
	// at a time: Serve holds a lock in it (a second server with the same
	// folder fails at start), and New's handler assumes it is the only one.
	StoreUploadsDir string
	// StoreQuotaBytes caps the total size of the stored uploads: the oldest
	// are deleted to make room for new ones.
	StoreQuotaBytes int64

	// ReadHeaderTimeout is the maximum duration for reading a request's
	// headers. It and the next three set http.Server's fields of the same names.
	ReadHeaderTimeout time.Duration
	// ReadTimeout is the maximum duration for reading an entire request,
	// upload included (60 s: 10 MiB at about 1.5 Mbit/s), the wait for an
	// upload place too.
	ReadTimeout time.Duration
	// WriteTimeout is the maximum duration from the end of the request's
	// headers to the end of the response: keep it above ReadTimeout plus
	// QueueTimeout (the wait for a decode slot) plus a prediction.
	WriteTimeout time.Duration
	// IdleTimeout is how long an idle keep-alive connection is kept open.
	IdleTimeout time.Duration
	// ShutdownTimeout is how long a graceful shutdown waits for in-flight
	// requests before closing their connections.
	ShutdownTimeout time.Duration

	// Logger receives one line per request and the server's own messages;
	// nil means slog.Default().
	Logger *slog.Logger
}

// defaultMaxPixels is 4096×4096: above a 12 MP (4000×3000) or 16 MP
// (4624×3472) phone photo, and about 400 MB per decode at worst.
const defaultMaxPixels = 1 << 24

// uploadsPerSlot is the default MaxUploads per decode slot.
const uploadsPerSlot = 4

// DefaultConfig returns the defaults: 127.0.0.1:8080, 10 MiB uploads,
// 16.8 megapixels (4096×4096: a 12 or 16 MP phone photo passes), NumCPU
// concurrent decodes, 4 × NumCPU uploads at once, nothing stored, and
// conservative server timeouts.
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		MaxUploadBytes:    10 << 20,
		MaxPixels:         defaultMaxPixels,
		MaxConcurrent:     runtime.NumCPU(),
		QueueTimeout:      10 * time.Second,
		StoreQuotaBytes:   100 << 20,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		ShutdownTimeout:   30 * time.Second,
	}
}

// RegisterFlags defines one flag per field on fs (every field but Logger),
// with c's current values as defaults; parsing fs writes into c.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on (host:port)")
	fs.Var((*flagvalue.List)(&c.AllowedHosts), "allowed-hosts", "comma-separated host `names` a request may name besides localhost and IP addresses, on a loopback -addr: those a reverse proxy passes on (* allows any)")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", c.MaxUploadBytes, "largest accepted upload in bytes (413 above)")
	fs.Int64Var(&c.MaxPixels, "max-pixels", c.MaxPixels, "largest accepted width×height, checked before decoding (422 above); a decode needs up to 24 bytes per pixel")
	fs.IntVar(&c.MaxConcurrent, "max-concurrent", c.MaxConcurrent, "images decoded and classified at once, one per CPU by default (each decode needs up to 24 bytes × max-pixels)")
	fs.DurationVar(&c.QueueTimeout, "queue-timeout", c.QueueTimeout, "longest wait for an upload place, then for a decode slot (503 after; 0: no wait)")
	fs.IntVar(&c.MaxUploads, "max-uploads", c.MaxUploads, "uploads read, decoded and classified at once; more wait, their body unread, up to -queue-timeout (0: 4×max-concurrent)")
	fs.StringVar(&c.StoreUploadsDir, "store-uploads", c.StoreUploadsDir, "keep uploads in this dedicated folder under random names (empty: keep nothing)")
	fs.Int64Var(&c.StoreQuotaBytes, "store-quota-bytes", c.StoreQuotaBytes, "total size of kept uploads, more than 0; the oldest are deleted beyond it")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", c.ReadHeaderTimeout, "time allowed to read request headers (0: -read-timeout)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "time allowed to read a whole request (0: no limit)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "time allowed to write a response (0: no limit)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "how long idle keep-alive connections stay open (0: -read-timeout)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long a graceful shutdown waits for in-flight requests (0: none, they are cut)")
}

// Validate reports every invalid setting, joined in one error.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxUploadBytes <= 0 || c.MaxUploadBytes > imageio.MaxFileBytes {
		errs = append(errs, fmt.Errorf("max upload bytes must be in 1..%d (%s, the largest picture file read anywhere), got %d",
			imageio.MaxFileBytes, formatBytes(imageio.MaxFileBytes), c.MaxUploadBytes))
	}
	if c.MaxPixels <= 0 {
		errs = append(errs, fmt.Errorf("max pixels must be positive, got %d", c.MaxPixels))
	}
	for _, h := range c.AllowedHosts {
		if h == "" || strings.ContainsAny(h, ":/ \t") {
			errs = append(errs, fmt.Errorf("allowed hosts must be host names without port or scheme, got %q", h))
		}
	}
	if c.MaxConcurrent <= 0 {
		errs = append(errs, fmt.Errorf("max concurrent must be positive, got %d", c.MaxConcurrent))
	}
	if c.MaxUploads < 0 {
		errs = append(errs, fmt.Errorf("max uploads must not be negative, got %d", c.MaxUploads))
	}
	if c.StoreUploadsDir != "" && c.StoreQuotaBytes <= 0 {
		errs = append(errs, fmt.Errorf("store quota must be positive when storing uploads, got %d", c.StoreQuotaBytes))
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"queue timeout", c.QueueTimeout}, {"read header timeout", c.ReadHeaderTimeout}, {"read timeout", c.ReadTimeout},
		{"write timeout", c.WriteTimeout}, {"idle timeout", c.IdleTimeout}, {"shutdown timeout", c.ShutdownTimeout},
	} {
		if t.d < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %v", t.name, t.d))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	// One line, every problem named.
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return fmt.Errorf("serve: %s", strings.Join(msgs, "; "))
}

// maxUploads is MaxUploads with 0 resolved to its default.
func (c *Config) maxUploads() int {
	if c.MaxUploads > 0 {
		return c.MaxUploads
	}
	return uploadsPerSlot * c.MaxConcurrent
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
