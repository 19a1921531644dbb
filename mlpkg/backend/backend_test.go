package backend

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/internal/testenv"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// fakeEnv returns an env with no plugins anywhere, XLA compiled in, no GPU
// and the given variables.
func fakeEnv(t *testing.T, vars map[string]string) *env {
	t.Helper()
	return &env{
		getenv:   func(k string) string { return vars[k] },
		repoRoot: t.TempDir(),
		hasXLA:   true,
	}
}

// touch creates an empty file (a stand-in plugin: selection never loads it).
func touch(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func names(cs []choice) []string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return n
}

func TestGoAlwaysAvailable(t *testing.T) {
	e := fakeEnv(t, nil)
	cs, err := e.resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(cs); len(got) != 1 || got[0] != Go || cs[0].Source != "auto" {
		t.Fatalf("auto with no plugins = %v (source %q), want [go] from auto", got, cs[0].Source)
	}
	cs, err = e.resolve("go")
	if err != nil || cs[0].Config != "go:parallelism=-1" || cs[0].Source != "argument" {
		t.Fatalf(`resolve("go") = %+v, %v`, cs, err)
	}
	// Asking for "go" gets the deadlock-free pool, with other options too;
	// an explicit parallelism passes through to simplego.
	for spec, want := range map[string]string{
		"go:parallelism=2":                "go:parallelism=2",
		"go:":                             "go:parallelism=-1",
		"go:dotgeneral_large":             "go:parallelism=-1,dotgeneral_large",
		"go:ops_sequential,parallelism=4": "go:ops_sequential,parallelism=4",
	} {
		cs, err = e.resolve(spec)
		if err != nil || cs[0].Name != Go || cs[0].Config != want {
			t.Errorf("resolve(%q) = %+v, %v; want config %q", spec, cs, err, want)
		}
	}
	e.hasXLA = false
	if cs, err := e.resolve(""); err != nil || names(cs)[0] != Go {
		t.Fatalf("auto without XLA = %v, %v", names(cs), err)
	}
}

func TestEnvVarChoosesBackend(t *testing.T) {
	e := fakeEnv(t, map[string]string{EnvBackend: "go"})
	touch(t, filepath.Join(e.repoRoot, localPJRTDir, "pjrt_c_api_cpu_plugin.so"))
	cs, err := e.resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Name != Go || cs[0].Source != EnvBackend {
		t.Fatalf("GOMLX_BACKEND=go gave %+v", cs)
	}
	// A bad value says where it came from; a bad argument does not.
	bad := fakeEnv(t, map[string]string{EnvBackend: "nonsense"})
	if _, err := bad.resolve(""); err == nil || !strings.Contains(err.Error(), `"nonsense" (from $GOMLX_BACKEND) is not available`) {
		t.Errorf("GOMLX_BACKEND=nonsense: %v", err)
	}
	if _, err := bad.resolve("nonsense"); err == nil || strings.Contains(err.Error(), "GOMLX_BACKEND") {
		t.Errorf("-backend nonsense: %v", err)
	}
	// The argument (the --backend flag) wins over the variable.
	cs, err = e.resolve("xla:cpu")
	if err != nil || cs[0].Name != XLACPU || cs[0].Source != "argument" {
		t.Fatalf(`resolve("xla:cpu") = %+v, %v`, cs, err)
	}
	// In any letter case.
	if cs, err := e.resolve("XLA:CPU"); err != nil || cs[0].Name != XLACPU {
		t.Errorf(`resolve("XLA:CPU") = %+v, %v; want xla:cpu`, cs, err)
	}
}

