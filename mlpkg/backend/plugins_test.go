package backend

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The search path: $ANIMALCNN_PJRT_DIR, the project's .tools/pjrt,
// $PJRT_PLUGIN_LIBRARY_PATH, then the system directories; absolute
// directories only (a relative one would depend on the working directory),
// each once.
func TestPluginDirs(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	e := fakeEnv(t, map[string]string{
		EnvPJRTDir:         "relative/dir:" + a + "::" + a,
		envPJRTLibraryPath: b + ":" + a + ":.",
	})
	e.systemDirs = []string{c, b}
	want := []string{a, filepath.Join(e.repoRoot, localPJRTDir), b, c}
	if got := e.pluginDirs(); !slices.Equal(got, want) {
		t.Errorf("pluginDirs() = %q, want %q", got, want)
	}
	// A plugin in the last of them is found.
	p := touch(t, filepath.Join(c, "pjrt_c_api_cpu_plugin.so"))
	if got := e.findPlugin("cpu"); got != p {
		t.Errorf("plugin in a system directory: found %q, want %q", got, p)
	}
	// $PJRT_PLUGIN_LIBRARY_PATH comes before it.
	p = touch(t, filepath.Join(b, "pjrt_c_api_cpu_plugin.so"))
	if got := e.findPlugin("cpu"); got != p {
		t.Errorf("plugin in $%s: found %q, want %q", envPJRTLibraryPath, got, p)
	}
}

// currentEnv searches go-xla's own install directories last.
func TestSystemPluginDirs(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	e := currentEnv()
	if want := []string{filepath.Join(home, ".local", "lib", "go-xla"), "/usr/local/lib/go-xla"}; !slices.Equal(e.systemDirs, want) {
		t.Errorf("system plugin directories %q, want %q", e.systemDirs, want)
	}
}

// The names go-xla's plugins go by, in a directory or its nvidia/
// subdirectory; a directory of that name is not a plugin.
func TestPluginFileNames(t *testing.T) {
	for _, rel := range []string{"pjrt_c_api_cpu_plugin.so", "pjrt-plugin-cpu.so", "pjrt_plugin_cpu.so", filepath.Join("nvidia", "pjrt_c_api_cpu_plugin.so")} {
		dir := t.TempDir()
		e := fakeEnv(t, map[string]string{EnvPJRTDir: dir})
		p := touch(t, filepath.Join(dir, rel))
		if got := e.findPlugin("cpu"); got != p {
			t.Errorf("plugin %s: found %q", rel, got)
		}
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := fakeEnv(t, map[string]string{EnvPJRTDir: dir}).findPlugin("cpu"); got != "" {
		t.Errorf("a directory named like a plugin was found: %q", got)
	}
}

func TestFindCUDAPlugin(t *testing.T) {
	dir := t.TempDir()
	e := fakeEnv(t, map[string]string{EnvPJRTDir: dir})
	inDir := touch(t, filepath.Join(dir, "nvidia", "pjrt_c_api_cuda_plugin.so"))
	if got := e.findCUDAPlugin(); got != inDir {
		t.Errorf("CUDA plugin in the plugin directories: found %q, want %q", got, inDir)
	}
	// JAX's plugin in the project's virtual environment, CUDA 13 first.
	e = fakeEnv(t, nil)
	venv := filepath.Join(e.repoRoot, ".tools", "cuda", "venv", "lib", "python3.12", "site-packages", "jax_plugins")
	cuda12 := touch(t, filepath.Join(venv, "xla_cuda12", "xla_cuda_plugin.so"))
	if got := e.findCUDAPlugin(); got != cuda12 {
		t.Errorf("JAX's CUDA 12 plugin: found %q, want %q", got, cuda12)
	}
	cuda13 := touch(t, filepath.Join(venv, "xla_cuda13", "xla_cuda_plugin.so"))
	if got := e.findCUDAPlugin(); got != cuda13 {
		t.Errorf("JAX's CUDA 12 and 13 plugins: found %q, want CUDA 13's %q", got, cuda13)
	}
	// $ANIMALCNN_CUDA_PLUGIN decides alone: naming a missing file finds
	// nothing, rather than another plugin than the one asked for.
	e.getenv = func(k string) string {
		if k == EnvCUDAPlugin {
			return filepath.Join(dir, "missing.so")
		}
		return ""
	}
	if got := e.findCUDAPlugin(); got != "" {
		t.Errorf("$%s naming a missing file: found %q, want none", EnvCUDAPlugin, got)
	}
}

func TestFindRepoRoot(t *testing.T) {
	// The tests run in mlpkg/backend.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := findRepoRoot(), filepath.Dir(filepath.Dir(wd)); got != want {
		t.Errorf("findRepoRoot() = %q, want %q", got, want)
	}
	// Another module's go.mod is not the project's.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(other, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	if got := findRepoRoot(); got == other || got == sub {
		t.Errorf("findRepoRoot() in another module = %q", got)
	}
}

// Only GPU device nodes count: nvidiactl and nvidia-uvm exist without one.
func TestNvidiaDevice(t *testing.T) {
	dev := t.TempDir()
	touch(t, filepath.Join(dev, "nvidiactl"))
	touch(t, filepath.Join(dev, "nvidia-uvm"))
	if nvidiaDeviceIn(dev) {
		t.Error("nvidiactl and nvidia-uvm taken for a GPU")
	}
	touch(t, filepath.Join(dev, "nvidia0"))
	if !nvidiaDeviceIn(dev) {
		t.Error("nvidia0 not taken for a GPU")
	}
}
