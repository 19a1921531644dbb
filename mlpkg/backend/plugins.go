package backend

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

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
		if abs, err := filepath.Abs(p); err == nil && isFile(abs) {
			return abs // GoMLX takes a relative path for a plugin name to search for
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