func TestAutoPicksFastestInstalled(t *testing.T) {
	dir := t.TempDir()
	e := fakeEnv(t, map[string]string{EnvPJRTDir: dir})
	cpu := touch(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"))
	cs, err := e.resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(cs), ","); got != "xla:cpu,go" {
		t.Fatalf("auto with the CPU plugin tries %s, want xla:cpu,go", got)
	}
	if want := "xla:" + cpu + ",shared_buffers"; cs[0].Config != want || cs[0].PluginPath != cpu {
		t.Fatalf("xla:cpu config %q (plugin %q), want %q", cs[0].Config, cs[0].PluginPath, want)
	}

	// A CUDA plugin counts only with a GPU.
	cuda := touch(t, filepath.Join(e.repoRoot, ".tools", "cuda", "venv", "lib", "python3.12", "site-packages", "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so"))
	cs, _ = e.resolve("")
	if got := strings.Join(names(cs), ","); got != "xla:cpu,go" {
		t.Fatalf("auto with a CUDA plugin but no GPU tries %s, want xla:cpu,go", got)
	}
	e.hasGPU = true
	cs, _ = e.resolve("")
	if got := strings.Join(names(cs), ","); got != "xla:cuda,xla:cpu,go" {
		t.Fatalf("auto with GPU tries %s, want xla:cuda,xla:cpu,go", got)
	}
	if cs[0].Config != "xla:"+cuda {
		t.Fatalf("xla:cuda config %q, want xla:%s", cs[0].Config, cuda)
	}
	// "xla" alone is the best xla backend.
	cs, err = e.resolve("xla")
	if err != nil || len(cs) != 1 || cs[0].Name != XLACUDA {
		t.Fatalf(`resolve("xla") = %+v, %v`, cs, err)
	}
}

func TestSearchOrder(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	e := fakeEnv(t, map[string]string{EnvPJRTDir: first, envPJRTLibraryPath: second})
	touch(t, filepath.Join(e.repoRoot, localPJRTDir, "pjrt_c_api_cpu_plugin.so"))
	p2 := touch(t, filepath.Join(second, "pjrt_c_api_cpu_plugin.so"))
	p1 := touch(t, filepath.Join(first, "pjrt_c_api_cpu_plugin.so"))
	if got := e.findPlugin("cpu"); got != p1 {
		t.Fatalf("found %s, want %s ($%s first)", got, p1, EnvPJRTDir)
	}
	os.Remove(p1)
	want := filepath.Join(e.repoRoot, localPJRTDir, "pjrt_c_api_cpu_plugin.so")
	if got := e.findPlugin("cpu"); got != want {
		t.Fatalf("found %s, want the project-local %s", got, want)
	}
	_ = p2
}

func TestMissingPluginError(t *testing.T) {
	e := fakeEnv(t, nil)
	for _, spec := range []string{"xla:cpu", "xla:cuda", "xla"} {
		_, err := e.resolve(spec)
		var na *NotAvailableError
		if !errors.As(err, &na) || !errors.Is(err, ErrNotAvailable) {
			t.Fatalf("resolve(%q) error %v, want a *NotAvailableError", spec, err)
		}
		msg := err.Error()
		for _, want := range []string{`"` + spec + `"`, "available: go", "kernel_setup/pjrt_cpu.sh", "kernel_setup/pjrt_cuda.sh"} {
			if !strings.Contains(msg, want) {
				t.Errorf("resolve(%q) error %q lacks %q", spec, msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("error %q is not one line", msg)
		}
	}
	// Plugin present but no GPU: says so.
	dir := t.TempDir()
	e = fakeEnv(t, map[string]string{EnvCUDAPlugin: touch(t, filepath.Join(dir, "xla_cuda_plugin.so"))})
	if _, err := e.resolve("xla:cuda"); err == nil || !strings.Contains(err.Error(), "no NVIDIA GPU") || errors.Is(err, ErrUnknownBackend) {
		t.Fatalf("xla:cuda without GPU: %v", err)
	}
	// Unknown backends (ErrUnknownBackend too: a typo) and missing files.
	if _, err := e.resolve("tpu"); !errors.Is(err, ErrNotAvailable) || !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), "unknown backend") {
		t.Fatalf("resolve(tpu) = %v", err)
	}
	if _, err := e.resolve("/nonexistent/pjrt_c_api_cpu_plugin.so"); !errors.Is(err, ErrNotAvailable) || errors.Is(err, ErrUnknownBackend) {
		t.Fatalf("missing plugin file: %v", err)
	}
	// Without XLA compiled in.
	e.hasXLA = false
	if _, err := e.resolve("xla:cpu"); err == nil || !strings.Contains(err.Error(), "without XLA") {
		t.Fatalf("xla:cpu without XLA compiled in: %v", err)
	}
}

func TestAutoInstallOptIn(t *testing.T) {
	e := fakeEnv(t, map[string]string{EnvAutoInstall: "1"})
	cs, err := e.resolve("xla:cpu")
	if err != nil || cs[0].Config != "xla:cpu" {
		t.Fatalf("opted-in xla:cpu = %+v, %v; want GoMLX's own lookup (and installer)", cs, err)
	}
	// Auto selection never installs.
	cs, _ = e.resolve("")
	if names(cs)[0] != Go {
		t.Fatalf("auto with opt-in = %v, want go (nothing installed)", names(cs))
	}
}

