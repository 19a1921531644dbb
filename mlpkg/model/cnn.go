// Package model defines the course's CNN (the Keras cifar10_cnn design) in
// GoMLX, written so that it trains on every backend: the pure-Go backend of
// GoMLX v0.26.0 cannot differentiate its own convolution and max-pool
// operations, so there (and on XLA CUDA, where it is faster) convolutions are
// matrix products over gathered 3×3 patches (im2col); on XLA CPU they are
// GoMLX's native convolutions (see FormulationFor). Pooling is always a
// reshape followed by a max.
package model

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// Config holds the architecture's settings. The zero value is not usable:
// start from DefaultConfig.
type Config struct {
	// ImageSize is the square input size in pixels; inputs are [batch, ImageSize, ImageSize, 3].
	ImageSize int `json:"image_size"`
	// NumClasses is the number of outputs.
	NumClasses int `json:"num_classes"`
	// Filters1 and Filters2 are the channel counts of the first and second
	// pair of 3×3 convolutions (32 and 64 in the course).
	Filters1 int `json:"filters1"`
	Filters2 int `json:"filters2"`
	// DenseUnits is the width of the hidden dense layer (512 in the course).
	DenseUnits int `json:"dense_units"`
	// ConvDropout and DenseDropout are the dropout rates after each pooling
	// and after the hidden dense layer (0.25 and 0.5 in the course).
	ConvDropout  float64 `json:"conv_dropout"`
	DenseDropout float64 `json:"dense_dropout"`
	// Formulation selects how convolutions are computed; it changes speed
	// only, never the weights or the results (see Formulation). Empty means
	// Im2Col.
	Formulation Formulation `json:"-"`
}

// Formulation is a way of computing the same CNN, with the same variables.
type Formulation string

const (
	// Im2Col computes each 3×3 convolution as one matrix product over
	// gathered patches, and pooling as a reshape and a max. The only
	// formulation GoMLX's pure-Go backend can train, and the fastest one
	// on XLA CUDA in the measurements issue 6 quotes from an H100 (not yet
	// re-measured with this project's benchmark: bench/train/run_gpu.sh).
	Im2Col Formulation = "im2col"
	// Native uses GoMLX's convolution operation (XLA only), and the same
	// reshape-and-max pooling as Im2Col: GoMLX's MaxPool differentiates
	// through an arg-max reduce-window and a scatter, which measured 20 %
	// slower for the whole training step on XLA CPU.
	Native Formulation = "native"
)

// DefaultConfig returns the course's architecture for 50×50 images and the given number of classes.
func DefaultConfig(numClasses int) Config {
	return Config{ImageSize: 50, NumClasses: numClasses, Filters1: 32, Filters2: 64, DenseUnits: 512, ConvDropout: 0.25, DenseDropout: 0.5}
}

// Validate checks that the configuration describes a buildable model.
func (c Config) Validate() error {
	switch {
	case c.NumClasses < 2:
		return fmt.Errorf("model: need at least 2 classes, got %d", c.NumClasses)
	case CheckImageSize(c.ImageSize) != nil:
		return CheckImageSize(c.ImageSize)
	}
	return c.CheckLayers()
}

// CheckLayers is Validate without the input size and the class count, which
// training takes from the dataset: it checks the settings of the layers
// before any data is read.
func (c Config) CheckLayers() error {
	switch {
	case c.Filters1 < 1 || c.Filters2 < 1 || c.DenseUnits < 1:
		return fmt.Errorf("model: filters and dense units must be positive, got filters %d and %d, dense units %d", c.Filters1, c.Filters2, c.DenseUnits)
	case !(c.ConvDropout >= 0 && c.ConvDropout < 1): // NaN fails too
		return fmt.Errorf("model: conv dropout must be in [0, 1), got %g", c.ConvDropout)
	case !(c.DenseDropout >= 0 && c.DenseDropout < 1):
		return fmt.Errorf("model: dense dropout must be in [0, 1), got %g", c.DenseDropout)
	case c.Formulation != "" && c.Formulation != Im2Col && c.Formulation != Native:
		return fmt.Errorf("model: unknown formulation %q (want %q or %q)", c.Formulation, Im2Col, Native)
	}
	return nil
}

// CheckImageSize reports an error unless the CNN takes size×size images:
// 14 or more and 2 more than a multiple of 4 (e.g. 30, 34, 50, 66), so that
// both 2×2 poolings see even sizes ((size-2)/2 - 2 must be even). Data for
// the model must be prepared at such a size.
func CheckImageSize(size int) error {
	if size < 14 || size%4 != 2 {
		return fmt.Errorf("model: image size must be 14 or more and leave 2 when divided by 4 (e.g. 30, 34, 50, 66), got %d", size)
	}
	return nil
}

