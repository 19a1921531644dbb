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
// (each also with its nvidia/ subdirectory). The plugin found is handed to
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
// malloc_linux.go). Creating xla:cuda points XLA at a persistent autotuning
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
	// EnvPJRTDir lists extra directories (":"-separated) searched first for
	// PJRT plugins.
	EnvPJRTDir = "ANIMALCNN_PJRT_DIR"
	// EnvCUDAPlugin is the absolute path of a CUDA PJRT plugin, e.g. JAX's
	// .../site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so; the env
	// file written by kernel_setup/pjrt_cuda.sh sets it.
	EnvCUDAPlugin = "ANIMALCNN_CUDA_PLUGIN"
	// EnvXLACache is the directory of XLA's persistent GPU autotuning cache
	// (see autotuneCacheDir), or "off" for none. Default:
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

// Unwrap makes errors.Is(err, ErrNotAvailable) true.
func (e *NotAvailableError) Unwrap() error { return ErrNotAvailable }

// RegisterFlag defines the --backend flag on fs (flag.CommandLine when nil)
// and returns its value, to pass to New.
func RegisterFlag(fs *flag.FlagSet) *string {
	if fs == nil {
		fs = flag.CommandLine
	}
	return fs.String("backend", "", `GoMLX backend: "go" (pure Go), "xla:cpu", "xla:cuda" or a PJRT plugin file; `+
		`empty: $GOMLX_BACKEND, else the fastest installed`)
}

// New creates the backend for spec: Go, XLACPU, XLACUDA, "xla" (the best
// xla one installed), "go:<options>", "xla:<plugin name>", a plugin file path
// or "xla:<plugin path>[,options]". An empty spec means $GOMLX_BACKEND, else
// the fastest installed backend; in that automatic case a backend that fails
// to start is logged and the next one is tried. The choice is logged with
// slog, and Name(b) returns it.
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

// Available lists every backend (Go, XLACPU, XLACUDA) and whether it is
// installed here, with the plugin path or how to install it.
func Available() []Info { return currentEnv().available() }

// Default returns the name of the backend New("") picks now.
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

// goSpec is the pure-Go backend's configuration for the options asked for
// ("" for none): parallelism=-1 unless they set a parallelism. GoMLX
// v0.26.0's pure-Go backend runs graph operations in a pool of 2×NumCPU
// goroutines, and an operation running in the pool (a matrix product, some
// element-wise ops) waits for pool slots for its own parts: on a 2-core
// machine, four such operations at once fill the pool and wait for each
// other forever (seen in about one training run in five). parallelism=-1
// makes the pool unbounded (goroutines still share GOMAXPROCS threads),
// which cannot deadlock and measured the same speed and memory;
// ops_sequential cannot deadlock either but is 30 % slower.
func goSpec(options string) string {
	var opts []string
	for _, o := range strings.Split(options, ",") {
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
	}
	if !slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "parallelism=") }) {
		opts = append([]string{"parallelism=-1"}, opts...)
	}
	return "go:" + strings.Join(opts, ",")
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
		err = fmt.Errorf("create GoMLX backend %s (%s): %w", c.Name, c.Config, err)
		if c.Name == XLACUDA {
			err = fmt.Errorf("%w (if NVIDIA libraries are missing, source %s before starting the program; see %s)",
				err, cudaEnvFile, installCUDA)
		}
	}
	return b, err
}

// silenceStdout points os.Stdout at the null device until the returned
// function is called. Only for the moment of creating a backend, at start-up.
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

