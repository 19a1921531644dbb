package model

import (
	"sync"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// installMatMulGradient replaces GoMLX's gradient of graph.Dot for the
// matrix × matrix case with the textbook one, dX = dY·Wᵀ and dW = Xᵀ·dY,
// written as two DotGeneral calls.
//
// GoMLX v0.26.0 writes that gradient as a broadcast multiply followed by a
// sum, which materialises an [M, K, N] temporary: for the CNN's first dense
// layer (32 × 7744 × 512 floats) that is half a gigabyte per step, and for the
// convolutions (written as matrix products, see conv3x3) it does not fit in
// memory at all. The replacement is mathematically identical, so other graphs
// in the same process only get faster; the vector cases still go to GoMLX's
// own implementation (a gradient of this gradient goes through DotGeneral's).
//
// graph.VJPRegistration is GoMLX's documented table of gradient functions,
// meant to be changed "for experimentation"; this runs once, when the package
// is initialised.
var installMatMulGradient = sync.OnceFunc(func() {
	original := graph.VJPRegistration[graph.NodeTypeDot]
	graph.VJPRegistration[graph.NodeTypeDot] = func(node *graph.Node, vjpOutputs []*graph.Node, outputShape shapes.Shape) []*graph.Node {
		inputs := node.Inputs()
		x, w, dy := inputs[0], inputs[1], vjpOutputs[0]
		if x.Rank() != 2 || w.Rank() != 2 || dy.Rank() != 2 || !outputShape.IsScalar() {
			return original(node, vjpOutputs, outputShape)
		}
		dx := graph.DotGeneral(dy, []int{1}, nil, w, []int{1}, nil) // [M, N] · [K, N]ᵀ → [M, K]
		dw := graph.DotGeneral(x, []int{0}, nil, dy, []int{0}, nil) // [M, K]ᵀ · [M, N] → [K, N]
		return []*graph.Node{dx, dw}
	}
})

func init() { installMatMulGradient() }