func TestPluginPathSpec(t *testing.T) {
	dir := t.TempDir()
	e := fakeEnv(t, nil)
	p := touch(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"))
	for _, spec := range []string{p, "xla:" + p} {
		cs, err := e.resolve(spec)
		if err != nil || cs[0].Name != XLACPU || cs[0].PluginPath != p {
			t.Fatalf("resolve(%q) = %+v, %v", spec, cs, err)
		}
	}
	other := touch(t, filepath.Join(dir, "libmine.so"))
	cs, err := e.resolve(other + ",noshared_buffers")
	if err != nil || cs[0].Name != "xla:"+other || cs[0].Config != "xla:"+other+",noshared_buffers" {
		t.Fatalf("resolve(other plugin) = %+v, %v", cs, err)
	}
}

func TestRegisterFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	v := RegisterFlag(fs)
	if err := fs.Parse([]string{"--backend", "xla:cpu"}); err != nil {
		t.Fatal(err)
	}
	if *v != "xla:cpu" {
		t.Fatalf("--backend gave %q", *v)
	}
}

func TestNewGo(t *testing.T) {
	t.Setenv(EnvNoAutoInstall, "")
	t.Setenv(EnvAutoInstall, "")
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if Name(b) != Go {
		t.Fatalf("Name = %q, want go", Name(b))
	}
	if os.Getenv(EnvNoAutoInstall) != "1" {
		t.Fatalf("New did not set %s=1", EnvNoAutoInstall)
	}
	var na *NotAvailableError
	if _, err := New("nosuchbackend"); !errors.As(err, &na) {
		t.Fatalf("New(nosuchbackend) = %v", err)
	}
}

func TestAvailableListsAll(t *testing.T) {
	in := Available()
	if len(in) != 3 || in[0].Name != XLACUDA || in[1].Name != XLACPU || in[2].Name != Go || !in[2].Installed {
		t.Fatalf("Available() = %+v", in)
	}
}

// TestCrossBackend runs a small graph (convolution, max-pool, matmul,
// softmax and a gradient) on every installed xla backend and on go, and
// compares the results. It skips where no PJRT plugin is installed
// (kernel_setup/pjrt_cpu.sh installs the CPU one; kernel_setup/pjrt_cuda.sh
// and its env file the CUDA one).
func TestCrossBackend(t *testing.T) {
	var specs []string
	for _, in := range Available() {
		if in.Installed && in.Name != Go {
			specs = append(specs, in.Name)
		}
	}
	if len(specs) == 0 {
		testenv.SkipMissing(t, "no PJRT plugin installed (run kernel_setup/pjrt_cpu.sh)")
	}
	fn := func(img, kernel, w *Node) (probs, grad *Node) {
		h := Convolve(img, kernel).Strides(1).PadSame().Done()
		h = Max(h, ZerosLike(h))
		h = MaxPool(h).Window(2).Done()
		flat := Reshape(h, h.Shape().Dimensions[0], -1)
		logits := Dot(flat, w)
		probs = Softmax(logits, -1)
		grad = Gradient(ReduceAllSum(Mul(logits, logits)), w)[0]
		return
	}
	fill := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = scale * float32((i*37)%23-11) / 11
		}
		return v
	}
	run := func(spec string) [][]float32 {
		b, err := New(spec)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Finalize()
		if Name(b) != spec {
			t.Fatalf("Name = %q, want %q", Name(b), spec)
		}
		e := MustNewExec(b, fn)
		out := e.MustExec(
			tensors.FromFlatDataAndDimensions(fill(2*6*6*3, 1), 2, 6, 6, 3),
			tensors.FromFlatDataAndDimensions(fill(3*3*3*4, 0.3), 3, 3, 3, 4),
			tensors.FromFlatDataAndDimensions(fill(36*3, 0.2), 36, 3))
		var res [][]float32
		for _, o := range out {
			res = append(res, tensors.MustCopyFlatData[float32](o))
		}
		return res
	}
	goOut := run(Go)
	for _, spec := range specs {
		out := run(spec)
		for i := range goOut {
			for j := range goOut[i] {
				a, b := goOut[i][j], out[i][j]
				if d := math.Abs(float64(a - b)); d > 1e-4*max(1, math.Abs(float64(a))) {
					t.Fatalf("output %d[%d]: go %g, %s %g", i, j, a, spec, b)
				}
			}
		}
		t.Logf("%s matches go on %d outputs", spec, len(goOut))
	}
}

