package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/display"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

// HistorySeries returns a training history as plot series: training and
// validation loss, and training and validation accuracy, by epoch (the
// validation series only over the epochs that were validated).
func HistorySeries(history []train.Epoch) (loss, accuracy []display.Series) {
	trainLoss := display.Series{Name: "train"}
	valLoss := display.Series{Name: "validation"}
	trainAcc := display.Series{Name: "train"}
	valAcc := display.Series{Name: "validation"}
	for _, e := range history {
		x := float64(e.Epoch)
		trainLoss.X, trainLoss.Y = append(trainLoss.X, x), append(trainLoss.Y, e.TrainLoss)
		trainAcc.X, trainAcc.Y = append(trainAcc.X, x), append(trainAcc.Y, e.TrainAccuracy)
		if e.Validated {
			valLoss.X, valLoss.Y = append(valLoss.X, x), append(valLoss.Y, e.ValLoss)
			valAcc.X, valAcc.Y = append(valAcc.X, x), append(valAcc.Y, e.ValAccuracy)
		}
	}
	loss, accuracy = []display.Series{trainLoss}, []display.Series{trainAcc}
	if len(valLoss.X) > 0 {
		loss, accuracy = append(loss, valLoss), append(accuracy, valAcc)
	}
	return loss, accuracy
}

// ShowHistory plots a training history (loss, then accuracy; train and
// validation) as SVG line plots and prints the final and best validation
// accuracy to Output. It ends with display.Flush.
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
	if !last.Validated {
		fmt.Fprintf(Output, "training accuracy %.3f after %s (nothing held out for validation)\n", last.TrainAccuracy, plural(last.Epoch, "epoch"))
		return
	}
	for _, e := range history {
		if e.Validated && (!best.Validated || e.ValAccuracy > best.ValAccuracy) {
			best = e
		}
	}
	fmt.Fprintf(Output, "validation accuracy %.3f after %s (best %.3f, epoch %d, kept in best/)\n",
		last.ValAccuracy, plural(last.Epoch, "epoch"), best.ValAccuracy, best.Epoch)
}

// ModelTable returns the CNN's layers as a table, like Keras'
// model.summary(): each layer, what it does, its output shape for one
// picture, and its parameters, then the total.
func ModelTable(cfg model.Config) (header []string, rows [][]string) {
	header = []string{"layer", "does", "output shape", "parameters"}
	for _, l := range cfg.Layers() {
		shape := make([]string, len(l.Output))
		for i, d := range l.Output {
			shape[i] = strconv.Itoa(d)
		}
		rows = append(rows, []string{l.Name, l.Kind, strings.Join(shape, "×"), thousands(l.Params)})
	}
	return header, append(rows, []string{"total", "", "", thousands(cfg.Params())})
}

// thousands formats n with a thin space between groups of three digits: "4 032 547".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "\u2009" + s[i:]
	}
	return s
}
