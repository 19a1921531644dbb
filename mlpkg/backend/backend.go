// Package backend is the one place that decides which GoMLX backend the
// project runs on: pure Go ("go"), XLA on the CPU ("xla:cpu") or XLA on an
// NVIDIA GPU ("xla:cuda").
//
// The choice comes from, in this order: the spec given to New (usually the
// --backend flag, see RegisterFlag), $GOMLX_BACKEND, and otherwise the fastest
// backend that is actually installed: xla:cuda when a CUDA PJRT plugin and an
// NVIDIA GPU are present, else xla:cpu when the CPU PJRT plugin is found,
// else go. New logs the choice and Name gives the name to record in logs and
// checkpoint metadata.
//
// PJRT plugins are looked up by this package, not by go-xla's own search, so
// that the project-local install of kernel_setup/pjrt_cpu.sh
// (<repo>/.tools/pjrt) is found without environment variables. Directories
// searched, in order: $ANIMALCNN_PJRT_DIR (":"-separated), <repo>/.tools/pjrt,
// $PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla and /usr/local/lib/go-xla
// (each also with its nvidia/ subdirectory; the variables' relative
// directories are skipped, as they would depend on the working directory). The plugin found is handed to
// GoMLX by absolute path.
//
// Nothing is downloaded at run time: New turns GoMLX's automatic plugin
// installation off (GOMLX_NO_AUTO_INSTALL semantics) unless
// $ANIMALCNN_AUTO_INSTALL is set to 1, in which case an explicit xla request
// whose plugin is missing lets GoMLX's installer try. Asking for a backend
// that is not installed returns a *NotAvailableError that lists what is
// available and how to install the rest.
//
// Creating an xla backend on Linux also raises the C allocator's mmap and trim
// thresholds for the whole process, so that XLA's large per-step buffers are
// reused instead of being mapped and zeroed again on every step (see
// malloc_linux.go). Every program that links this package (cgo builds on
// Linux: the CLI, the notebooks' cells) also gets one malloc arena for all
// its threads, set by a C constructor when it starts, whether it uses XLA or
// not; Go's own memory is not affected, and ANIMALCNN_MALLOC_ARENAS=default
// keeps glibc's default. Creating xla:cuda points XLA at a persistent autotuning
// cache, so that compiling the same model again on the same GPU model is fast
// ($ANIMALCNN_XLA_CACHE, default <user cache dir>/animalcnn/xla-autotune; "off"
// for none).
//
// The xla backend needs cgo; a binary built with CGO_ENABLED=0 or the noxla
// build tag has the pure-Go backend only, and says so when xla is requested.
package backend

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // registers "go"
)

// Canonical backend names, as accepted by New and returned by Name.
const (
	// Go is GoMLX's pure-Go backend (simplego): always available, slowest.
	Go = "go"
	// XLACPU is XLA on the CPU through the PJRT CPU plugin.
	XLACPU = "xla:cpu"
	// XLACUDA is XLA on an NVIDIA GPU through the PJRT CUDA plugin.
	XLACUDA = "xla:cuda"
)

// Environment variables read by this package.
const (
	// EnvBackend is GoMLX's own variable: the backend when no spec is given.
	EnvBackend = "GOMLX_BACKEND"
	// EnvNoAutoInstall is GoMLX's variable that turns plugin auto-install off;
	// New sets it to 1 unless EnvAutoInstall opts in.
	EnvNoAutoInstall = "GOMLX_NO_AUTO_INSTALL"
	// EnvAutoInstall set to 1 (or true/yes) lets GoMLX download a missing
	// plugin when one is asked for explicitly.
	EnvAutoInstall = "ANIMALCNN_AUTO_INSTALL"
	// EnvPJRTDir lists extra absolute directories (":"-separated) searched
	// first for PJRT plugins.
	EnvPJRTDir = "ANIMALCNN_PJRT_DIR"
	// EnvCUDAPlugin is the absolute path of a CUDA PJRT plugin, e.g. JAX's
	// .../site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so; the env
	// file written by kernel_setup/pjrt_cuda.sh sets it.
	EnvCUDAPlugin = "ANIMALCNN_CUDA_PLUGIN"
	// EnvXLACache is the directory of XLA's persistent GPU autotuning cache,
	// or "off" for none. Default:
	// <user cache dir>/animalcnn/xla-autotune.
	EnvXLACache = "ANIMALCNN_XLA_CACHE"
	// envPJRTLibraryPath is go-xla's plugin search path variable.
	envPJRTLibraryPath = "PJRT_PLUGIN_LIBRARY_PATH"
)