// The pure-Go backend must not print to standard output (the CLI's data
// channel) when it is created.
func TestNewGoPrintsNothing(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	_, err = New(Go)
	os.Stdout = saved
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	if len(out) > 0 {
		t.Errorf("creating the go backend printed %q to stdout", out)
	}
}

func TestAutotuneCacheDir(t *testing.T) {
	get := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvXLACache {
				return v
			}
			return ""
		}
	}
	if d := autotuneCacheDir(get("off")); d != "" {
		t.Errorf("off: got %q, want none", d)
	}
	if d := autotuneCacheDir(get("rel/cache")); !filepath.IsAbs(d) || !strings.HasSuffix(d, "rel/cache") {
		t.Errorf("relative path: got %q, want it made absolute", d)
	}
	if base, err := os.UserCacheDir(); err == nil {
		if d, want := autotuneCacheDir(get("")), filepath.Join(base, "animalcnn", "xla-autotune"); d != want {
			t.Errorf("default: got %q, want %q", d, want)
		}
	}
}

func TestWithAutotuneCache(t *testing.T) {
	for _, c := range []struct{ flags, want string }{
		{"", "--xla_gpu_per_fusion_autotune_cache_dir=/c"},
		{"--xla_gpu_autotune_level=0", "--xla_gpu_autotune_level=0 --xla_gpu_per_fusion_autotune_cache_dir=/c"},
		{"--xla_gpu_per_fusion_autotune_cache_dir=/mine", "--xla_gpu_per_fusion_autotune_cache_dir=/mine"},
	} {
		if got := withAutotuneCache(c.flags, "/c"); got != c.want {
			t.Errorf("withAutotuneCache(%q) = %q, want %q", c.flags, got, c.want)
		}
	}
}

// envChildXLAFlags makes the test binary a child that sets XLA_FLAGS from its
// value, in-process as prepareCUDA does, then compiles and runs a graph on
// xla:cpu.
const envChildXLAFlags = "ANIMALCNN_TEST_CHILD_XLA_FLAGS"

// XLA aborts the whole process on a flag it does not know, so the flag that
// prepareCUDA adds must be known to the pinned XLA. The CPU plugin is built
// from the same XLA as the pinned CUDA plugin (kernel_setup/pjrt_cuda.sh)
// and parses the same flags, GPU ones included.
func TestAutotuneCacheFlagKnownToXLA(t *testing.T) {
	if flags, ok := os.LookupEnv(envChildXLAFlags); ok {
		_ = os.Setenv(envXLAFlags, flags)
		b, err := New(XLACPU)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Finalize()
		out := MustExecOnce(b, func(x *Node) *Node { return MulScalar(x, 2) }, []float32{1, 2})
		if got := tensors.MustCopyFlatData[float32](out); got[1] != 4 {
			t.Fatalf("2·x = %v", got)
		}
		return
	}
	if !installed(XLACPU) {
		testenv.SkipMissing(t, "no PJRT CPU plugin installed (run kernel_setup/pjrt_cpu.sh)")
	}
	child := func(flags string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAutotuneCacheFlagKnownToXLA$", "-test.count=1")
		cmd.Env = append(os.Environ(), envChildXLAFlags+"="+flags)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// The control: XLA does reject what it does not know.
	if out, err := child("--xla_animalcnn_no_such_flag=1"); err == nil || !strings.Contains(out, "Unknown flag") {
		t.Fatalf("XLA did not reject an unknown flag (err %v), so this test proves nothing:\n%s", err, out)
	}
	if out, err := child(withAutotuneCache("", t.TempDir())); err != nil {
		t.Fatalf("XLA rejected %s: %v\n%s", autotuneCacheFlag, err, out)
	}
}

func installed(name string) bool {
	for _, in := range Available() {
		if in.Name == name {
			return in.Installed
		}
	}
	return false
}

// A relative $ANIMALCNN_CUDA_PLUGIN is made absolute: GoMLX reads a relative
// path as a plugin name to search for, and the plugin found did not load.
func TestRelativeCUDAPluginPath(t *testing.T) {
	dir := t.TempDir()
	touch(t, filepath.Join(dir, "jax", "xla_cuda_plugin.so"))
	t.Chdir(dir)
	e := fakeEnv(t, map[string]string{EnvCUDAPlugin: filepath.Join("jax", "xla_cuda_plugin.so")})
	e.hasGPU = true
	cs, err := e.resolve("xla:cuda")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "jax", "xla_cuda_plugin.so"); !strings.Contains(cs[0].Config, want) {
		t.Errorf("config %q, want the plugin's absolute path %s", cs[0].Config, want)
	}
}