// prepareCUDA turns go-xla's CUDA "driver check" off, unless the user set
// it, and gives XLA a persistent autotuning cache (see autotuneCacheDir).
//
// The check (cudaPluginCheckDrivers in go-xla v0.1.4's pjrt/cuda_linux.go)
// runs when a CUDA plugin loads: when it finds nvidia/ next to the plugin,
// it points XLA's CUDA directory (--xla_gpu_cuda_data_dir in XLA_FLAGS) at
// a path hard-coded in go-xla, its author's home directory; when it does
// not, it logs a long warning. go-xla reads GOPJRT_CUDA_CHECKS; its warning
// tells users to set GOPJR_CUDA_CHECKS instead, a misspelling in go-xla.
// Both are set on purpose (the second is not a typo here): the name that
// has an effect, and the one a user following the warning would look for.
func prepareCUDA() {
	for _, v := range []string{"GOPJRT_CUDA_CHECKS", "GOPJR_CUDA_CHECKS"} {
		if _, ok := os.LookupEnv(v); !ok {
			_ = os.Setenv(v, "0")
		}
	}
	dir := autotuneCacheDir(os.Getenv)
	if dir == "" {
		return
	}
	if strings.ContainsAny(dir, " \t\n\"'") {
		// XLA_FLAGS is split at spaces.
		slog.Warn("no XLA autotuning cache: its path has spaces or quotes; set "+EnvXLACache, "dir", dir)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		slog.Warn("no XLA autotuning cache", "error", err)
		return
	}
	flags := withAutotuneCache(os.Getenv(envXLAFlags), dir)
	_ = os.Setenv(envXLAFlags, flags)
	slog.Info("XLA autotuning cache", "dir", dir, "XLA_FLAGS", flags)
}

// envXLAFlags holds XLA's own options; XLA reads it once per process, at its
// first compilation (so the cache applies when xla:cuda is the first XLA
// backend the process compiles on).
const envXLAFlags = "XLA_FLAGS"

// autotuneCacheFlag names a directory where XLA on GPU keeps the results of
// autotuning (the timing of alternative kernels for each fusion and matrix
// product) across processes, as JAX's persistent cache does by default: a
// later compilation of the same graph on the same GPU model skips that
// search, which can dominate a cold compilation. XLA aborts on unknown
// flags, so a test checks that the pinned XLA knows this one.
const autotuneCacheFlag = "--xla_gpu_per_fusion_autotune_cache_dir"

// autotuneCacheDir returns the autotuning cache directory: $ANIMALCNN_XLA_CACHE
// (made absolute), nothing when that is "off", else
// <user cache dir>/animalcnn/xla-autotune.
func autotuneCacheDir(getenv func(string) string) string {
	v := strings.TrimSpace(getenv(EnvXLACache))
	switch strings.ToLower(v) {
	case "off", "none", "0", "false", "no":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(base, "animalcnn", "xla-autotune")
	}
	if abs, err := filepath.Abs(v); err == nil {
		return abs
	}
	return v
}