// Install commands, relative to the repository root.
const (
	installCPU  = "kernel_setup/pjrt_cpu.sh"
	installCUDA = "kernel_setup/pjrt_cuda.sh"
	// cudaEnvFile is written by kernel_setup/pjrt_cuda.sh and must be sourced
	// before the program starts (it sets LD_LIBRARY_PATH).
	cudaEnvFile = ".tools/cuda/env.sh"
	// localPJRTDir is where kernel_setup/pjrt_cpu.sh installs by default.
	localPJRTDir = ".tools/pjrt"
	// modulePath identifies the repository root's go.mod.
	modulePath = "github.com/animalcnn/animalcnn"
)

// ErrNotAvailable is matched (errors.Is) by every *NotAvailableError.
var ErrNotAvailable = errors.New("backend not available")

// ErrUnknownBackend is matched (errors.Is) by a *NotAvailableError for a
// name that is no backend at all (a typo), rather than one not installed.
var ErrUnknownBackend = errors.New("unknown backend")

// Info describes one backend on this machine.
type Info struct {
	// Name is the canonical name: Go, XLACPU or XLACUDA.
	Name string `json:"name"`
	// Installed tells whether New can create it here.
	Installed bool `json:"installed"`
	// Path is the PJRT plugin file for the xla backends, when found.
	Path string `json:"path,omitempty"`
	// Note says why it is not installed, or a detail about it.
	Note string `json:"note,omitempty"`
	// Install is how to install it (empty for Go).
	Install string `json:"install,omitempty"`
}

// Details describes the backend in one line, for listings: its plugin file,
// Note, and, when it is not installed, how to install it ("install: …"),
// joined by "; ".
func (in Info) Details() string {
	parts := []string{in.Path, in.Note}
	if !in.Installed && in.Install != "" {
		parts = append(parts, "install: "+in.Install)
	}
	return strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), "; ")
}

// choice is a resolved backend request: what New passes to GoMLX.
type choice struct {
	// Name is the canonical name (Go, XLACPU, XLACUDA, or "xla:<plugin path>"
	// for another plugin).
	Name string
	// Config is the GoMLX backend configuration, as for backends.NewWithConfig.
	Config string
	// Source is where the request came from: "argument", EnvBackend or "auto".
	Source string
	// PluginPath is the PJRT plugin file for xla backends.
	PluginPath string
}

// NotAvailableError is returned when the requested backend is not installed
// (or not compiled in). Its message lists the available backends and how to
// install the others.
type NotAvailableError struct {
	// Requested is the spec asked for, and From where it came from when not
	// an argument ("$GOMLX_BACKEND").
	Requested, From string
	// Reason says what is missing.
	Reason string
	// Backends is the state of every backend on this machine.
	Backends []Info
	// Unknown is set when Requested names no backend at all.
	Unknown bool
}

