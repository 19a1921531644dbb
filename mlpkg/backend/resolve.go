package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

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
func hasNvidiaGPU() bool { return nvidiaDeviceIn("/dev") }

// nvidiaDeviceIn tells whether dev holds a GPU device node, nvidia0,
// nvidia1, …: nvidiactl and nvidia-uvm exist without a GPU too.
func nvidiaDeviceIn(dev string) bool {
	m, _ := filepath.Glob(filepath.Join(dev, "nvidia[0-9]*"))
	return len(m) > 0
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
	if e.repoRoot == "" {
		// Run outside the repository, this program does not search its
		// .tools/pjrt: the plugin goes to ~/.local/lib/go-xla instead.
		cpu.Install += " --user (from the animalcnn repository)"
	}
	cuda := Info{Name: XLACUDA, Install: e.installHint(installCUDA) + " on a machine with an NVIDIA GPU, then source " + e.repoPath(cudaEnvFile)}
	if !e.hasXLA {
		// What is missing is in the binary: a plugin already installed is
		// not installed again.
		note := "this binary was built without XLA (CGO_ENABLED=0, no C compiler, or the noxla tag)"
		rebuild := "rebuild the binary with cgo (a C compiler such as gcc, CGO_ENABLED unset or 1)"
		cpu.Note, cuda.Note = note, note
		if e.findPlugin("cpu") == "" {
			cpu.Install = rebuild + ", and install the plugin: " + cpu.Install
		} else {
			cpu.Install = rebuild
		}
		if e.findCUDAPlugin() == "" {
			cuda.Install = rebuild + ", and install the plugin: " + cuda.Install
		} else {
			cuda.Install = rebuild
		}
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
	// "XLA:CPU" is xla:cpu; a path keeps its case, options after it too
	// ("xla:Mine.so,tf32").
	if head, _, _ := strings.Cut(spec, ","); !isPluginPath(head) {
		spec = strings.ToLower(spec)
	}
	name, config, _ := strings.Cut(spec, ":")
	// A bare plugin path, with or without options.
	if file, _, _ := strings.Cut(name, ","); isPluginPath(file) {
		name, config = "xla", spec
	}
	switch {
	case name == Go:
		return []choice{{Name: Go, Config: goSpec(config), Source: source}}, nil
	case !isXLA(name):
		err := e.notAvailable(spec, fmt.Sprintf("unknown backend %q (known: go, xla:cpu, xla:cuda, xla for the fastest XLA one, or a PJRT plugin path)", name))
		err.Unknown = true
		return nil, err
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
	case isPluginPath(plugin):
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

// isPluginPath reports whether s names a PJRT plugin file rather than a
// backend or plugin name: it ends in ".so" or holds a "/".
func isPluginPath(s string) bool { return strings.HasSuffix(s, ".so") || strings.Contains(s, "/") }

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

func (e *env) notAvailable(spec, reason string) *NotAvailableError {
	return &NotAvailableError{Requested: spec, Reason: reason, Backends: e.available()}
}