// withAutotuneCache adds the autotuning cache flag for dir to XLA_FLAGS'
// value flags, unless flags already sets one (the user's choice wins).
func withAutotuneCache(flags, dir string) string {
	if strings.Contains(flags, autotuneCacheFlag+"=") {
		return flags
	}
	return strings.TrimSpace(flags + " " + autotuneCacheFlag + "=" + dir)
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

// env is everything selection depends on, so tests can fake it.
type env struct {
	getenv   func(string) string
	repoRoot string // "" when not inside the repository
	hasGPU   bool
	hasXLA   bool // compiled in (cgo and not noxla)
	// systemDirs are searched after the configured ones (go-xla's defaults).
	systemDirs []string
}

func currentEnv() *env {
	home, _ := os.UserHomeDir()
	e := &env{
		getenv:   os.Getenv,
		repoRoot: findRepoRoot(),
		hasGPU:   hasNvidiaGPU(),
		hasXLA:   xlaCompiledIn,
	}
	if home != "" {
		e.systemDirs = append(e.systemDirs, filepath.Join(home, ".local", "lib", "go-xla"))
	}
	e.systemDirs = append(e.systemDirs, "/usr/local/lib/go-xla")
	return e
}

// hasNvidiaGPU tells whether an NVIDIA device node exists (as go-xla checks).
func hasNvidiaGPU() bool {
	m, _ := filepath.Glob("/dev/nvidia[0-9]*")
	return len(m) > 0
}

// findRepoRoot returns the directory of the project's go.mod, searching up
// from the working directory and then from the executable's directory.
func findRepoRoot() string {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, d := range starts {
		for {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
				for line := range strings.Lines(string(b)) {
					if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && f[1] == modulePath {
						return d
					}
				}
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return ""
}

// pluginDirs returns the directories searched for PJRT plugins, in order.
func (e *env) pluginDirs() []string {
	var dirs []string
	add := func(list string) {
		for d := range strings.SplitSeq(list, ":") {
			if d != "" && filepath.IsAbs(d) && !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	add(e.getenv(EnvPJRTDir))
	if e.repoRoot != "" {
		add(filepath.Join(e.repoRoot, localPJRTDir))
	}
	add(e.getenv(envPJRTLibraryPath))
	for _, d := range e.systemDirs {
		add(d)
	}
	return dirs
}

// findPlugin searches the plugin directories (and their nvidia/
// subdirectories) for the PJRT plugin called name.
func (e *env) findPlugin(name string) string {
	for _, d := range e.pluginDirs() {
		for _, dir := range []string{d, filepath.Join(d, "nvidia")} {
			for _, f := range []string{"pjrt_c_api_" + name + "_plugin.so", "pjrt-plugin-" + name + ".so", "pjrt_plugin_" + name + ".so"} {
				p := filepath.Join(dir, f)
				if isFile(p) {
					return p
				}
			}
		}
	}
	return ""
}

// findCUDAPlugin returns the CUDA PJRT plugin: $ANIMALCNN_CUDA_PLUGIN, a
// pjrt_c_api_cuda_plugin.so in the plugin directories, or JAX's plugin in the
// virtual environment kernel_setup/pjrt_cuda.sh makes.
func (e *env) findCUDAPlugin() string {
	if p := e.getenv(EnvCUDAPlugin); p != "" {
		if isFile(p) {
			return p
		}
		return ""
	}
	if p := e.findPlugin("cuda"); p != "" {
		return p
	}
	if e.repoRoot != "" {
		for _, cu := range []string{"xla_cuda13", "xla_cuda12"} {
			m, _ := filepath.Glob(filepath.Join(e.repoRoot, ".tools", "cuda", "venv", "lib", "python3*", "site-packages", "jax_plugins", cu, "xla_cuda_plugin.so"))
			if len(m) > 0 {
				return m[0]
			}
		}
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// repoPath returns rel under the repository root when it is known, else rel
// as it is (relative to the animalcnn repository).
func (e *env) repoPath(rel string) string {
	if e.repoRoot != "" {
		return filepath.Join(e.repoRoot, rel)
	}
	return rel
}

// installHint returns the command that installs with script.
func (e *env) installHint(script string) string { return "bash " + e.repoPath(script) }

func (e *env) available() []Info {
	goInfo := Info{Name: Go, Installed: true, Note: "pure Go (simplego), always available"}
	cpu := Info{Name: XLACPU, Install: e.installHint(installCPU)}
	cuda := Info{Name: XLACUDA, Install: e.installHint(installCUDA) + " on a machine with an NVIDIA GPU, then source " + e.repoPath(cudaEnvFile)}
	if !e.hasXLA {
		note := "this binary was built without XLA (CGO_ENABLED=0 or the noxla tag); rebuild with cgo"
		cpu.Note, cuda.Note = note, note
		return []Info{cuda, cpu, goInfo}
	}
	if p := e.findPlugin("cpu"); p != "" {
		cpu.Installed, cpu.Path, cpu.Install = true, p, ""
	} else {
		cpu.Note = "no pjrt_c_api_cpu_plugin.so in " + strings.Join(e.pluginDirs(), ", ")
	}
	p := e.findCUDAPlugin()
	switch {
	case p == "":
		cuda.Note = "no CUDA PJRT plugin found"
		if v := e.getenv(EnvCUDAPlugin); v != "" {
			cuda.Note = fmt.Sprintf("$%s=%s is not a file", EnvCUDAPlugin, v)
		}
	case !e.hasGPU:
		cuda.Path, cuda.Note, cuda.Install = p, "plugin found but no NVIDIA GPU (/dev/nvidia*)", ""
	default:
		cuda.Installed, cuda.Path, cuda.Install = true, p, ""
		if !strings.Contains(e.getenv("LD_LIBRARY_PATH"), "nvidia") {
			cuda.Note = "LD_LIBRARY_PATH has no nvidia/ libraries: source " + cudaEnvFile + " if it fails to start"
		}
	}
	// Fastest first.
	return []Info{cuda, cpu, goInfo}
}

// resolve turns a spec into the choices New tries in order (one unless the
// spec was automatic).
func (e *env) resolve(spec string) (_ []choice, err error) {
	source := "argument"
	spec = strings.TrimSpace(spec)
	if spec == "" {
		spec = strings.TrimSpace(e.getenv(EnvBackend))
		source = EnvBackend
		defer func() {
			if na, ok := errors.AsType[*NotAvailableError](err); ok {
				na.From = "$" + EnvBackend // say where a bad spec came from
			}
		}()
	}
	if spec == "" || spec == "auto" {
		return e.auto(), nil
	}
	name, config, _ := strings.Cut(spec, ":")
	// A bare plugin path.
	if strings.HasSuffix(name, ".so") || strings.Contains(name, "/") {
		name, config = "xla", spec
	}
	switch {
	case name == Go:
		return []choice{{Name: Go, Config: goSpec(config), Source: source}}, nil
	case !isXLA(name):
		return nil, e.notAvailable(spec, fmt.Sprintf("unknown backend %q (known: go, xla:cpu, xla:cuda, or a PJRT plugin path)", name))
	}
	if !e.hasXLA {
		return nil, e.notAvailable(spec, "this binary was built without XLA (CGO_ENABLED=0 or the noxla tag)")
	}
	plugin, opts, _ := strings.Cut(config, ",")
	switch {
	case plugin == "":
		// Best xla backend installed.
		for _, c := range e.auto() {
			if c.Name != Go {
				c.Source = source
				return []choice{c}, nil
			}
		}
		return nil, e.notAvailable(spec, "no PJRT plugin installed")
	case strings.HasSuffix(plugin, ".so") || strings.Contains(plugin, "/"):
		abs, err := filepath.Abs(plugin)
		if err != nil {
			return nil, fmt.Errorf("backend %q: %w", spec, err)
		}
		if !isFile(abs) {
			return nil, e.notAvailable(spec, "plugin file "+abs+" not found")
		}
		return []choice{xlaChoice(canonicalXLAName(abs), abs, opts, source)}, nil
	case plugin == "cuda":
		p := e.findCUDAPlugin()
		switch {
		case p == "" && e.autoInstall():
			return []choice{{Name: XLACUDA, Config: "xla:cuda", Source: source}}, nil
		case p == "":
			return nil, e.notAvailable(spec, "no CUDA PJRT plugin found (pjrt_c_api_cuda_plugin.so in "+strings.Join(e.pluginDirs(), ", ")+
				", $"+EnvCUDAPlugin+", or JAX's in .tools/cuda/venv)")
		case !e.hasGPU:
			return nil, e.notAvailable(spec, "CUDA plugin "+p+" found but no NVIDIA GPU (/dev/nvidia*)")
		}
		return []choice{xlaChoice(XLACUDA, p, opts, source)}, nil
	default:
		p := e.findPlugin(plugin)
		if p == "" {
			if e.autoInstall() {
				return []choice{{Name: canonicalXLAName(plugin), Config: "xla:" + config, Source: source}}, nil
			}
			return nil, e.notAvailable(spec, fmt.Sprintf("no PJRT plugin %q (pjrt_c_api_%s_plugin.so) in %s", plugin, plugin, strings.Join(e.pluginDirs(), ", ")))
		}
		return []choice{xlaChoice(canonicalXLAName(plugin), p, opts, source)}, nil
	}
}

func (e *env) autoInstall() bool { return autoInstallOptIn(e.getenv) }

// auto lists the installed backends, fastest first; Go is always last.
func (e *env) auto() []choice {
	var cs []choice
	for _, in := range e.available() {
		if !in.Installed {
			continue
		}
		if in.Name == Go {
			cs = append(cs, choice{Name: Go, Config: goSpec(""), Source: "auto"})
			continue
		}
		cs = append(cs, xlaChoice(in.Name, in.Path, "", "auto"))
	}
	return cs
}

// xlaChoice builds the GoMLX configuration for a plugin file. The CPU plugin
// gets "shared_buffers", which GoMLX enables by itself only for a plugin
// named "cpu", not for one given by path.
func xlaChoice(name, path, opts, source string) choice {
	config := "xla:" + path
	if name == XLACPU && !strings.Contains(opts, "shared_buffers") {
		opts = strings.TrimPrefix(opts+",shared_buffers", ",")
	}
	if opts != "" {
		config += "," + opts
	}
	return choice{Name: name, Config: config, Source: source, PluginPath: path}
}

func (e *env) notAvailable(spec, reason string) error {
	return &NotAvailableError{Requested: spec, Reason: reason, Backends: e.available()}
}