// FlatFeatures is the length of the flattened feature vector fed to the dense
// layers: 11×11×64 = 7744 for 50×50 inputs.
func (c Config) FlatFeatures() int {
	s := ((c.ImageSize-2)/2 - 2) / 2
	return s * s * c.Filters2
}

// Logits builds the CNN on images, a [batch, size, size, 3] node of RGB values
// in 0…255 (uint8 or float), and returns [batch, NumClasses] logits. The
// normalisation (divide by 255) happens here, inside the graph, so every
// caller feeds the same raw pixels. Dropout is active only when ctx is in
// training mode. Variables live under ctx's current scope.
func (c Config) Logits(ctx *context.Context, images *graph.Node) *graph.Node {
	x := graph.DivScalar(graph.ConvertDType(images, dtypes.Float32), 255)
	ctx = ctx.WithInitializer(initializers.GlorotUniformFn(ctx))

	conv := conv3x3
	if c.Formulation == Native {
		conv = nativeConv3x3
	}
	x = activations.Relu(conv(ctx.In("conv1"), x, c.Filters1, true))
	x = activations.Relu(conv(ctx.In("conv2"), x, c.Filters1, false))
	x = dropout(ctx, maxPool2x2(x), c.ConvDropout)

	x = activations.Relu(conv(ctx.In("conv3"), x, c.Filters2, true))
	x = activations.Relu(conv(ctx.In("conv4"), x, c.Filters2, false))
	x = dropout(ctx, maxPool2x2(x), c.ConvDropout)

	x = graph.Reshape(x, x.Shape().Dimensions[0], -1)
	x = activations.Relu(dense(ctx.In("dense1"), x, c.DenseUnits))
	x = dropout(ctx, x, c.DenseDropout)
	return dense(ctx.In("dense2"), x, c.NumClasses)
}

// dropout is layers.DropoutStatic (active in training mode only); tests
// replace it to see which rates apply where.
var dropout = layers.DropoutStatic

// dense is a fully connected layer: x [batch, in] · W [in, units] + b.
func dense(ctx *context.Context, x *graph.Node, units int) *graph.Node {
	g := x.Graph()
	in := x.Shape().Dimensions[1]
	w := ctx.VariableWithShape("weights", shapes.Make(dtypes.Float32, in, units)).ValueGraph(g)
	b := ctx.WithInitializer(initializers.Zero).VariableWithShape("biases", shapes.Make(dtypes.Float32, units)).ValueGraph(g)
	return graph.Add(graph.Dot(x, w), graph.InsertAxes(b, 0))
}

// conv3x3 is a 3×3, stride 1 convolution of x [batch, h, w, cin] with
// "same" (zero) padding, or "valid" padding when same is false, as one matrix
// product: the 3×3×cin patch around every output pixel is gathered into a row
// (im2col), and the rows are multiplied by the [9·cin, filters] kernel.
//
// Gather's gradient is a scatter-add, which every backend implements, and the
// matrix product's gradient is two matrix products (see installMatMulGradient).
func conv3x3(ctx *context.Context, x *graph.Node, filters int, same bool) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	batch, h, w, cin := dims[0], dims[1], dims[2], dims[3]
	pad := 0
	if same {
		pad = 1
	}
	oh, ow := h+2*pad-2, w+2*pad-2

	// Each image's pixels as rows, plus one all-zero row that padding points to.
	rows := graph.Reshape(x, batch, h*w, cin)
	if same {
		rows = graph.Concatenate([]*graph.Node{rows, graph.Zeros(g, shapes.Make(x.DType(), batch, 1, cin))}, 1)
	}
	// Gather by (image, row) pairs: the row numbers are the same for every
	// image, so the graph's constant does not grow with the batch.
	n := oh * ow * 9
	image := graph.BroadcastToDims(graph.Iota(g, shapes.Make(dtypes.Int32, batch, 1, 1), 0), batch, n, 1)
	row := graph.BroadcastToDims(graph.Const(g, patchRows(h, w, pad)), batch, n, 1)
	patches := graph.Gather(rows, graph.Concatenate([]*graph.Node{image, row}, 2)) // [batch, n, cin]
	patches = graph.Reshape(patches, batch*oh*ow, 9*cin)                           // im2col matrix
	kernel, bias := convVariables(ctx, g, cin, filters)
	y := graph.Add(graph.Dot(patches, kernel), graph.InsertAxes(bias, 0))
	return graph.Reshape(y, batch, oh, ow, filters)
}

