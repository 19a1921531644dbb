package model_test

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// The course's CNN for three classes: its settings and size.
func ExampleDefaultConfig() {
	cfg := model.DefaultConfig(3)
	if err := cfg.Validate(); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%d×%d RGB in, %d classes out\n", cfg.ImageSize, cfg.ImageSize, cfg.NumClasses)
	fmt.Println("filters:", cfg.Filters1, cfg.Filters2, "dense:", cfg.DenseUnits)
	fmt.Println("dropout:", cfg.ConvDropout, cfg.DenseDropout)
	fmt.Println("flattened features:", cfg.FlatFeatures())
	fmt.Println("parameters:", cfg.Params())
	// Output:
	// 50×50 RGB in, 3 classes out
	// filters: 32 64 dense: 512
	// dropout: 0.25 0.5
	// flattened features: 7744
	// parameters: 4032547
}

// A model summary, as Keras' model.summary() prints it, for a smaller
// variant of the CNN.
func ExampleConfig_Layers() {
	cfg := model.DefaultConfig(2)
	cfg.ImageSize = 30
	cfg.Filters1, cfg.Filters2, cfg.DenseUnits = 8, 16, 32

	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "layer\tkind\toutput\tparams")
	for _, l := range cfg.Layers() {
		fmt.Fprintf(w, "%s\t%s\t%v\t%d\n", l.Name, l.Kind, l.Output, l.Params)
	}
	fmt.Fprintf(w, "total\t\t\t%d\n", cfg.Params())
	w.Flush()
	// Output:
	// layer     kind                                                   output      params
	// conv1     conv 3×3, 8, same + ReLU                               [30 30 8]   224
	// conv2     conv 3×3, 8, valid + ReLU                              [28 28 8]   584
	// max_pool  max pooling 2×2                                        [14 14 8]   0
	// dropout   dropout 0.25                                           [14 14 8]   0
	// conv3     conv 3×3, 16, same + ReLU                              [14 14 16]  1168
	// conv4     conv 3×3, 16, valid + ReLU                             [12 12 16]  2320
	// max_pool  max pooling 2×2                                        [6 6 16]    0
	// dropout   dropout 0.25                                           [6 6 16]    0
	// flatten   flatten                                                [576]       0
	// dense1    dense 32 + ReLU                                        [32]        18464
	// dropout   dropout 0.5                                            [32]        0
	// dense2    dense 2 (logits; softmax in the loss and predictions)  [2]         66
	// total                                                                        22826
}

// The CNN takes only some input sizes: prepare the data at one of them.
func ExampleCheckImageSize() {
	for _, size := range []int{28, 30, 50} {
		fmt.Println(size, model.CheckImageSize(size))
	}
	// Output:
	// 28 model: image size must be 14 or more and leave 2 when divided by 4 (e.g. 30, 34, 50, 66), got 28
	// 30 <nil>
	// 50 <nil>
}
