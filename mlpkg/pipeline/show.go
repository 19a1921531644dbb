package pipeline

import (
	"fmt"

	"github.com/animalcnn/animalcnn/mlpkg/display"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

// HistorySeries returns a training history as plot series: training and
// test loss, and training and test accuracy, by epoch.
func HistorySeries(history []train.Epoch) (loss, accuracy []display.Series) {
	trainLoss := display.Series{Name: "train"}
	testLoss := display.Series{Name: "test"}
	trainAcc := display.Series{Name: "train"}
	testAcc := display.Series{Name: "test"}
	for _, e := range history {
		x := float64(e.Epoch)
		for _, s := range []*display.Series{&trainLoss, &testLoss, &trainAcc, &testAcc} {
			s.X = append(s.X, x)
		}
		trainLoss.Y = append(trainLoss.Y, e.TrainLoss)
		testLoss.Y = append(testLoss.Y, e.TestLoss)
		trainAcc.Y = append(trainAcc.Y, e.TrainAccuracy)
		testAcc.Y = append(testAcc.Y, e.TestAccuracy)
	}
	return []display.Series{trainLoss, testLoss}, []display.Series{trainAcc, testAcc}
}

// ShowHistory plots a training history (loss, then accuracy; train and test)
// as SVG line plots and prints the final and best test accuracy to Output.
// It ends with display.Flush.
func ShowHistory(history []train.Epoch) {
	if len(history) == 0 {
		fmt.Fprintln(Output, "no training history yet: train first")
		return
	}
	defer display.Flush()
	loss, acc := HistorySeries(history)
	display.LinePlot("Loss (categorical cross-entropy)", "epoch", "loss", loss...)
	display.LinePlot("Accuracy", "epoch", "accuracy", acc...)
	last, best := history[len(history)-1], history[0]
	for _, e := range history {
		if e.TestAccuracy > best.TestAccuracy {
			best = e
		}
	}
	fmt.Fprintf(Output, "test accuracy %.3f after %s (best %.3f, epoch %d, kept in best/)\n",
		last.TestAccuracy, plural(last.Epoch, "epoch"), best.TestAccuracy, best.Epoch)
}
