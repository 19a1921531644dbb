// Package display shows results in Jupyter notebooks running the GoNB kernel:
// image grids with captions, tables, training curves (SVG), confusion
// matrices and class probabilities.
//
// It is the only package of the project that imports gonbui. Each Show-style
// function has a pure counterpart that returns the HTML, SVG or text as a
// string (ImageGridHTML, TableHTML, LinePlotSVG, ConfusionMatrixHTML,
// ProbabilitiesHTML, …), so the rendering is unit-tested without a notebook.
//
// Outside a notebook (a test, the command-line tool) the display functions
// print a plain-text version to Output instead, or do nothing where there is
// no useful text (HTML).
//
// The functions take plain types ([]image.Image, []string, [][]int, []float64)
// so that any package can feed them.
package display

import (
	"fmt"
	"html"
	"image"
	"io"
	"os"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
)

// Output receives the plain-text rendering when the code does not run in a
// notebook. Tests may replace it.
var Output io.Writer = os.Stdout

// IsNotebook reports whether the program runs as a GoNB notebook cell.
func IsNotebook() bool { return gonbui.IsNotebook }

// HTML displays raw HTML in the notebook; outside a notebook it does nothing.
func HTML(htmlText string) {
	if IsNotebook() {
		gonbui.DisplayHTML(htmlText)
	}
}

// Markdown displays Markdown in the notebook; outside a notebook it prints
// the Markdown text as it is.
func Markdown(markdown string) {
	if IsNotebook() {
		gonbui.DisplayMarkdown(markdown)
		return
	}
	printText(markdown)
}

// SVG displays an SVG document in the notebook; outside a notebook it does
// nothing. GoNB sends it as text/html (the SVG inside a <div>), which survives
// the export of the notebook to HTML.
func SVG(svg string) {
	if IsNotebook() {
		gonbui.DisplaySvg(svg)
	}
}

// ImageGrid shows images as a grid of small thumbnails with captions (see
// ImageGridHTML for columns and size). Outside a notebook it prints one line
// with the number of images and their captions.
func ImageGrid(images []image.Image, captions []string, columns, size int) error {
	if !IsNotebook() {
		printText(ImageGridText(images, captions))
		return nil
	}
	h, err := ImageGridHTML(images, captions, columns, size)
	if err != nil {
		return err
	}
	gonbui.DisplayHTML(h)
	return nil
}

// Table shows a table with a header row. Outside a notebook it prints the
// table as aligned text.
func Table(header []string, rows [][]string) {
	if IsNotebook() {
		gonbui.DisplayHTML(TableHTML(header, rows))
		return
	}
	printText(TableText(header, rows))
}

// LinePlot shows series as an SVG line plot (see LinePlotSVG). Outside a
// notebook it prints one summary line per series.
func LinePlot(title, xLabel, yLabel string, series ...Series) {
	if IsNotebook() {
		gonbui.DisplaySvg(LinePlotSVG(title, xLabel, yLabel, series...))
		return
	}
	printText(LinePlotText(title, series...))
}

// ConfusionMatrix shows a confusion matrix (rows: true class, columns:
// predicted class) as a shaded table (see ConfusionMatrixHTML). Outside a
// notebook it prints the matrix as text.
func ConfusionMatrix(labels []string, counts [][]int) {
	if IsNotebook() {
		gonbui.DisplayHTML(ConfusionMatrixHTML(labels, counts))
		return
	}
	printText(ConfusionMatrixText(labels, counts))
}

// Probabilities shows one prediction's class probabilities as horizontal
// bars (see ProbabilitiesHTML). Outside a notebook it prints text bars.
func Probabilities(labels []string, probs []float64) {
	if IsNotebook() {
		gonbui.DisplayHTML(ProbabilitiesHTML(labels, probs))
		return
	}
	printText(ProbabilitiesText(labels, probs))
}

// printText writes s to Output, ending it with one newline.
func printText(s string) {
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	_, _ = io.WriteString(Output, s)
}

// esc escapes text for HTML and SVG (XML) content and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// label returns labels[i], or the index as text where labels is too short.
func label(labels []string, i int) string {
	if i < len(labels) {
		return labels[i]
	}
	return fmt.Sprint(i)
}
