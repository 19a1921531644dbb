package pipeline

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
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

// ShowHistory plots a training history (loss and accuracy side by side;
// train and validation, with the epoch kept in best/ marked) as SVG line
// plots and prints the final validation accuracy and that of the epoch kept
// in best/ (train.BestEpoch) to Output. It ends with display.Flush.
func ShowHistory(history []train.Epoch) {
	if len(history) == 0 {
		fmt.Fprintln(Output, "no training history yet: train first (pipeline.Train: in 03_train, the cell under “Train”)")
		return
	}
	defer display.Flush()
	loss, acc := HistorySeries(history)
	last := history[len(history)-1]
	best, _ := train.BestEpoch(history) // the epoch best/ holds, by Train's own rule
	if last.Validated {
		name := fmt.Sprintf("kept in best/ (epoch %d)", best.Epoch)
		x := []float64{float64(best.Epoch)}
		loss = append(loss, display.Series{Name: name, X: x, Y: []float64{best.ValLoss}})
		acc = append(acc, display.Series{Name: name, X: x, Y: []float64{best.ValAccuracy}})
	}
	display.LinePlots(
		display.Plot{Title: "Loss (categorical cross-entropy)", XLabel: "epoch", YLabel: "loss", Series: loss},
		display.Plot{Title: "Accuracy", XLabel: "epoch", YLabel: "accuracy", Series: acc})
	if !last.Validated {
		fmt.Fprintf(Output, "training accuracy %.3f after %s (nothing held out for validation)\n", last.TrainAccuracy, plural(last.Epoch, "epoch"))
		return
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

// BackendsTable returns the GoMLX backends of backend.Available() as a
// table: each backend (def, backend.Default(), marked "default"), whether it
// is installed, and its plugin file or why it is missing, with how to
// install it.
func BackendsTable(infos []backend.Info, def string) (header []string, rows [][]string) {
	header = []string{"backend", "installed", "details"}
	for _, in := range infos {
		name := in.Name
		if name == def {
			name += " (default)"
		}
		installed := "no"
		if in.Installed {
			installed = "yes"
		}
		rows = append(rows, []string{name, installed, in.Details()})
	}
	return header, rows
}

// thousands formats n with a thin space between groups of three digits: "4 032 547".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "\u2009" + s[i:]
	}
	return s
}

// ShowDisplayDemo shows made-up data with each display helper, for the setup
// check notebook: a grid of colour-gradient stand-ins for photos (4 per
// class, 2 with quick), a loss curve over 20 epochs (8 with quick), a
// confusion matrix (21 of 27 right) and class probabilities. It returns how
// many images and epochs it showed.
func ShowDisplayDemo(quick bool) (images, epochs int, err error) {
	classes := []string{"monkey", "boar", "crow"}
	colors := []color.RGBA{{214, 120, 40, 255}, {140, 100, 60, 255}, {60, 70, 110, 255}}
	perClass, epochs := 4, 20
	if quick {
		perClass, epochs = 2, 8
	}
	var pictures []image.Image
	var captions []string
	for i, name := range classes {
		for k := range perClass {
			pictures = append(pictures, gradient(32, colors[i])) // shown 2× in the 64-pixel box
			captions = append(captions, fmt.Sprintf("%s #%d", name, k+1))
		}
	}
	if err := display.ImageGrid(pictures, captions, 6, 64); err != nil {
		return 0, 0, fmt.Errorf("display demo: %w", err)
	}
	loss, validation := display.Series{Name: "train"}, display.Series{Name: "validation"}
	for e := 1; e <= epochs; e++ {
		loss.Y = append(loss.Y, 1.1/float64(e)+0.05)
		validation.Y = append(validation.Y, 1.2/float64(e)+0.15)
	}
	display.LinePlot("Loss (made-up numbers)", "epoch", "loss", loss, validation)
	display.ConfusionMatrix(classes, [][]int{{8, 1, 1}, {1, 6, 1}, {0, 2, 7}})
	display.Probabilities(classes, []float64{0.07, 0.88, 0.05})
	return len(pictures), epochs, nil
}

// gradient returns a size×size image fading from a pale tint of c (top
// left) to c (bottom right), a stand-in for a photo.
func gradient(size int, c color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	mix := func(v uint8, f float64) uint8 { return uint8(255 - (255-float64(v))*f) }
	for y := range size {
		for x := range size {
			f := 0.25 + 0.75*float64(x+y)/float64(2*(size-1))
			img.Set(x, y, color.RGBA{mix(c.R, f), mix(c.G, f), mix(c.B, f), 255})
		}
	}
	return img
}