// The message names what is available and how to install only what can be
// installed: a CUDA plugin present without a GPU has nothing to install.
func TestNotAvailableMessage(t *testing.T) {
	dir := t.TempDir()
	e := fakeEnv(t, map[string]string{EnvPJRTDir: dir})
	touch(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"))
	root := e.repoRoot
	_, err := e.resolve("xla:cuda")
	want := fmt.Sprintf(`backend "xla:cuda" is not available: no CUDA PJRT plugin found (pjrt_c_api_cuda_plugin.so in %s, %s, $%s, or JAX's in .tools/cuda/venv); `+
		`available: xla:cpu, go; to install the others: xla:cuda: bash %s on a machine with an NVIDIA GPU, then source %s`,
		dir, filepath.Join(root, localPJRTDir), EnvCUDAPlugin, filepath.Join(root, installCUDA), filepath.Join(root, cudaEnvFile))
	if err == nil || err.Error() != want {
		t.Errorf("xla:cuda with only the CPU plugin:\n got %v\nwant %s", err, want)
	}

	e = fakeEnv(t, map[string]string{EnvCUDAPlugin: touch(t, filepath.Join(t.TempDir(), "xla_cuda_plugin.so"))})
	_, err = e.resolve("xla:cpu")
	if err == nil || !strings.HasSuffix(err.Error(), "; available: go; to install the others: xla:cpu: bash "+filepath.Join(e.repoRoot, installCPU)) {
		t.Errorf("xla:cpu with a CUDA plugin but no GPU: %v", err)
	}
}

// In the automatic choice a backend that fails to start gives way to the
// next one; one asked for by name does not.
func TestNewFallsBackOnlyWhenAutomatic(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvPJRTDir, dir) // searched first: the broken plugin is xla:cpu
	t.Setenv(EnvBackend, "")
	t.Setenv(EnvAutoInstall, "")
	b, err := New("")
	if err != nil {
		t.Fatalf("automatic choice with a broken CPU plugin: %v", err)
	}
	defer b.Finalize()
	if Name(b) != Go {
		t.Errorf("automatic choice with a broken CPU plugin gave %q, want go", Name(b))
	}
	if b, err := New(XLACPU); err == nil {
		b.Finalize()
		t.Error("xla:cpu with a broken plugin started")
	} else if !strings.Contains(err.Error(), "xla:cpu") || strings.Contains(err.Error(), "create GoMLX backend: create GoMLX backend") {
		t.Errorf("xla:cpu with a broken plugin: %v", err)
	}
}

func TestAutoInstallOptInValues(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "true": true, " YES ": true, "on": true, "": false, "0": false, "no": false, "2": false} {
		if got := autoInstallOptIn(func(string) string { return v }); got != want {
			t.Errorf("%s=%q: opt-in %v, want %v", EnvAutoInstall, v, got, want)
		}
	}
}

// envChildNoInstall makes the test binary a child that creates a backend with
// New, then asks GoMLX directly for a plugin that is not installed.
const envChildNoInstall = "ANIMALCNN_TEST_CHILD_NO_INSTALL"

