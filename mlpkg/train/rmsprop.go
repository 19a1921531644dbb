package train

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// optimizerName names the optimiser in a run's hyperparameters (model.json):
// runs trained with another one (GoMLX's bias-corrected RMSProp, before) are
// not resumed.
const optimizerName = "keras_rmsprop"

// rmsPropScope holds the optimiser's running mean squares, one per trainable
// variable, at the same scope below it.
const rmsPropScope = "rmsprop"

// rmsProp is RMSprop as the course's Keras defines it (not centred, no
// momentum): for each weight w with gradient g, starting from a = 0,
//
//	a ← ρ·a + (1−ρ)·g²
//	w ← w − lr·g / (√a + ε)
//
// (Standalone Keras 2, the course's, adds ε outside the square root, as
// here; tf.keras and Keras 3 add it inside, √(a + ε), which differs only
// while a is below about ε.)
//
// GoMLX's optimizers.RMSProp is Adam without the first moment: it also
// divides a by Adam's bias correction (1−ρᵗ), which makes its first steps up
// to 1/√(1−ρ) ≈ 3.2 times smaller than Keras'. The learning rate is the
// context's learning-rate variable, so Keras' legacy decay can set it every
// step (see newTrainer); the global step is incremented here.
type rmsProp struct {
	lr, rho, epsilon float64
}

// UpdateGraph implements optimizers.Interface.
func (o rmsProp) UpdateGraph(ctx *mlctx.Context, g *graph.Graph, loss *graph.Node) {
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	dtype := loss.DType()
	lr := optimizers.LearningRateVar(ctx, dtype, o.lr).ValueGraph(g)
	optimizers.IncrementGlobalStepGraph(ctx, g, dtype)
	i := 0
	for v := range ctx.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if i == len(grads) {
			panic(fmt.Sprintf("rmsprop: more trainable variables than the %d gradients", len(grads)))
		}
		grad := grads[i]
		i++
		meanSquare := ctx.Checked(false).InAbsPath(mlctx.ScopeSeparator+rmsPropScope+v.Scope()).
			WithInitializer(initializers.Zero).
			VariableWithShape(v.Name()+"_mean_square", v.Shape()).SetTrainable(false)
		a := graph.Add(graph.MulScalar(meanSquare.ValueGraph(g), o.rho), graph.MulScalar(graph.Square(grad), 1-o.rho))
		meanSquare.SetValueGraph(a)
		step := graph.Div(graph.Mul(lr, grad), graph.AddScalar(graph.Sqrt(a), o.epsilon))
		v.SetValueGraph(graph.Sub(v.ValueGraph(g), step))
	}
	if i != len(grads) {
		panic(fmt.Sprintf("rmsprop: %d gradients for %d trainable variables", len(grads), i))
	}
}

// Clear implements optimizers.Interface: it deletes the running mean squares.
func (o rmsProp) Clear(ctx *mlctx.Context) error {
	return ctx.InAbsPath(mlctx.ScopeSeparator + rmsPropScope).DeleteVariablesInScope()
}