// Error implements error, in one line.
func (e *NotAvailableError) Error() string {
	var avail, install []string
	for _, in := range e.Backends {
		if in.Installed {
			avail = append(avail, in.Name)
		} else if in.Install != "" {
			install = append(install, in.Name+": "+in.Install)
		}
	}
	from := ""
	if e.From != "" {
		from = " (from " + e.From + ")"
	}
	msg := fmt.Sprintf("backend %q%s is not available: %s; available: %s", e.Requested, from, e.Reason, strings.Join(avail, ", "))
	if len(install) > 0 {
		msg += "; to install the others: " + strings.Join(install, "; ")
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrNotAvailable) true, and, when Unknown,
// errors.Is(err, ErrUnknownBackend).
func (e *NotAvailableError) Unwrap() []error {
	if e.Unknown {
		return []error{ErrNotAvailable, ErrUnknownBackend}
	}
	return []error{ErrNotAvailable}
}

// RegisterFlag defines the --backend flag on fs (flag.CommandLine when nil)
// and returns its value, to pass to New.
func RegisterFlag(fs *flag.FlagSet) *string {
	if fs == nil {
		fs = flag.CommandLine
	}
	return fs.String("backend", "", `GoMLX backend: "go" (pure Go), "xla:cpu", "xla:cuda", "xla" (the fastest XLA one installed) or a PJRT plugin file; `+
		`empty: $GOMLX_BACKEND, else the fastest installed`)
}

// New creates the backend for spec: Go, XLACPU, XLACUDA, "xla" (the best
// xla one installed), "go:<options>", "xla:<plugin name>", a plugin file path
// or "xla:<plugin path>", the last three optionally followed by ",options"
// (a path keeps its case: "xla:Mine.so,tf32"). An empty spec means
// $GOMLX_BACKEND, else the fastest installed backend; in that automatic case
// a backend that fails to start is logged and the next one is tried. The
// choice is logged with slog, and Name(b) returns it.
//
// New is meant for start-up. It changes process-wide state: it sets
// GOMLX_NO_AUTO_INSTALL (see EnvAutoInstall) and, for CUDA, XLA's flags in
// the environment, and while it creates an XLA backend it points os.Stdout
// at the null device (go-xla prints there), so it must not run while other
// goroutines write to os.Stdout.
func New(spec string) (backends.Backend, error) {
	configureAutoInstall()
	e := currentEnv()
	choices, err := e.resolve(spec)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, c := range choices {
		b, err := create(c)
		if err == nil {
			remember(b, c.Name)
			slog.Info("GoMLX backend", "backend", c.Name, "source", c.Source, "plugin", c.PluginPath,
				"description", b.Description())
			return b, nil
		}
		if c.Source != "auto" {
			return nil, err
		}
		slog.Warn("GoMLX backend failed to start, trying the next one", "backend", c.Name, "error", err)
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("create GoMLX backend: %w", errors.Join(errs...))
}

// Available lists every backend, fastest first (XLACUDA, XLACPU, Go), and
// whether it is installed here, with the plugin path or how to install it.
func Available() []Info { return currentEnv().available() }

// Default returns the name of the backend New("") picks now: "" when
// $GOMLX_BACKEND names one that is unknown or not installed.
func Default() string {
	choices, err := currentEnv().resolve("")
	if err != nil {
		return ""
	}
	return choices[0].Name
}

// Name returns the canonical name of b for logs and checkpoint metadata:
// Go, XLACPU, XLACUDA, or "xla:<plugin path>" for another plugin.
func Name(b backends.Backend) string {
	if b == nil {
		return ""
	}
	if n, ok := backendNames.Load(b); ok {
		return n.(string)
	}
	switch {
	case b.Name() == Go:
		return Go
	case isXLA(b.Name()):
		// The xla backend describes itself as "xla:<plugin> - PJRT ...".
		d, _, _ := strings.Cut(b.Description(), " - ")
		plugin, _ := strings.CutPrefix(d, "xla:")
		plugin, _, _ = strings.Cut(plugin, ",")
		return canonicalXLAName(plugin)
	}
	return b.Name()
}

// isXLA tells whether name is GoMLX's xla backend: it registers itself under
// "xla" and the aliases "stablehlo", "shlo" and "hlo".
func isXLA(name string) bool {
	switch name {
	case "xla", "stablehlo", "shlo", "hlo":
		return true
	}
	return false
}

// backendNames remembers the canonical name of each backend New created.
var backendNames sync.Map // backends.Backend -> string

func remember(b backends.Backend, name string) { backendNames.Store(b, name) }

// canonicalXLAName maps a plugin name or file to XLACPU/XLACUDA when it is
// one of the known ones, else "xla:<plugin>".
func canonicalXLAName(plugin string) string {
	switch base := filepath.Base(plugin); {
	case plugin == "cpu" || base == "pjrt_c_api_cpu_plugin.so":
		return XLACPU
	case plugin == "cuda" || base == "pjrt_c_api_cuda_plugin.so" || base == "xla_cuda_plugin.so":
		return XLACUDA
	}
	return "xla:" + plugin
}

// create makes the backend of c, turning GoMLX panics into errors.
func create(c choice) (b backends.Backend, err error) {
	if name, _, _ := strings.Cut(c.Config, ":"); isXLA(name) {
		keepXLABuffersMapped()
		if c.Name == XLACUDA {
			prepareCUDA()
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("create GoMLX backend %s: %v", c.Name, r)
		}
	}()
	if c.Name == Go {
		// The pure-Go backend prints its parallelism setting to standard
		// output, which is the CLI's data channel (predict -json). Deferred,
		// so that a panic (recovered above) restores it too.
		defer silenceStdout()()
	}
	b, err = backends.NewWithConfig(c.Config)
	if err != nil {
		what := c.Name
		if c.Config != c.Name {
			what += " (" + c.Config + ")"
		}
		err = fmt.Errorf("create GoMLX backend %s: %w", what, err)
		if c.Name == XLACUDA {
			err = fmt.Errorf("%w (if NVIDIA libraries are missing, source %s before starting the program; see %s)",
				err, cudaEnvFile, installCUDA)
		}
	}
	return b, err
}

// silenceStdout points os.Stdout at the null device until the returned
// function is called. Only for the moment of creating a backend, at start-up:
// output another goroutine writes to os.Stdout meanwhile is lost (and
// New must not run while other goroutines use os.Stdout).
func silenceStdout() (restore func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return func() {}
	}
	saved := os.Stdout
	os.Stdout = null
	return func() {
		os.Stdout = saved
		null.Close()
	}
}

// configureAutoInstall applies GOMLX_NO_AUTO_INSTALL semantics unless the
// user opted in with ANIMALCNN_AUTO_INSTALL.
func configureAutoInstall() {
	if autoInstallOptIn(os.Getenv) {
		setXLAAutoInstall(true)
		return
	}
	_ = os.Setenv(EnvNoAutoInstall, "1")
	setXLAAutoInstall(false)
}

func autoInstallOptIn(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv(EnvAutoInstall))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
