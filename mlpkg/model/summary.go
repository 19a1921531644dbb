package model

import "strconv"

// Layer is one row of a model summary, as Keras' model.summary() prints it.
type Layer struct {
	// Name is the layer's variable scope ("conv1", …), or its kind for
	// layers without variables ("max_pool", "dropout", "flatten").
	Name string
	// Kind says what the layer does, e.g. "conv 3×3, 32, same + ReLU".
	Kind string
	// Output is the shape of one image's output, without the batch axis.
	Output []int
	// Params is the number of trainable parameters (weights and biases).
	Params int
}

// Layers lists the CNN's layers in order, with their output shapes and
// parameter counts, computed from c alone (no graph is built).
func (c Config) Layers() []Layer {
	var layers []Layer
	h, ch := c.ImageSize, 3
	conv := func(name string, filters int, same bool) {
		padding := "same"
		if !same {
			padding, h = "valid", h-2
		}
		layers = append(layers, Layer{Name: name, Kind: "conv 3×3, " + itoa(filters) + ", " + padding + " + ReLU",
			Output: []int{h, h, filters}, Params: 9*ch*filters + filters})
		ch = filters
	}
	pool := func(rate float64) {
		h /= 2
		layers = append(layers,
			Layer{Name: "max_pool", Kind: "max pooling 2×2", Output: []int{h, h, ch}},
			Layer{Name: "dropout", Kind: "dropout " + ftoa(rate), Output: []int{h, h, ch}})
	}
	conv("conv1", c.Filters1, true)
	conv("conv2", c.Filters1, false)
	pool(c.ConvDropout)
	conv("conv3", c.Filters2, true)
	conv("conv4", c.Filters2, false)
	pool(c.ConvDropout)
	flat := h * h * ch
	layers = append(layers,
		Layer{Name: "flatten", Kind: "flatten", Output: []int{flat}},
		Layer{Name: "dense1", Kind: "dense " + itoa(c.DenseUnits) + " + ReLU", Output: []int{c.DenseUnits}, Params: flat*c.DenseUnits + c.DenseUnits},
		Layer{Name: "dropout", Kind: "dropout " + ftoa(c.DenseDropout), Output: []int{c.DenseUnits}},
		Layer{Name: "dense2", Kind: "dense " + itoa(c.NumClasses) + " (logits; softmax in the loss and predictions)",
			Output: []int{c.NumClasses}, Params: c.DenseUnits*c.NumClasses + c.NumClasses})
	return layers
}

// Params is the CNN's number of trainable parameters.
func (c Config) Params() int {
	n := 0
	for _, l := range c.Layers() {
		n += l.Params
	}
	return n
}

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
