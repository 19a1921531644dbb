package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/internal/testenv"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

func smallConfig() Config {
	c := DefaultConfig(3)
	c.ImageSize, c.Filters1, c.Filters2, c.DenseUnits = 18, 4, 8, 16
	return c
}

func randomImages(n, size int, seed uint64) []uint8 {
	rng := rand.New(rand.NewPCG(seed, 1))
	px := make([]uint8, n*size*size*3)
	for i := range px {
		px[i] = uint8(rng.IntN(256))
	}
	return px
}

// initVariables creates and initialises the model's variables in a new context.
func initVariables(t *testing.T, b backends.Backend, cfg Config) *context.Context {
	t.Helper()
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	exec, err := context.NewExec(b, ctx.In(Scope).Checked(false), func(ctx *context.Context, images *graph.Node) *graph.Node {
		return cfg.Logits(ctx, images)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Exec(tensors.FromFlatDataAndDimensions(randomImages(1, cfg.ImageSize, 1), 1, cfg.ImageSize, cfg.ImageSize, 3)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func probabilities(t *testing.T, b backends.Backend, ctx *context.Context, cfg Config, px []uint8, n int) [][]float32 {
	t.Helper()
	c, err := NewClassifier(b, ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Probabilities(px, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func assertClose(t *testing.T, what string, a, b [][]float32, tol float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d rows", what, len(a), len(b))
	}
	for i := range a {
		for j := range a[i] {
			if d := math.Abs(float64(a[i][j] - b[i][j])); d > tol || math.IsNaN(d) {
				t.Fatalf("%s: image %d class %d: %v vs %v", what, i, j, a[i][j], b[i][j])
			}
		}
	}
}

// The im2col formulation and GoMLX's own convolution compute the same
// function of the same variables (the pure-Go backend can run both forward).
func TestFormulationsAgree(t *testing.T) {
	b := goBackend(t)
	cfg := smallConfig()
	ctx := initVariables(t, b, cfg)
	px := randomImages(5, cfg.ImageSize, 2)
	im2col := probabilities(t, b, ctx, cfg, px, 5)
	cfg.Formulation = Native
	native := probabilities(t, b, ctx, cfg, px, 5)
	assertClose(t, "im2col vs native", im2col, native, 1e-5)
}

// The classifier pads odd batch sizes; padding must not change results.
func TestBatchPaddingDoesNotChangeResults(t *testing.T) {
	b := goBackend(t)
	cfg := smallConfig()
	ctx := initVariables(t, b, cfg)
	px := randomImages(3, cfg.ImageSize, 4)
	all := probabilities(t, b, ctx, cfg, px, 3)
	per := cfg.ImageSize * cfg.ImageSize * 3
	for i := range 3 {
		one := probabilities(t, b, ctx, cfg, px[i*per:(i+1)*per], 1)
		assertClose(t, "alone vs in a batch", one, all[i:i+1], 1e-6)
	}
	if _, err := (&Classifier{cfg: cfg}).Probabilities(px[:10], 1); err == nil {
		t.Fatal("wrong number of bytes accepted")
	}
}

// The replacement gradient of Dot equals the textbook one.
func TestMatMulGradient(t *testing.T) {
	b := goBackend(t)
	x := [][]float32{{1, 2, 3}, {4, 5, 6}}
	w := [][]float32{{1, 0}, {0, 1}, {2, -1}}
	r := [][]float32{{1, 2}, {3, 4}} // loss = sum(r ⊙ (x·w))
	exec, err := graph.NewExec(b, func(x, w, r *graph.Node) []*graph.Node {
		loss := graph.ReduceAllSum(graph.Mul(graph.Dot(x, w), r))
		grads := graph.Gradient(loss, x, w)
		return grads
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(tensors.FromValue(x), tensors.FromValue(w), tensors.FromValue(r))
	if err != nil {
		t.Fatal(err)
	}
	dx, dw := out[0].Value().([][]float32), out[1].Value().([][]float32)
	// dX = r·wᵀ, dW = xᵀ·r.
	wantDX := [][]float32{{1, 2, 0}, {3, 4, 2}}
	wantDW := [][]float32{{13, 18}, {17, 24}, {21, 30}}
	assertClose(t, "dX", dx, wantDX, 1e-6)
	assertClose(t, "dW", dw, wantDW, 1e-6)
}

// TestMaxPoolGradientCountsTiesOnce: the pooling's gradient passes each
// output's gradient back once, shared among the values tied for the max
// (GoMLX's ReduceMax gradient gave all of it to each of them: 4× for a flat
// window), and its output is the max, on every backend installed.
func TestMaxPoolGradientCountsTiesOnce(t *testing.T) {
	// One 2×6 image, one channel, three windows: four values tied for the
	// max, two tied, one max.
	x := [][][][]float32{{
		{{1}, {1}, {0}, {2}, {7}, {3}},
		{{1}, {1}, {2}, {1}, {4}, {5}},
	}}
	r := [][][][]float32{{{{3}, {5}, {2}}}} // loss = sum(r ⊙ pool(x))
	wantPool := []float32{1, 2, 7}
	wantGrad := []float32{ // row by row
		0.75, 0.75, 0, 2.5, 2, 0,
		0.75, 0.75, 2.5, 0, 0, 0,
	}
	for _, in := range backend.Available() {
		if !in.Installed {
			continue
		}
		t.Run(in.Name, func(t *testing.T) {
			b, err := backend.New(in.Name)
			if err != nil {
				t.Fatal(err)
			}
			exec, err := graph.NewExec(b, func(x, r *graph.Node) []*graph.Node {
				pooled := maxPool2x2(x)
				return []*graph.Node{pooled, graph.Gradient(graph.ReduceAllSum(graph.Mul(pooled, r)), x)[0]}
			})
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Exec(tensors.FromValue(x), tensors.FromValue(r))
			if err != nil {
				t.Fatal(err)
			}
			pooled, grad := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
			if !slices.Equal(pooled, wantPool) {
				t.Errorf("pooled %v, want %v", pooled, wantPool)
			}
			assertClose(t, "gradient", [][]float32{grad}, [][]float32{wantGrad}, 1e-7)
		})
	}
}

func TestPatchRows(t *testing.T) {
	// A 3×3 image with same padding: the centre output pixel sees all 9
	// inputs in row-major order; the corner one sees 4 inputs and 5 zeros.
	rows := tensors.MustCopyFlatData[int32](patchRows(3, 3, 1))
	if len(rows) != 9*9 {
		t.Fatalf("%d rows, want 81", len(rows))
	}
	centre := rows[4*9 : 5*9]
	for k, v := range centre {
		if v != int32(k) {
			t.Fatalf("centre patch %v", centre)
		}
	}
	zero := int32(9)
	if corner, want := rows[:9], []int32{zero, zero, zero, zero, 0, 1, zero, 3, 4}; !slices.Equal(corner, want) {
		t.Fatalf("corner patch %v, want %v", corner, want)
	}
	if got := patchRows(5, 5, 0).Shape().Dimensions; !slices.Equal(got, []int{1, 3 * 3 * 9, 1}) {
		t.Fatalf("valid padding: shape %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, size := range []int{50, 18, 30, 66} {
		c := DefaultConfig(3)
		c.ImageSize = size
		if err := c.Validate(); err != nil {
			t.Errorf("size %d: %v", size, err)
		}
	}
	for _, size := range []int{32, 49, 10} {
		c := DefaultConfig(3)
		c.ImageSize = size
		if err := c.Validate(); err == nil {
			t.Errorf("size %d accepted", size)
		}
	}
	if DefaultConfig(3).FlatFeatures() != 7744 {
		t.Errorf("flat features %d, want 7744 (11×11×64)", DefaultConfig(3).FlatFeatures())
	}
	c := DefaultConfig(1)
	if c.Validate() == nil {
		t.Error("one class accepted")
	}
}

// Same weights, same predictions on every backend present; a checkpoint
// written on one backend loads on another.
func TestBackendsAgree(t *testing.T) {
	goB := goBackend(t)
	cfg := smallConfig()
	ctx := initVariables(t, goB, cfg)
	dir := t.TempDir()
	h, err := checkpoints.Build(ctx).Dir(dir).Done()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	px := randomImages(4, cfg.ImageSize, 5)
	want := probabilities(t, goB, ctx, cfg, px, 4)
	tested := 0
	for _, in := range backend.Available() {
		if !in.Installed || in.Name == backend.Go {
			continue
		}
		b, err := backend.New(in.Name)
		if err != nil {
			t.Errorf("%s is listed as installed but does not start: %v", in.Name, err)
			continue
		}
		ctx2 := context.New()
		if _, err := checkpoints.Load(ctx2).Dir(dir).Immediate().Done(); err != nil {
			t.Fatal(err)
		}
		for _, f := range []Formulation{Im2Col, Native} {
			c := cfg
			c.Formulation = f
			got := probabilities(t, b, ctx2, c, px, 4)
			assertClose(t, in.Name+"/"+string(f)+" vs go", got, want, 1e-4)
		}
		tested++
	}
	if tested == 0 {
		testenv.SkipMissing(t, "only the pure-Go backend is installed (kernel_setup/pjrt_cpu.sh installs xla:cpu)")
	}
}

func goBackend(t *testing.T) backends.Backend {
	t.Helper()
	b, err := backend.New(backend.Go)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormulationFor(t *testing.T) {
	if f := FormulationFor(goBackend(t)); f != Im2Col {
		t.Errorf("pure-Go backend gets %q, want %q (it cannot train the native one)", f, Im2Col)
	}
	if f := FormulationFor(nil); f != Im2Col {
		t.Errorf("nil backend gets %q", f)
	}
	// XLA by its name and description, whether or not a plugin is here.
	for _, c := range []struct {
		name, desc string
		want       Formulation
	}{
		{"xla", "XLA backend, PJRT plugin \"cpu\"", Native},
		{"xla", "XLA backend, PJRT plugin \"cuda\"", Im2Col},
		{"xla", "XLA backend on GPU", Im2Col},
	} {
		if f := FormulationFor(namedBackend{name: c.name, desc: c.desc}); f != c.want {
			t.Errorf("%s (%s) gets %q, want %q", c.name, c.desc, f, c.want)
		}
	}
}

// namedBackend is a backend that only has a name and a description.
type namedBackend struct {
	backends.Backend
	name, desc string
}

func (b namedBackend) Name() string        { return b.name }
func (b namedBackend) Description() string { return b.desc }

// The im2col formulation's gradients (a scatter-add through the gather, and
// the replacement matrix-product gradient) equal those of GoMLX's own
// convolution, which only XLA can differentiate: the reference is the native
// formulation on xla:cpu, compared with im2col on xla:cpu and on pure Go.
func TestGradientsAgree(t *testing.T) {
	xb, err := backend.New(backend.XLACPU)
	if err != nil {
		testenv.SkipMissing(t, "needs xla:cpu for the reference gradient: "+err.Error())
	}
	cfg := smallConfig()
	cfg.ConvDropout, cfg.DenseDropout = 0, 0
	dir := t.TempDir()
	if h, err := checkpoints.Build(initVariables(t, goBackend(t), cfg)).Dir(dir).Done(); err != nil || h.Save() != nil {
		t.Fatalf("save variables: %v", err)
	}
	const n = 3
	px := randomImages(n, cfg.ImageSize, 7)
	weights := make([]float32, n*cfg.NumClasses)
	for i := range weights {
		weights[i] = float32(i%5) - 1.5
	}
	grads := func(b backends.Backend, f Formulation) (names []string, values [][]float32) {
		c := cfg
		c.Formulation = f
		ctx := context.New() // the same variables, on b
		if _, err := checkpoints.Load(ctx).Dir(dir).Immediate().Done(); err != nil {
			t.Fatal(err)
		}
		exec, err := context.NewExec(b, ctx.In(Scope).Checked(false), func(ctx *context.Context, images *graph.Node) []*graph.Node {
			g := images.Graph()
			logits := c.Logits(ctx, images)
			loss := graph.ReduceAllSum(graph.Mul(logits, graph.Const(g, tensors.FromFlatDataAndDimensions(weights, n, c.NumClasses))))
			all := slices.SortedFunc(ctx.IterVariablesInScope(), func(a, b *context.Variable) int {
				return strings.Compare(a.ScopeAndName(), b.ScopeAndName())
			})
			var vars []*graph.Node
			names = names[:0]
			for _, v := range all {
				names = append(names, v.ScopeAndName())
				vars = append(vars, v.ValueGraph(g))
			}
			return graph.Gradient(loss, vars...)
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(px, n, c.ImageSize, c.ImageSize, 3))
		if err != nil {
			t.Fatalf("%s/%s: %v", b.Name(), f, err)
		}
		for _, o := range out {
			values = append(values, tensors.MustCopyFlatData[float32](o))
		}
		return names, values
	}
	refNames, ref := grads(xb, Native)
	for _, run := range []struct {
		b backends.Backend
		f Formulation
	}{{xb, Im2Col}, {goBackend(t), Im2Col}} {
		names, got := grads(run.b, run.f)
		what := backend.Name(run.b) + "/" + string(run.f)
		if !slices.Equal(names, refNames) {
			t.Fatalf("%s: variables %v, want %v", what, names, refNames)
		}
		for i := range ref {
			scale := 0.0
			for _, v := range ref[i] {
				scale = max(scale, math.Abs(float64(v)))
			}
			if scale == 0 {
				t.Fatalf("%s: the reference gradient of %s is all zeros", what, names[i])
			}
			for j := range ref[i] {
				if d := math.Abs(float64(got[i][j] - ref[i][j])); d > 1e-4*scale || math.IsNaN(d) {
					t.Fatalf("%s: d%s[%d] = %g, native %g", what, names[i], j, got[i][j], ref[i][j])
				}
			}
		}
		t.Logf("%s matches native on %d gradients", what, len(ref))
	}
}

// The summary's shapes and parameter counts are those of the model GoMLX
// builds: the course's CNN has 4,032,547 parameters for 3 classes (Keras'
// model.summary() says the same), and every variable is counted.
func TestLayers(t *testing.T) {
	cfg := DefaultConfig(3)
	if got := cfg.Params(); got != 4_032_547 {
		t.Errorf("Params = %d, want 4032547", got)
	}
	layers := cfg.Layers()
	if len(layers) != 12 || fmt.Sprint(layers[5].Output) != "[22 22 64]" || fmt.Sprint(layers[8].Output) != fmt.Sprint([]int{cfg.FlatFeatures()}) {
		t.Errorf("layers %+v", layers)
	}
	cfg.ImageSize, cfg.Filters1, cfg.Filters2, cfg.DenseUnits = 18, 4, 8, 16
	ctx := initVariables(t, goBackend(t), cfg)
	vars := 0
	for v := range ctx.In(Scope).IterVariablesInScope() {
		vars += v.Shape().Size()
	}
	if vars != cfg.Params() {
		t.Errorf("GoMLX variables hold %d parameters, the summary says %d", vars, cfg.Params())
	}
}

// The course's dropout: 0.25 after each pooling, 0.5 after the hidden dense
// layer.
func TestDropoutRates(t *testing.T) {
	type use struct {
		rate float64
		dims string
	}
	var got []use
	orig := dropout
	dropout = func(ctx *context.Context, x *graph.Node, rate float64) *graph.Node {
		got = append(got, use{rate, fmt.Sprint(x.Shape().Dimensions)})
		return orig(ctx, x, rate)
	}
	defer func() { dropout = orig }()
	cfg := DefaultConfig(3)
	cfg.ImageSize, cfg.Filters1, cfg.Filters2, cfg.DenseUnits = 18, 4, 8, 16
	initVariables(t, goBackend(t), cfg)
	want := []use{{0.25, "[1 8 8 4]"}, {0.25, "[1 3 3 8]"}, {0.5, "[1 16]"}}
	if !slices.Equal(got, want) {
		t.Errorf("dropout applied as %v, want %v", got, want)
	}
}

// TestInitIsKerasGlorot checks the initial weights against Keras'
// glorot_uniform: uniform in ±√(6/(fan_in+fan_out)), with a convolution's
// fans counted over its 3×3 window (fan_in = 9·cin, fan_out = 9·filters),
// and zero biases.
func TestInitIsKerasGlorot(t *testing.T) {
	cfg := DefaultConfig(3) // the real sizes: the fans are what is tested
	ctx := initVariables(t, goBackend(t), cfg)
	flat := cfg.FlatFeatures()
	limits := map[string]float64{
		"conv1":  math.Sqrt(6 / float64(9*3+9*cfg.Filters1)),
		"conv2":  math.Sqrt(6 / float64(9*cfg.Filters1+9*cfg.Filters1)),
		"conv3":  math.Sqrt(6 / float64(9*cfg.Filters1+9*cfg.Filters2)),
		"conv4":  math.Sqrt(6 / float64(9*cfg.Filters2+9*cfg.Filters2)),
		"dense1": math.Sqrt(6 / float64(flat+cfg.DenseUnits)),
		"dense2": math.Sqrt(6 / float64(cfg.DenseUnits+cfg.NumClasses)),
	}
	seen := 0
	for v := range ctx.IterVariables() {
		layer := v.Scope()[strings.LastIndex(v.Scope(), context.ScopeSeparator)+1:]
		limit, ok := limits[layer]
		if !ok {
			continue
		}
		maxAbs := 0.0
		for _, w := range tensors.MustCopyFlatData[float32](v.MustValue()) {
			maxAbs = max(maxAbs, math.Abs(float64(w)))
		}
		switch v.Name() {
		case "weights":
			seen++
			// Thousands of draws: the largest is within a few percent of the limit.
			if maxAbs > limit || maxAbs < 0.95*limit {
				t.Errorf("%s weights: largest |w| %.4f, want just under Keras' limit %.4f", layer, maxAbs, limit)
			}
		case "biases":
			if maxAbs != 0 {
				t.Errorf("%s biases start at %v, want 0", layer, maxAbs)
			}
		}
	}
	if seen != len(limits) {
		t.Errorf("checked %d weight variables, want %d", seen, len(limits))
	}
}