// After New, GoMLX does not download plugins in this process, whoever asks it
// for one: GoMLX reads GOMLX_NO_AUTO_INSTALL only when the program starts,
// so New has to turn its installer off itself. The child runs with a home
// of its own and an unreachable proxy, so that a regression cannot download
// anything.
func TestNoAutoInstallAfterNew(t *testing.T) {
	if os.Getenv(envChildNoInstall) == "1" {
		b, err := New(Go)
		if err != nil {
			t.Fatal(err)
		}
		b.Finalize()
		_, err = backends.NewWithConfig("xla:animalcnn_no_such_plugin")
		fmt.Printf("error: %v\n", err)
		return
	}
	if !xlaCompiledIn {
		t.Skip("built without XLA")
	}
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoAutoInstallAfterNew$", "-test.count=1")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case EnvNoAutoInstall, EnvAutoInstall, "HOME", envPJRTLibraryPath, "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, envChildNoInstall+"=1", "HOME="+home, envPJRTLibraryPath+"="+t.TempDir(),
		"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "error: ") || strings.Contains(string(out), "error: <nil>") {
		t.Fatalf("GoMLX found a plugin that does not exist:\n%s", out)
	}
	if strings.Contains(string(out), "auto-install") {
		t.Errorf("GoMLX tried to install a plugin after New:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "lib", "go-xla")); err == nil {
		t.Errorf("GoMLX's installer wrote to the home directory after New")
	}
}

func TestCanonicalXLAName(t *testing.T) {
	for plugin, want := range map[string]string{
		"cpu":                           XLACPU,
		"/x/pjrt_c_api_cpu_plugin.so":   XLACPU,
		"cuda":                          XLACUDA,
		"/x/pjrt_c_api_cuda_plugin.so":  XLACUDA,
		"/x/jax/xla_cuda_plugin.so":     XLACUDA,
		"/x/libmine.so":                 "xla:/x/libmine.so",
		"/x/pjrt_c_api_cpu_plugin.so.1": "xla:/x/pjrt_c_api_cpu_plugin.so.1",
	} {
		if got := canonicalXLAName(plugin); got != want {
			t.Errorf("canonicalXLAName(%q) = %q, want %q", plugin, got, want)
		}
	}
}