// convVariables returns the kernel [9·cin, filters] (rows in (dy, dx, cin)
// order, i.e. a [3, 3, cin, filters] kernel flattened) and the bias of a
// 3×3 convolution. Both formulations use exactly these variables.
//
// The kernel starts as Keras' glorot_uniform does for a [3, 3, cin, filters]
// kernel: uniform in ±√(6 / (fan_in + fan_out)) with fan_in = 9·cin and
// fan_out = 9·filters. (GoMLX's GlorotUniformFn would read the flattened
// shape as a dense layer's, fan_out = filters, and start 1.3 to 2.3 times
// wider.)
func convVariables(ctx *context.Context, g *graph.Graph, cin, filters int) (kernel, bias *graph.Node) {
	limit := math.Sqrt(6 / float64(9*cin+9*filters))
	kernel = ctx.WithInitializer(initializers.RandomUniformFn(ctx, -limit, limit)).
		VariableWithShape("weights", shapes.Make(dtypes.Float32, 9*cin, filters)).ValueGraph(g)
	bias = ctx.WithInitializer(initializers.Zero).VariableWithShape("biases", shapes.Make(dtypes.Float32, filters)).ValueGraph(g)
	return kernel, bias
}

// nativeConv3x3 is conv3x3 with GoMLX's convolution operation, on the same variables.
func nativeConv3x3(ctx *context.Context, x *graph.Node, filters int, same bool) *graph.Node {
	cin := x.Shape().Dimensions[3]
	kernel, bias := convVariables(ctx, x.Graph(), cin, filters)
	conv := graph.Convolve(x, graph.Reshape(kernel, 3, 3, cin, filters)).Strides(1)
	if same {
		conv = conv.PadSame()
	} else {
		conv = conv.NoPadding()
	}
	return graph.Add(conv.Done(), graph.Reshape(bias, 1, 1, 1, filters))
}

// patchRows returns, for every output pixel of a 3×3 convolution over an
// h×w image padded by pad on each side, the row numbers (in the image's
// flattened [h·w] pixels, with row h·w meaning "zero padding") of its 9 input
// pixels, in (dy, dx) row-major order: a [1, oh·ow·9, 1] tensor.
func patchRows(h, w, pad int) *tensors.Tensor {
	oh, ow := h+2*pad-2, w+2*pad-2
	zeroRow := int32(h * w)
	out := make([]int32, 0, oh*ow*9)
	for i := range oh {
		for j := range ow {
			for dy := range 3 {
				for dx := range 3 {
					y, x := i+dy-pad, j+dx-pad
					idx := zeroRow
					if y >= 0 && y < h && x >= 0 && x < w {
						idx = int32(y*w + x)
					}
					out = append(out, idx)
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(out, 1, len(out), 1)
}

// maxPool2x2 is a 2×2 max pooling with stride 2 written as a reshape to
// [batch, h/2, 2, w/2, 2, c] and a max over the two window axes. h and w must
// be even (Config.Validate ensures it).
//
// Its gradient passes each output's gradient back once, shared among the
// window's values equal to the max. GoMLX v0.26.0 differentiates ReduceMax
// by giving the whole gradient to every such value, so a window of tied
// values (a flat background, or zeros after a ReLU: 14 % of the first
// pooling's windows on the default dataset) passed it back two to four
// times, and the first convolutions' gradients came out up to twice what a
// numeric derivative gives. Keras gives it to one of the tied values; the
// total, which is what the weights below see, is the same.
func maxPool2x2(x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	batch, h, w, c := dims[0], dims[1], dims[2], dims[3]
	windows := graph.Reshape(x, batch, h/2, 2, w/2, 2, c)
	pooled := graph.ReduceMax(windows, 2, 4)
	// share is 1/n for each of the n values equal to their window's max, 0
	// for the others.
	maxes := graph.BroadcastToDims(graph.Reshape(pooled, batch, h/2, 1, w/2, 1, c), windows.Shape().Dimensions...)
	isMax := graph.ConvertDType(graph.Equal(windows, maxes), x.DType())
	ties := graph.BroadcastToDims(graph.ReduceAndKeep(isMax, graph.ReduceSum, 2, 4), windows.Shape().Dimensions...)
	share := graph.StopGradient(graph.Div(isMax, ties))
	// pooled's value, routed's gradient: routed - routed is exactly 0.
	routed := graph.ReduceSum(graph.Mul(windows, share), 2, 4)
	return graph.Add(graph.StopGradient(pooled), graph.Sub(routed, graph.StopGradient(routed)))
}

// FormulationFor returns the fastest formulation for backend: Im2Col on the
// pure-Go backend (the only one it can train) and on XLA CUDA (native
// convolutions spent 30 s to minutes in cuDNN autotuning there, in the H100
// measurements issue 6 quotes), Native on XLA CPU (Eigen's convolutions beat
// gathered patches: bench/README.md has the figures).
func FormulationFor(backend backends.Backend) Formulation {
	if backend == nil {
		return Im2Col
	}
	name, desc := strings.ToLower(backend.Name()), strings.ToLower(backend.Description())
	isXLA := strings.HasPrefix(name, "xla") || strings.Contains(name, "hlo")
	if isXLA && !strings.Contains(desc, "cuda") && !strings.Contains(desc, "gpu") {
		return Native
	}
	return Im2Col // works on every backend
}
