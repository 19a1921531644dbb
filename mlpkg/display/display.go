// Package display shows results in Jupyter notebooks running the GoNB kernel:
// image grids with captions, tables, training curves (SVG), confusion
// matrices and class probabilities.
//
// It is the only package of the project that imports gonbui. Each Show-style
// function has a pure counterpart that returns the HTML, SVG or text as a
// string (ImageGridHTML, TableHTML, LinePlotSVG, ConfusionMatrixHTML,
// ProbabilitiesHTML, …), so the rendering is unit-tested without a notebook.
//
// Outside a notebook (a test, or any program run outside GoNB) the display
// functions print a plain-text version to Output instead, or do nothing where
// there is no useful text (HTML).
//
// The functions take plain types ([]image.Image, []string, [][]int, []float64)
// so that any package can feed them.
//
// Importing it in a notebook also quiets log/slog's default logger to
// warnings and errors: library logs (which GoMLX backend was picked, a
// server's requests) go to standard error, which GoNB shows in red, as if
// something had failed. Outside a notebook the default logger is left alone.
package display

import (
	"fmt"
	"html"
	"image"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Output receives the plain-text rendering when the code does not run in a
// notebook. Tests may replace it.
var Output io.Writer = os.Stdout

// In a notebook, library logs (log/slog's default logger: which GoMLX
// backend was picked, a server's requests, …) show warnings and errors only:
// the notebooks print what matters themselves, and GoNB shows standard
// error, where these go, in red, as if something had failed. Outside a
// notebook the default logger is left alone.
func init() {
	if gonbui.IsNotebook {
		slog.SetDefault(notebookLogger(os.Stderr))
	}
}

// notebookLogger is the default logger in a notebook: warnings and errors, as text, to w.
func notebookLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// IsNotebook reports whether the program runs as a GoNB notebook cell.
func IsNotebook() bool { return gonbui.IsNotebook }

// HTML displays raw HTML in the notebook; outside a notebook it does nothing.
func HTML(htmlText string) {
	if IsNotebook() {
		showHTML(htmlText)
	}
}

// Markdown displays Markdown in the notebook; outside a notebook it prints
// the Markdown text as it is.
func Markdown(markdown string) {
	if IsNotebook() {
		gonbui.DisplayMarkdown(markdown)
		Flush()
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
		Flush()
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
	showHTML(h)
	return nil
}

// Table shows a table with a header row. Outside a notebook it prints the
// table as aligned text.
func Table(header []string, rows [][]string) {
	if IsNotebook() {
		showHTML(TableHTML(header, rows))
		return
	}
	printText(TableText(header, rows))
}

// LinePlot shows series as an SVG line plot (see LinePlotSVG). Outside a
// notebook it prints one summary line per series.
func LinePlot(title, xLabel, yLabel string, series ...Series) {
	if IsNotebook() {
		gonbui.DisplaySvg(LinePlotSVG(title, xLabel, yLabel, series...))
		Flush()
		return
	}
	printText(LinePlotText(title, series...))
}

// Plot is one line plot of LinePlots: its title, axis labels and series, as
// LinePlotSVG takes them.
type Plot struct {
	Title, XLabel, YLabel string
	Series                []Series
}

// LinePlots shows plots side by side, wrapping onto more rows on a narrow
// page, as one HTML block of their SVGs (see LinePlotSVG). Outside a
// notebook it prints each plot's summary lines.
func LinePlots(plots ...Plot) {
	if !IsNotebook() {
		for _, p := range plots {
			printText(LinePlotText(p.Title, p.Series...))
		}
		return
	}
	showHTML(LinePlotsHTML(plots...))
}

// LinePlotsHTML is the HTML block LinePlots shows: the plots' SVGs in a
// wrapping row.
func LinePlotsHTML(plots ...Plot) string {
	var b strings.Builder
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start">`)
	for _, p := range plots {
		b.WriteString("<div>" + LinePlotSVG(p.Title, p.XLabel, p.YLabel, p.Series...) + "</div>")
	}
	b.WriteString("</div>")
	return b.String()
}

// ConfusionMatrix shows a confusion matrix (rows: true class, columns:
// predicted class) as a shaded table (see ConfusionMatrixHTML). Outside a
// notebook it prints the matrix as text.
func ConfusionMatrix(labels []string, counts [][]int) {
	if IsNotebook() {
		showHTML(ConfusionMatrixHTML(labels, counts))
		return
	}
	printText(ConfusionMatrixText(labels, counts))
}

// Probabilities shows one prediction's class probabilities as horizontal
// bars (see ProbabilitiesHTML). Outside a notebook it prints text bars.
func Probabilities(labels []string, probs []float64) {
	if IsNotebook() {
		showHTML(ProbabilitiesHTML(labels, probs))
		return
	}
	printText(ProbabilitiesText(labels, probs))
}

// flushTimeout bounds how long Flush waits for GoNB.
const flushTimeout = 5 * time.Second

// Flush waits (at most 5 s) until GoNB has received everything
// displayed so far; outside a notebook it returns at once. Every display
// function of this package ends with it: GoNB v0.11.1 stops reading a cell's
// display pipe as soon as the cell's program exits, so a display sent just
// before the exit could be lost (measured: about one cell in ten lost its
// last display). Call it yourself after displaying with gonbui directly.
func Flush() {
	if !IsNotebook() {
		return
	}
	done := make(chan struct{})
	go func() {
		gonbui.Sync()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(flushTimeout):
		// gonbui.Sync cannot be cancelled: its goroutine stays blocked
		// until GoNB answers or the cell's program exits. One per timeout,
		// and a timeout means GoNB is gone, so few ever pile up.
	}
}

// showHTML displays HTML and waits until GoNB has it (see Flush).
func showHTML(h string) {
	gonbui.DisplayHTML(h)
	Flush()
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
