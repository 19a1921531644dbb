package eval_test

import (
	"fmt"
	"log"

	"github.com/animalcnn/animalcnn/mlpkg/eval"
)

// Measuring a classifier from the true labels of six images and the class
// probabilities it gave them (as predict.Prediction.Probabilities, or a
// model.Classifier's output).
func ExampleNew() {
	classes := []string{"monkey", "boar", "crow"}
	labels := []int32{0, 0, 1, 1, 2, 2}
	probs := [][]float32{
		{0.8, 0.1, 0.1}, // monkey, right
		{0.3, 0.6, 0.1}, // monkey taken for a boar
		{0.1, 0.7, 0.2}, // boar, right
		{0.2, 0.5, 0.3}, // boar, right
		{0.1, 0.1, 0.8}, // crow, right
		{0.6, 0.1, 0.3}, // crow taken for a monkey
	}
	r, err := eval.New(classes, labels, probs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("accuracy %.3f on %d images, loss %.3f\n", r.Accuracy, r.N, r.Loss)
	fmt.Println("confusion (rows: true class, columns: predicted):")
	for t, row := range r.Confusion {
		fmt.Printf("  %-6s %v\n", classes[t], row)
	}
	for c, name := range classes {
		fmt.Printf("%-6s precision %.2f recall %.2f F1 %.2f\n", name, r.Precision[c], r.Recall[c], r.F1[c])
	}
	fmt.Println("predicted:", r.Predicted, "wrong:", r.Wrong())
	fmt.Println("images per class:", r.Support(), "predicted per class:", r.PredictedAs())
	// Output:
	// accuracy 0.667 on 6 images, loss 0.651
	// confusion (rows: true class, columns: predicted):
	//   monkey [1 1 0]
	//   boar   [0 2 0]
	//   crow   [1 0 1]
	// monkey precision 0.50 recall 0.50 F1 0.50
	// boar   precision 0.67 recall 1.00 F1 0.80
	// crow   precision 1.00 recall 0.50 F1 0.67
	// predicted: [0 1 1 1 2 0] wrong: [1 5]
	// images per class: [2 2 2] predicted per class: [2 3 1]
}

// The plain-text report of a result.
func ExampleResult_String() {
	r, err := eval.New([]string{"sandal", "sneaker"}, []int32{0, 0, 1, 1},
		[][]float32{{0.9, 0.1}, {0.4, 0.6}, {0.2, 0.8}, {0.3, 0.7}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(r)
	// Output:
	// accuracy 0.7500, loss 0.4004 on 4 images
	//
	// class      precision  recall     f1  support
	// sandal         1.000   0.500  0.667        2
	// sneaker        0.667   1.000  0.800        2
	//
	// confusion matrix (rows: true class, columns: predicted)
	//           sandal sneaker
	// sandal         1       1
	// sneaker        0       2
}