// The spellings a user may give: "auto", surrounding spaces, GoMLX's other
// names of the xla backend, and plugin files relative to the working
// directory (their case kept).
func TestSpecSpellings(t *testing.T) {
	dir := t.TempDir()
	cpu := touch(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"))
	mine := touch(t, filepath.Join(dir, "Mine.so"))
	t.Chdir(dir)
	e := fakeEnv(t, map[string]string{EnvPJRTDir: dir})
	auto, _ := e.resolve("")
	if cs, err := e.resolve("auto"); err != nil || strings.Join(names(cs), ",") != strings.Join(names(auto), ",") || cs[0].Source != "auto" {
		t.Errorf(`resolve("auto") = %+v, %v; want the automatic choice %v`, cs, err, names(auto))
	}
	for spec, want := range map[string]string{
		" xla:cpu ":                    XLACPU,
		"stablehlo:cpu":                XLACPU,
		"hlo":                          XLACPU,
		"pjrt_c_api_cpu_plugin.so":     XLACPU,
		"xla:pjrt_c_api_cpu_plugin.so": XLACPU,
		"Mine.so":                      "xla:" + mine,
		"xla:Mine.so,tf32":             "xla:" + mine,
		"Mine.so,tf32":                 "xla:" + mine,
	} {
		cs, err := e.resolve(spec)
		if err != nil || len(cs) != 1 || cs[0].Name != want || cs[0].Source != "argument" {
			t.Errorf("resolve(%q) = %+v, %v; want %s from the argument", spec, cs, err, want)
			continue
		}
		if want == XLACPU && cs[0].PluginPath != cpu {
			t.Errorf("resolve(%q) plugin %q, want %q", spec, cs[0].PluginPath, cpu)
		}
	}
	// "xla" alone is an explicit request too: no fallback to go.
	if cs, err := e.resolve("xla"); err != nil || cs[0].Source != "argument" {
		t.Errorf(`resolve("xla") = %+v, %v; want source "argument"`, cs, err)
	}
}

// shared_buffers is added to the CPU plugin's options unless they already
// say something about it.
func TestXLACPUOptions(t *testing.T) {
	dir := t.TempDir()
	cpu := touch(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"))
	e := fakeEnv(t, map[string]string{EnvPJRTDir: dir})
	for spec, want := range map[string]string{
		"xla:cpu":                  "xla:" + cpu + ",shared_buffers",
		"xla:cpu,noshared_buffers": "xla:" + cpu + ",noshared_buffers",
		"xla:cpu,tf32":             "xla:" + cpu + ",tf32,shared_buffers",
	} {
		if cs, err := e.resolve(spec); err != nil || cs[0].Config != want {
			t.Errorf("resolve(%q) = %+v, %v; want config %q", spec, cs, err, want)
		}
	}
}

// With the opt-in, a missing CUDA plugin is left to GoMLX's installer too.
func TestAutoInstallOptInCUDA(t *testing.T) {
	e := fakeEnv(t, map[string]string{EnvAutoInstall: "1"})
	if cs, err := e.resolve("xla:cuda"); err != nil || cs[0].Name != XLACUDA || cs[0].Config != "xla:cuda" {
		t.Fatalf("opted-in xla:cuda = %+v, %v; want GoMLX's own lookup", cs, err)
	}
}

func info(t *testing.T, in []Info, name string) Info {
	t.Helper()
	for _, i := range in {
		if i.Name == name {
			return i
		}
	}
	t.Fatalf("no %s in %+v", name, in)
	return Info{}
}

func TestAvailableDetails(t *testing.T) {
	dir := t.TempDir()
	cpu := touch(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"))
	e := fakeEnv(t, map[string]string{EnvPJRTDir: dir, EnvCUDAPlugin: filepath.Join(dir, "missing.so")})
	in := e.available()
	if c := info(t, in, XLACPU); !c.Installed || c.Path != cpu || c.Install != "" {
		t.Errorf("installed CPU plugin: %+v, want its path and no install hint", c)
	}
	if c := info(t, in, XLACUDA); c.Installed || !strings.Contains(c.Note, "$"+EnvCUDAPlugin+"="+filepath.Join(dir, "missing.so")+" is not a file") {
		t.Errorf("CUDA plugin variable naming a missing file: %+v", c)
	}
	// Without XLA compiled in, a plugin on disk does not make it available,
	// and the hint is to rebuild, not to install it again; a missing plugin
	// is to be installed too.
	e.hasXLA = false
	in = e.available()
	if c := info(t, in, XLACPU); c.Installed || !strings.Contains(c.Note, "built without XLA") || !strings.HasPrefix(c.Install, "rebuild the binary with cgo") || strings.Contains(c.Install, installCPU) {
		t.Errorf("CPU plugin without XLA compiled in: %+v, want a hint to rebuild only", c)
	}
	wantCUDA := "install the plugin: bash " + filepath.Join(e.repoRoot, installCUDA) + " on a machine with an NVIDIA GPU, then source " + filepath.Join(e.repoRoot, cudaEnvFile)
	if c := info(t, in, XLACUDA); !strings.HasPrefix(c.Install, "rebuild the binary with cgo") || !strings.HasSuffix(c.Install, wantCUDA) {
		t.Errorf("CUDA plugin missing, without XLA compiled in: %+v, want a hint to rebuild and install it (%s)", c, wantCUDA)
	}
	// Outside the repository, whose .tools/pjrt it does not search, the
	// hint installs where it looks.
	outside := fakeEnv(t, nil)
	outside.repoRoot = ""
	if c := info(t, outside.available(), XLACPU); c.Installed || c.Install != "bash "+installCPU+" --user (from the animalcnn repository)" {
		t.Errorf("CPU plugin missing, outside the repository: %+v, want the --user install", c)
	}
	outside.hasXLA = false
	if c := info(t, outside.available(), XLACPU); !strings.HasPrefix(c.Install, "rebuild the binary with cgo") || !strings.HasSuffix(c.Install, "install the plugin: bash "+installCPU+" --user (from the animalcnn repository)") {
		t.Errorf("CPU plugin missing, outside the repository, without XLA compiled in: %+v, want a hint to rebuild and install it with --user", c)
	}
	// A CUDA plugin with a GPU: available, with a hint when the NVIDIA
	// libraries are not on the library path.
	vars := map[string]string{EnvCUDAPlugin: touch(t, filepath.Join(dir, "xla_cuda_plugin.so"))}
	e = fakeEnv(t, vars)
	e.hasGPU = true
	if c := info(t, e.available(), XLACUDA); !c.Installed || !strings.Contains(c.Note, cudaEnvFile) {
		t.Errorf("CUDA without its libraries on LD_LIBRARY_PATH: %+v", c)
	}
	vars["LD_LIBRARY_PATH"] = "/x/site-packages/nvidia/cublas/lib"
	if c := info(t, e.available(), XLACUDA); !c.Installed || c.Note != "" {
		t.Errorf("CUDA with its libraries: %+v", c)
	}
}

func TestDefault(t *testing.T) {
	t.Setenv(EnvBackend, "go")
	if d := Default(); d != Go {
		t.Errorf("Default() with %s=go is %q", EnvBackend, d)
	}
	t.Setenv(EnvBackend, "nonsense")
	if d := Default(); d != "" {
		t.Errorf("Default() with %s=nonsense is %q, want none", EnvBackend, d)
	}
	t.Setenv(EnvBackend, "")
	var first string
	for _, in := range Available() {
		if in.Installed {
			first = in.Name
			break
		}
	}
	if d := Default(); d != first {
		t.Errorf("Default() = %q, want the fastest installed, %q", d, first)
	}
}

// Creating the go backend silences standard output only for the moment.
func TestNewGoRestoresStdout(t *testing.T) {
	saved := os.Stdout
	b, err := New(Go)
	if err != nil {
		t.Fatal(err)
	}
	b.Finalize()
	if os.Stdout != saved {
		os.Stdout = saved
		t.Fatal("New(go) left os.Stdout redirected")
	}
}

// unsetenv unsets k for the test, restoring it afterwards.
func unsetenv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "")
	os.Unsetenv(k)
}

// A CUDA backend that fails to start says how to get its libraries; only
// CUDA touches the CUDA settings (XLA_FLAGS, go-xla's driver check).
func TestCreateCUDASettings(t *testing.T) {
	for _, k := range []string{"GOPJRT_CUDA_CHECKS", "GOPJR_CUDA_CHECKS"} {
		unsetenv(t, k)
	}
	t.Setenv(envXLAFlags, "--xla_mine=1")
	t.Setenv(EnvXLACache, filepath.Join(t.TempDir(), "cache"))
	missing := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
	_, err := create(choice{Name: XLACPU, Config: "xla:" + missing})
	if err == nil || strings.Contains(err.Error(), cudaEnvFile) {
		t.Errorf("xla:cpu with a missing plugin: %v", err)
	}
	if v, ok := os.LookupEnv("GOPJRT_CUDA_CHECKS"); ok || os.Getenv(envXLAFlags) != "--xla_mine=1" {
		t.Errorf("creating xla:cpu changed the CUDA settings: GOPJRT_CUDA_CHECKS=%q XLA_FLAGS=%q", v, os.Getenv(envXLAFlags))
	}
	if !xlaCompiledIn {
		return // GoMLX has no xla backend to fail with
	}
	_, err = create(choice{Name: XLACUDA, Config: "xla:" + filepath.Join(t.TempDir(), "xla_cuda_plugin.so")})
	if err == nil || !strings.Contains(err.Error(), "source "+cudaEnvFile) || !strings.Contains(err.Error(), installCUDA) {
		t.Errorf("xla:cuda with a missing plugin: %v", err)
	}
}

// TestInfoDetails: a listing's one line gives the plugin file and the note,
// and how to install only what is missing.
func TestInfoDetails(t *testing.T) {
	for _, c := range []struct {
		in   Info
		want string
	}{
		{Info{Name: XLACPU, Installed: true, Path: "/p/cpu.so"}, "/p/cpu.so"},
		{Info{Name: XLACUDA, Installed: true, Path: "/p/cuda.so", Note: "source env.sh first", Install: "bash pjrt_cuda.sh"}, "/p/cuda.so; source env.sh first"},
		{Info{Name: XLACUDA, Note: "no CUDA PJRT plugin found", Install: "bash pjrt_cuda.sh"}, "no CUDA PJRT plugin found; install: bash pjrt_cuda.sh"},
		{Info{Name: Go, Installed: true}, ""},
	} {
		if got := c.in.Details(); got != c.want {
			t.Errorf("%+v.Details() = %q, want %q", c.in, got, c.want)
		}
	}
}

// A plugin file that does not load is named once in the error's prefix.
func TestBrokenPluginError(t *testing.T) {
	if !currentEnv().hasXLA {
		t.Skip("built without XLA")
	}
	plugin := touch(t, filepath.Join(t.TempDir(), "broken.so")) // empty: no shared library
	_, err := New(plugin)
	if err == nil {
		t.Fatal("an empty plugin file loaded")
	}
	if want := "create GoMLX backend xla:" + plugin + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
}
