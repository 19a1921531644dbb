package display

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/animalcnn/animalcnn/mlpkg/internal/textwidth"
)

// solid returns a w×h image of one colour.
func solid(w, h int, c color.Color) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

// wellFormed fails the test if s is not well-formed XML (HTML fragments here
// are written as XHTML-compatible markup, so the same check serves both).
func wellFormed(t *testing.T, s string) {
	t.Helper()
	// <br> and <wbr> are the only void elements the package writes without a slash.
	s = strings.ReplaceAll(s, "<br>", "<br/>")
	s = strings.ReplaceAll(s, "<wbr>", "<wbr/>")
	s = regexp.MustCompile(`(<img [^>]*[^/])>`).ReplaceAllString(s, "$1/>")
	d := xml.NewDecoder(strings.NewReader("<root>" + s + "</root>"))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
	}
}

func TestImageGridHTML(t *testing.T) {
	imgs := []image.Image{solid(50, 50, color.RGBA{255, 0, 0, 255}), solid(300, 150, color.RGBA{0, 0, 255, 255}), nil}
	caps := []string{"monkey <1>", "boar & co"}
	h, err := ImageGridHTML(imgs, caps, 2, 64)
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, h)
	if got := strings.Count(h, "<tr>"); got != 2 {
		t.Errorf("rows = %d, want 2 (3 images, 2 columns)", got)
	}
	if got := strings.Count(h, "<figure"); got != 3 {
		t.Errorf("figures = %d, want 3", got)
	}
	if got := strings.Count(h, "<img "); got != 2 {
		t.Errorf("img tags = %d, want 2 (nil image has none)", got)
	}
	for _, want := range []string{"monkey &lt;1&gt;", "boar &amp; co", `width="50" height="50"`, `width="64" height="32"`} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
	// The large image is downscaled before embedding; the small one kept.
	srcs := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindAllStringSubmatch(h, -1)
	if len(srcs) != 2 {
		t.Fatalf("found %d embedded PNGs, want 2", len(srcs))
	}
	wantSizes := [][2]int{{50, 50}, {64, 32}}
	for i, m := range srcs {
		cfg := embeddedPNG(t, m[1])
		if cfg.Width != wantSizes[i][0] || cfg.Height != wantSizes[i][1] {
			t.Errorf("embedded image %d is %dx%d, want %v", i, cfg.Width, cfg.Height, wantSizes[i])
		}
	}
}

// Small images are enlarged by whole factors only: a pixelated 1.9× would
// draw some pixels twice as wide as others.
func TestShownSize(t *testing.T) {
	for _, tc := range []struct{ w, h, size, wantW, wantH int }{
		{50, 50, 96, 50, 50},    // 1.92×: native size
		{50, 50, 100, 100, 100}, // 2×
		{28, 28, 80, 56, 56},    // 2.86×: 2×
		{28, 28, 112, 112, 112}, // 4×
		{30, 20, 64, 60, 40},    // by the longer side
		{524, 108, 560, 524, 108},
		{300, 150, 64, 64, 32}, // larger: fitted (thumbnail scales it down)
		{1, 1, 96, 96, 96},
	} {
		if w, h := shownSize(tc.w, tc.h, tc.size); w != tc.wantW || h != tc.wantH {
			t.Errorf("shownSize(%d×%d in %d) = %d×%d, want %d×%d", tc.w, tc.h, tc.size, w, h, tc.wantW, tc.wantH)
		}
	}
}

// Captions break between words, and a file name before its extension; never
// anywhere (which split "17 %" from its number).
func TestCaptionBreaks(t *testing.T) {
	h, err := ImageGridHTML([]image.Image{solid(4, 4, color.White), solid(4, 4, color.White)},
		[]string{"50000000031.jpg", "true ankle_boot: sneaker 81\u00a0%, e.g. 0.95"}, 2, 56)
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, h)
	if strings.Contains(h, "overflow-wrap:anywhere") || !strings.Contains(h, "overflow-wrap:break-word") {
		t.Errorf("captions may break anywhere: %s", h)
	}
	if !strings.Contains(h, ">50000000031<wbr>.jpg</figcaption>") {
		t.Errorf("no break opportunity before the extension: %s", h)
	}
	if strings.Count(h, "<wbr>") != 1 || !strings.Contains(h, "81\u00a0%, e.g. 0.95<") {
		t.Errorf("break opportunities in a caption without file names: %s", h)
	}
}

func TestImageGridDefaultsAndText(t *testing.T) {
	imgs := make([]image.Image, 10)
	for i := range imgs {
		imgs[i] = solid(8, 8, color.Gray{uint8(i * 20)})
	}
	h, err := ImageGridHTML(imgs, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(h, "<tr>"); got != 2 {
		t.Errorf("rows = %d, want 2 with %d columns", got, DefaultColumns)
	}
	if !strings.Contains(h, `width="96" height="96"`) {
		t.Errorf("default thumbnail size not used")
	}
	if got, want := ImageGridText(imgs[:2], []string{"a", "b", "c"}), "[2 images] a, b"; got != want {
		t.Errorf("ImageGridText = %q, want %q", got, want)
	}
}

func TestTables(t *testing.T) {
	header := []string{"class", "count"}
	rows := [][]string{{"monkey", "255"}, {"a|b", "<x>"}}
	h := TableHTML(header, rows)
	wellFormed(t, h)
	if strings.Count(h, "<th ") != 2 || strings.Count(h, "<td ") != 4 || !strings.Contains(h, "&lt;x&gt;") {
		t.Errorf("TableHTML: %s", h)
	}
	md := TableMarkdown(header, rows)
	want := "| class | count |\n| --- | --- |\n| monkey | 255 |\n| a\\|b | <x> |\n"
	if md != want {
		t.Errorf("TableMarkdown =\n%s\nwant\n%s", md, want)
	}
	txt := TableText(header, rows)
	if !strings.Contains(txt, "monkey  255") {
		t.Errorf("TableText not aligned:\n%s", txt)
	}
	// Wide characters take two columns; a tab or line break in a cell
	// stays on its row; the last cell is not padded.
	txt = TableText([]string{"class", "n"}, [][]string{{"サル", "1"}, {"monkey", "2"}, {"tab\there", "3"}, {"line1\r\nline2", "4"}})
	want = "class        n\nサル         1\nmonkey       2\ntab here     3\nline1 line2  4\n"
	if txt != want {
		t.Errorf("TableText =\n%s\nwant\n%s", txt, want)
	}
	if md := TableMarkdown([]string{"a"}, [][]string{{"x|y\r\nz\rw"}}); md != "| a |\n| --- |\n| x\\|y z w |\n" {
		t.Errorf("TableMarkdown with line breaks = %q", md)
	}
	if got := ImageGridText(nil, nil); got != "[0 images]" {
		t.Errorf("ImageGridText of none = %q", got)
	}
}

func TestConfusionMatrix(t *testing.T) {
	labels := []string{"monkey", "boar", "crow"}
	counts := [][]int{{8, 1, 1}, {0, 5, 0}, {2, 0, 0}}
	h := ConfusionMatrixHTML(labels, counts)
	wellFormed(t, h)
	for _, want := range []string{
		"accuracy 76.5 % (13/17)",
		"rgba(31,119,180,0.68)", // monkey→monkey: 80% of the row, blue
		"rgba(31,119,180,0.85)", // boar→boar: 100%
		"rgba(214,39,40,0.85)",  // crow→monkey: 100%, red
	} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q", want)
		}
	}
	if !strings.Contains(h, ">0.0 %</td></tr>") {
		t.Errorf("crow recall 0.0 %% missing")
	}
	txt := ConfusionMatrixText(labels, counts)
	if !strings.Contains(txt, "accuracy 76.5 % (13/17)") || !strings.Contains(txt, "80.0 %") {
		t.Errorf("ConfusionMatrixText:\n%s", txt)
	}
	// Ragged or non-square input: both renderings read the same square
	// matrix, nothing left out.
	for _, ragged := range [][][]int{{{3, 1, 2}, {4}}, {{3, 1}, {0, 2, 5}}, {{1, 2}}} {
		h, txt := ConfusionMatrixHTML(nil, ragged), ConfusionMatrixText(nil, ragged)
		total, correct := 0, 0
		for i, row := range ragged {
			for j, c := range row {
				total += c
				if i == j {
					correct += c
				}
			}
		}
		want := fmt.Sprintf("(%d/%d)", correct, total)
		if !strings.Contains(h, want) || !strings.Contains(txt, want) {
			t.Errorf("matrix %v: want accuracy %s in both:\n%s\n%s", ragged, want, h, txt)
		}
		wellFormed(t, h)
	}
	// Empty matrix: no division by zero.
	if got := ConfusionMatrixHTML(nil, nil); !strings.Contains(got, "accuracy –") {
		t.Errorf("empty matrix: %s", got)
	}
}

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{{0.9523, "95.2 %"}, {1, "100.0 %"}, {0, "0.0 %"}, {math.NaN(), "–"}} {
		if got := Percent(tc.x); got != tc.want {
			t.Errorf("Percent(%g) = %q, want %q", tc.x, got, tc.want)
		}
	}
}

func TestProbabilities(t *testing.T) {
	labels := []string{"monkey", "boar", "crow"}
	probs := []float64{0.1, 0.85, math.NaN()}
	h := ProbabilitiesHTML(labels, probs)
	wellFormed(t, h)
	for _, want := range []string{"width:170.0px", "85.0 %", "width:0.0px", `font-weight:bold"><td style="padding:1px 6px;text-align:right">boar`} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
	txt := ProbabilitiesText(labels, probs)
	lines := strings.Split(strings.TrimSpace(txt), "\n")
	// Bars start in the same terminal column whatever the labels' widths.
	wide := strings.Split(ProbabilitiesText([]string{"サル", "イノシシ", "crow"}, []float64{0.1, 0.8, 0.1}), "\n")
	for _, l := range wide[:3] {
		if col := textwidth.Width(l[:strings.Index(l, "#")]); col != 11 {
			t.Errorf("bar starts in column %d, want 11: %q", col, l)
		}
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "* boar  ") || !strings.Contains(lines[1], strings.Repeat("#", 17)+" ") || !strings.HasSuffix(lines[1], " 85.0 %") {
		t.Errorf("ProbabilitiesText:\n%s", txt)
	}
}

func TestLinePlotSVG(t *testing.T) {
	svg := LinePlotSVG("loss <train>", "epoch", "loss",
		Series{Name: "train", Y: []float64{1.0, 0.6, 0.4, math.NaN(), 0.3}},
		Series{Name: "validation", X: []float64{1, 3, 5}, Y: []float64{1.1, 0.7, 0.5}},
		Series{Name: "single", Y: []float64{0.2}},
		Series{Name: "empty"},
	)
	wellFormed(t, svg)
	if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("not an SVG document: %.80s", svg)
	}
	if got := strings.Count(svg, "<polyline"); got != 2 {
		t.Errorf("polylines = %d, want 2", got)
	}
	if got := strings.Count(svg, "<circle"); got != 1 {
		t.Errorf("circles = %d, want 1", got)
	}
	for _, want := range []string{"loss &lt;train&gt;", ">validation<", ">epoch<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %q", want)
		}
	}
	// The train series has 4 finite points (NaN skipped).
	m := regexp.MustCompile(`<polyline[^>]*points="([^"]*)"`).FindStringSubmatch(svg)
	if m == nil || len(strings.Fields(m[1])) != 4 {
		t.Errorf("train polyline: %v", m)
	}
	if len(svg) > 6000 {
		t.Errorf("SVG is %d bytes, want it small", len(svg))
	}
	// No points at all and a flat line both still render.
	wellFormed(t, LinePlotSVG("", "", ""))
	wellFormed(t, LinePlotSVG("flat", "", "", Series{Name: "c", Y: []float64{2, 2, 2}}))
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi     float64
		integer    bool
		start, end float64
		step       float64
	}{
		{0.03, 0.97, false, 0, 1, 0.2},
		{1, 10, false, 0, 10, 2},
		{-3, 7, false, -4, 8, 2},
		{5, 5, false, 4.4, 5.6, 0.2},
		{0.1, 0.7, false, 0, 0.8, 0.2},
		{1, 2, true, 1, 2, 1}, // two epochs: no tick at 1.2
		{1, 1, true, 0, 2, 1},
	} {
		ticks, start, end, step := niceTicks(tc.lo, tc.hi, 6, tc.integer)
		if start != tc.start || end != tc.end || step != tc.step || len(ticks) < 2 || math.Abs(ticks[1]-ticks[0]-tc.step) > 1e-9 {
			t.Errorf("niceTicks(%g, %g) = %v, %g, %g, step %g; want %g..%g step %g", tc.lo, tc.hi, ticks, start, end, step, tc.start, tc.end, tc.step)
		}
		format := tickFormat(ticks, step)
		for _, tick := range ticks {
			if s := format(tick); len(s) > 4 {
				t.Errorf("niceTicks(%g, %g): tick label %q is not round", tc.lo, tc.hi, s)
			}
		}
	}
}

func TestTickFormat(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string
	}{
		{0.5, 0.9, []string{"0.5", "0.6", "0.7", "0.8", "0.9"}}, // one decimal throughout: "0.9", not "0.90", and "1.0"
		{1000.0001, 1000.0002, []string{"1000.00010", "1000.00015", "1000.00020"}},
		{0, 1500000, []string{"0", "500000", "1000000", "1500000"}},
		{1e-9, 3e-9, []string{"1e-09", "1.5e-09", "2e-09", "2.5e-09", "3e-09"}},
		{-0.2, 0.2, []string{"-0.2", "-0.1", "0.0", "0.1", "0.2"}},
		// Ten-digit and seven-decimal labels would be too long: exponents.
		{0, 3e8, []string{"0", "1e+08", "2e+08", "3e+08"}},
		{1e-7, 4e-7, []string{"1e-07", "2e-07", "3e-07", "4e-07"}},
	} {
		ticks, _, _, step := niceTicks(tc.lo, tc.hi, 5, false)
		format := tickFormat(ticks, step)
		var got []string
		for _, tick := range ticks {
			got = append(got, format(tick))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("tick labels of %g..%g: %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// plotParts returns an SVG plot's data area (the frame's x, y and width),
// its x and y tick labels and the y of each legend line.
func plotParts(t *testing.T, svg string) (frame [3]float64, xLabels, yLabels []string, legendY []float64) {
	t.Helper()
	m := regexp.MustCompile(`<rect x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="[-\d.]+" fill="none"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no frame in %s", svg)
	}
	for i := range frame {
		frame[i], _ = strconv.ParseFloat(m[i+1], 64)
	}
	ticks := svg[strings.Index(svg, `<g fill="#444">`):]
	ticks = ticks[:strings.Index(ticks, "</g>")]
	for _, m := range regexp.MustCompile(`text-anchor="(middle|end)">([^<]*)<`).FindAllStringSubmatch(ticks, -1) {
		if m[1] == "middle" {
			xLabels = append(xLabels, m[2])
		} else {
			yLabels = append(yLabels, m[2])
		}
	}
	for _, m := range regexp.MustCompile(`<line x1="[-\d.]+" y1="([-\d.]+)"[^>]*stroke-width="2"/>`).FindAllStringSubmatch(svg, -1) {
		y, _ := strconv.ParseFloat(m[1], 64)
		legendY = append(legendY, y)
	}
	return frame, xLabels, yLabels, legendY
}

func TestLinePlotLayout(t *testing.T) {
	// Accuracy curves end at the top right, where the legend used to be: the
	// legend is above the data area now.
	svg := LinePlotSVG("Accuracy", "epoch", "accuracy",
		Series{Name: "train", Y: []float64{0.61, 0.72, 0.80, 0.845, 0.87}},
		Series{Name: "validation", Y: []float64{0.60, 0.71, 0.69, 0.733, 0.822}})
	frame, xLabels, _, legendY := plotParts(t, svg)
	if len(legendY) != 2 {
		t.Fatalf("legend lines: %v", legendY)
	}
	for _, y := range legendY {
		if y >= frame[1] {
			t.Errorf("legend line at y=%g, inside the data area (from y=%g)", y, frame[1])
		}
	}
	if !slices.Equal(xLabels, []string{"1", "2", "3", "4", "5"}) {
		t.Errorf("x tick labels %q", xLabels)
	}

	// A long name is shortened, with the full name as its tooltip, and the
	// legend wraps instead of running off the SVG.
	long := strings.Repeat("very long series name ", 4)
	var many []Series
	for i := range 6 {
		many = append(many, Series{Name: fmt.Sprintf("series %d %s", i, long), Y: []float64{1, 2}})
	}
	svg = LinePlotSVG("", "", "", many...)
	wellFormed(t, svg)
	if !strings.Contains(svg, "<title>series 0 "+long+"</title>") || strings.Count(svg, "…") != 6 {
		t.Errorf("long names are not shortened: %s", svg)
	}
	for _, m := range regexp.MustCompile(`<text x="([\d.]+)" y="[\d.]+">(?:<title>[^<]*</title>)?([^<]*)<`).FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		if end := x + charWidth*float64(utf8.RuneCountInString(m[2])); end > plotWidth {
			t.Errorf("legend entry %q ends at x=%g, beyond the SVG's %d", m[2], end, plotWidth)
		}
	}
	frame, _, _, legendY = plotParts(t, svg)
	if slices.Max(legendY) >= frame[1] {
		t.Errorf("legend rows reach into the data area: %v, frame from y=%g", legendY, frame[1])
	}

	// Epochs: whole-number x ticks, the axis starting at the first epoch.
	two := LinePlotSVG("", "", "", Series{Name: "train", X: []float64{1, 2}, Y: []float64{0.9, 0.7}})
	if _, xLabels, _, _ := plotParts(t, two); !slices.Equal(xLabels, []string{"1", "2"}) {
		t.Errorf("2 epochs: x tick labels %q", xLabels)
	}
	var ten Series
	for e := 1; e <= 10; e++ {
		ten.Y = append(ten.Y, 1/float64(e))
	}
	svg = LinePlotSVG("", "", "", ten)
	frame, xLabels, _, _ = plotParts(t, svg)
	if !slices.Equal(xLabels, []string{"2", "4", "6", "8", "10"}) {
		t.Errorf("10 epochs: x tick labels %q", xLabels)
	}
	if first := regexp.MustCompile(`points="([\d.]+),`).FindStringSubmatch(svg); first == nil || first[1] != num(frame[0]) {
		t.Errorf("10 epochs: epoch 1 is not at the left edge (%g): %v", frame[0], first)
	}

	// Long y tick labels get room: they do not reach the y axis title.
	svg = LinePlotSVG("", "epoch", "loss", Series{Name: "loss", Y: []float64{1000.0001, 1000.0002, 1000.00015}})
	frame, _, yLabels, _ := plotParts(t, svg)
	if len(slices.Compact(slices.Clone(yLabels))) != len(yLabels) {
		t.Errorf("y tick labels repeat: %q", yLabels)
	}
	diverged := LinePlotSVG("", "epoch", "loss", Series{Name: "train", Y: []float64{1.1, 0.9, 0.8, 1234567}})
	frame2, _, yLabels2, _ := plotParts(t, diverged)
	for _, f := range []struct {
		left   float64
		labels []string
	}{{frame[0], yLabels}, {frame2[0], yLabels2}} {
		for _, l := range f.labels {
			if start := f.left - 4 - charWidth*float64(len(l)); start < yTitleRoom {
				t.Errorf("y tick label %q starts at x=%g, over the y axis title", l, start)
			}
		}
	}
}

func TestLinePlotOverflow(t *testing.T) {
	for _, ys := range [][]float64{{-1e308, 1e308}, {-9e307, 9e307}, {0, math.MaxFloat64}} {
		svg := LinePlotSVG("huge", "", "", Series{Name: "loss", Y: ys}, Series{Name: "small", Y: []float64{1, 2}})
		wellFormed(t, svg)
		if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Errorf("values %g: NaN or Inf in the SVG: %s", ys, svg)
		}
		if strings.Contains(svg, "<polyline") || !strings.Contains(svg, ">small<") {
			t.Errorf("values %g: want empty axes and the legend: %s", ys, svg)
		}
	}
}

func TestTextFallbackOutsideNotebook(t *testing.T) {
	buf := captureText(t)
	Table([]string{"a"}, [][]string{{"1"}})
	ConfusionMatrix([]string{"x", "y"}, [][]int{{1, 0}, {0, 1}})
	Probabilities([]string{"x", "y"}, []float64{0.25, 0.75})
	LinePlot("acc", "epoch", "accuracy", Series{Name: "train", Y: []float64{0.5, 0.9}})
	if err := ImageGrid([]image.Image{solid(2, 2, color.White)}, []string{"w"}, 0, 0); err != nil {
		t.Fatal(err)
	}
	Markdown("# title")
	HTML("<b>nothing</b>")
	SVG("<svg/>")
	out := buf.String()
	for _, want := range []string{"a\n1\n", "accuracy 100.0 % (2/2)", "* y", "train: 2 points, last 0.9", "[1 image] w", "# title\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "nothing") || strings.Contains(out, "<svg") {
		t.Errorf("HTML/SVG printed outside a notebook:\n%s", out)
	}
}

func TestNotebookLogger(t *testing.T) {
	var out strings.Builder
	log := notebookLogger(&out).With("k", "v")
	log.Info("chosen backend")
	log.Warn("plugin missing")
	if strings.Contains(out.String(), "chosen backend") || !strings.Contains(out.String(), "plugin missing") || !strings.Contains(out.String(), "k=v") {
		t.Errorf("notebook log %q: want the warning only", out.String())
	}
}

// hostile is text that would inject markup if any rendering forgot to escape
// it: an element, an attribute breakout and an entity.
const hostile = `<script>" onmouseover="&amp;`

// noInjection fails the test when out carries hostile's markup unescaped.
func noInjection(t *testing.T, what, out string) {
	t.Helper()
	wellFormed(t, out)
	for _, bad := range []string{"<script", `" onmouseover="`} {
		if strings.Contains(out, bad) {
			t.Errorf("%s: %q unescaped in %s", what, bad, out)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;") || !strings.Contains(out, "&amp;amp;") {
		t.Errorf("%s: the hostile text is not shown (escaped) at all: %s", what, out)
	}
}

// Every piece of caller text (labels, names, titles, captions, cells) is
// escaped, in element content and in attributes alike.
func TestEveryTextEscaped(t *testing.T) {
	noInjection(t, "table header", TableHTML([]string{hostile}, nil))
	noInjection(t, "table cell", TableHTML(nil, [][]string{{hostile}}))
	noInjection(t, "confusion matrix labels", ConfusionMatrixHTML([]string{hostile, "b"}, [][]int{{1, 2}, {3, 4}}))
	noInjection(t, "probability labels", ProbabilitiesHTML([]string{hostile}, []float64{1}))
	noInjection(t, "plot title", LinePlotSVG(hostile, "", "", Series{Name: "a", Y: []float64{1, 2}}))
	noInjection(t, "plot x label", LinePlotSVG("", hostile, "", Series{Name: "a", Y: []float64{1, 2}}))
	noInjection(t, "plot y label", LinePlotSVG("", "", hostile, Series{Name: "a", Y: []float64{1, 2}}))
	noInjection(t, "legend name", LinePlotSVG("", "", "", Series{Name: hostile, Y: []float64{1, 2}}))
	// A name long enough to be shortened: the full name goes into <title>.
	noInjection(t, "legend tooltip", LinePlotSVG("", "", "", Series{Name: strings.Repeat("x", 40) + hostile, Y: []float64{1, 2}}))
	grid, err := ImageGridHTML([]image.Image{solid(2, 2, color.White)}, []string{hostile}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	noInjection(t, "image caption and alt", grid)
	if got := strings.Count(grid, "&lt;script&gt;"); got != 2 {
		t.Errorf("caption shown %d times escaped, want 2 (alt and figcaption): %s", got, grid)
	}
}

// Numbers go right, text left, in whatever form the tables write them.
func TestTableHTMLAlignment(t *testing.T) {
	for cell, right := range map[string]bool{
		"255": true, "4\u2009032\u2009547": true, "95.2 %": true, "0.938": true, "–": true, "-3": true,
		"monkey": false, "../data/images/sandal": false, "12 files": false, "": false, "50×50×32": false,
		"1 2": false, "inf": false, "NaN": false, "0x1F": false, "1e9": false, "12 3456": false,
	} {
		want := `text-align:left">`
		if right {
			want = `text-align:right">`
		}
		if h := TableHTML([]string{"h"}, [][]string{{cell}}); !strings.Contains(h, want+esc(cell)+"</td>") || !strings.Contains(h, `text-align:left">h</th>`) {
			t.Errorf("cell %q: %s, want it aligned %s", cell, h, map[bool]string{true: "right", false: "left"}[right])
		}
	}
}

func TestTableHTMLWithoutHeader(t *testing.T) {
	h := TableHTML(nil, [][]string{{"a", "b"}})
	wellFormed(t, h)
	if strings.Contains(h, "<thead") || strings.Contains(h, "<th ") {
		t.Errorf("table without header has a header row: %s", h)
	}
}

// Thumbnails keep the aspect ratio whichever side is over the box, even when
// the short side shrinks under one pixel; empty images and missing captions
// leave nothing behind.
func TestImageGridShapes(t *testing.T) {
	imgs := []image.Image{solid(100, 40, color.White), solid(40, 100, color.White), solid(1000, 4, color.White), image.NewRGBA(image.Rect(0, 0, 0, 0))}
	h, err := ImageGridHTML(imgs, []string{"wide", "tall", "thin"}, 4, 64)
	if err != nil {
		t.Fatalf("image grid with an empty image: %v", err)
	}
	wellFormed(t, h)
	want := [][2]int{{64, 25}, {25, 64}, {64, 1}}
	srcs := regexp.MustCompile(`src="data:image/png;base64,([^"]+)" width="(\d+)" height="(\d+)"`).FindAllStringSubmatch(h, -1)
	if len(srcs) != len(want) {
		t.Fatalf("found %d images, want %d (the empty one has none): %s", len(srcs), len(want), h)
	}
	for i, m := range srcs {
		cfg := embeddedPNG(t, m[1])
		if cfg.Width != want[i][0] || cfg.Height != want[i][1] || m[2] != fmt.Sprint(want[i][0]) || m[3] != fmt.Sprint(want[i][1]) {
			t.Errorf("image %d embedded %d×%d, shown %s×%s; want %v for both", i, cfg.Width, cfg.Height, m[2], m[3], want[i])
		}
	}
	if got := strings.Count(h, "<figcaption"); got != 3 {
		t.Errorf("%d captions, want 3 (none for the image without one)", got)
	}
	// An image that fits the box exactly is embedded as it is, not resampled.
	exact := solid(64, 64, color.White)
	if thumbnail(exact, 64) != exact {
		t.Error("a 64×64 image was resampled for a 64 box")
	}
	// Any short extension gets its break opportunity, ".jpeg" and ".tiff" too.
	if c := captionHTML("photo.jpeg, scan.tiff"); c != "photo<wbr>.jpeg, scan<wbr>.tiff" {
		t.Errorf("captionHTML = %q", c)
	}
}

func TestConfusionMatrixRows(t *testing.T) {
	h := ConfusionMatrixHTML([]string{"a", "b", "c"}, [][]int{{8, 2, 0}, {0, 5, 0}, {0, 0, 0}})
	if strings.Contains(h, "NaN") {
		t.Errorf("a class without examples shades its row with NaN: %s", h)
	}
	// Each row's recall is its own: 8/10, 5/5, and "–" for the empty row.
	rows := strings.Split(h, "</tr>")
	for i, want := range []string{">80.0 %</td>", ">100.0 %</td>", ">–</td>"} {
		if !strings.HasSuffix(rows[i+1], want) {
			t.Errorf("row %d ends %q, want recall %q", i, rows[i+1][max(0, len(rows[i+1])-40):], want)
		}
	}
	if !strings.Contains(rows[3], "rgba(31,119,180,0.00)") {
		t.Errorf("empty row not left unshaded: %s", rows[3])
	}
}

func TestProbabilitiesEdgeCases(t *testing.T) {
	// Out-of-range values are clamped; NaN is never the best, even first.
	h := ProbabilitiesHTML([]string{"nan", "neg", "big"}, []float64{math.NaN(), -0.5, 1.5})
	for _, want := range []string{"width:0.0px;height:14px\"></div></td><td style=\"padding:1px 6px;text-align:right\">0.0 %",
		"width:200.0px;height:14px\"></div></td><td style=\"padding:1px 6px;text-align:right\">100.0 %",
		`font-weight:bold"><td style="padding:1px 6px;text-align:right">big`} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
	if strings.Contains(h, "-100.0px") || strings.Contains(h, "300.0px") || strings.Count(h, "bold") != 1 {
		t.Errorf("values not clamped or not one best: %s", h)
	}
	if got := argmax([]float64{math.NaN(), 0.2, 0.7}); got != 2 {
		t.Errorf("argmax with NaN first = %d, want 2", got)
	}
	// A tie goes to the first class, as numpy's argmax does.
	if got := argmax([]float64{0.1, 0.45, 0.45}); got != 1 {
		t.Errorf("argmax of a tie = %d, want 1", got)
	}
	// Bars are rounded to the nearest of 20 steps: 59 % is 12 marks, not 11.
	if txt := ProbabilitiesText([]string{"a", "b"}, []float64{0.59, 0.41}); !strings.HasPrefix(txt, "* a "+strings.Repeat("#", 12)+" ") {
		t.Errorf("ProbabilitiesText:\n%s", txt)
	}
}

func TestTableTextCombiningMarks(t *testing.T) {
	// "é" written as e + U+0301 takes one terminal column.
	got := TableText([]string{"name", "n"}, [][]string{{"cafe\u0301", "1"}, {"monkey", "2"}})
	if want := "name    n\ncafe\u0301    1\nmonkey  2\n"; got != want {
		t.Errorf("TableText = %q, want %q", got, want)
	}
}

// polylinePoints returns the points of every polyline of svg.
func polylinePoints(t *testing.T, svg string) [][][2]float64 {
	t.Helper()
	var lines [][][2]float64
	for _, m := range regexp.MustCompile(`<polyline[^>]*points="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		var pts [][2]float64
		for _, p := range strings.Fields(m[1]) {
			x, y, _ := strings.Cut(p, ",")
			px, err1 := strconv.ParseFloat(x, 64)
			py, err2 := strconv.ParseFloat(y, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad point %q in %s", p, svg)
			}
			pts = append(pts, [2]float64{px, py})
		}
		lines = append(lines, pts)
	}
	return lines
}

func TestLinePlotData(t *testing.T) {
	// Larger values are drawn higher up (smaller SVG y), from the frame's
	// bottom to its top for a series that spans the y axis.
	svg := LinePlotSVG("", "", "", Series{Name: "loss", Y: []float64{1, 0.5, 0}})
	frame, _, yLabels, _ := plotParts(t, svg)
	lines := polylinePoints(t, svg)
	if len(lines) != 1 || len(lines[0]) != 3 {
		t.Fatalf("polylines %v", lines)
	}
	if pts := lines[0]; !(pts[0][1] < pts[1][1] && pts[1][1] < pts[2][1]) || pts[0][1] != frame[1] {
		t.Errorf("a falling loss is drawn at y %v (frame top %g): want rising y from the top", pts, frame[1])
	}
	if yLabels[0] != "0.0" || yLabels[len(yLabels)-1] != "1.0" {
		t.Errorf("y tick labels %q, want 0.0 … 1.0", yLabels)
	}
	// Points pair X and Y up to the shorter; a non-finite x is skipped.
	svg = LinePlotSVG("", "", "", Series{Name: "a", X: []float64{1, 2, math.Inf(1), 4}, Y: []float64{1, 2, 3, 4, 5, 6}})
	if lines := polylinePoints(t, svg); len(lines) != 1 || len(lines[0]) != 3 {
		t.Errorf("X shorter than Y, one x infinite: polylines %v, want 3 points", lines)
	}
	// Each series has its own colour, the same in its legend entry.
	svg = LinePlotSVG("", "", "", Series{Name: "a", Y: []float64{1, 2}}, Series{Name: "b", Y: []float64{2, 1}})
	strokes := regexp.MustCompile(`<polyline fill="none" stroke="([^"]+)"`).FindAllStringSubmatch(svg, -1)
	legend := regexp.MustCompile(`stroke="([^"]+)" stroke-width="2"/>`).FindAllStringSubmatch(svg, -1)
	if len(strokes) != 2 || len(legend) != 2 || strokes[0][1] == strokes[1][1] || strokes[0][1] != legend[0][1] || strokes[1][1] != legend[1][1] {
		t.Errorf("series colours %v, legend colours %v", strokes, legend)
	}
}

func TestLinePlotAxes(t *testing.T) {
	// Nine epochs: the axis ends at 9, with no tick at 10 beyond the frame.
	var nine Series
	for e := 1; e <= 9; e++ {
		nine.Y = append(nine.Y, float64(e))
	}
	if _, xLabels, _, _ := plotParts(t, LinePlotSVG("", "", "", nine)); !slices.Equal(xLabels, []string{"2", "4", "6", "8"}) {
		t.Errorf("9 epochs: x tick labels %q", xLabels)
	}
	// Fractional x values get fractional ticks, not whole epochs.
	half := Series{Name: "a", X: []float64{0.5, 1, 1.5, 2, 2.5}, Y: []float64{1, 2, 3, 4, 5}}
	if _, xLabels, _, _ := plotParts(t, LinePlotSVG("", "", "", half)); !slices.Equal(xLabels, []string{"0.5", "1.0", "1.5", "2.0", "2.5"}) {
		t.Errorf("x in halves: x tick labels %q", xLabels)
	}
	// Whole-number epochs do not make the y ticks whole numbers.
	acc := LinePlotSVG("", "", "", Series{Name: "train", Y: []float64{0.61, 0.72, 0.80, 0.845, 0.87}})
	if _, _, yLabels, _ := plotParts(t, acc); !slices.Equal(yLabels, []string{"0.6", "0.7", "0.8", "0.9"}) {
		t.Errorf("accuracy: y tick labels %q", yLabels)
	}
	// One point: finite coordinates, the dot in the middle of the frame.
	one := LinePlotSVG("", "", "", Series{Name: "a", Y: []float64{0.5}})
	frame, _, _, _ := plotParts(t, one)
	m := regexp.MustCompile(`<circle cx="([-\d.]+)" cy="([-\d.]+)"`).FindStringSubmatch(one)
	if m == nil || strings.Contains(one, "NaN") {
		t.Fatalf("one point: %s", one)
	}
	if cx, _ := strconv.ParseFloat(m[1], 64); cx != frame[0]+frame[2]/2 {
		t.Errorf("one point at x=%g, want the middle of the frame %g", cx, frame[0]+frame[2]/2)
	}
	// With a title, the legend sits below the title's baseline (y=16).
	_, _, _, legendY := plotParts(t, LinePlotSVG("Loss", "", "", Series{Name: "a", Y: []float64{1, 2}}))
	if len(legendY) != 1 || legendY[0] <= 16 {
		t.Errorf("legend line at %v, over the title", legendY)
	}
	// Only shortened names get a tooltip.
	if svg := LinePlotSVG("", "", "", Series{Name: "train", Y: []float64{1, 2}}); strings.Contains(svg, "<title>") {
		t.Errorf("tooltip for a name shown whole: %s", svg)
	}
}

func TestEllipsize(t *testing.T) {
	for _, tc := range []struct {
		s       string
		n       int
		want    string
		shorter bool
	}{
		{"abcdef", 4, "abc…", true},
		{"abcd", 4, "abcd", false},
		{"サルサルサル", 3, "サル…", true},
		{"abc", 0, "a…", true}, // at least 2
	} {
		if got, shorter := ellipsize(tc.s, tc.n); got != tc.want || shorter != tc.shorter {
			t.Errorf("ellipsize(%q, %d) = %q, %v; want %q, %v", tc.s, tc.n, got, shorter, tc.want, tc.shorter)
		}
	}
}

// Tick labels never read "-0", in either notation.
func TestTickFormatNegativeZero(t *testing.T) {
	negZero := math.Copysign(0, -1)
	if got := tickFormat([]float64{negZero, 0.5, 1}, 0.5)(negZero); got != "0.0" {
		t.Errorf("fixed notation: -0 is %q, want 0.0", got)
	}
	if got := tickFormat([]float64{negZero, 1e7, 2e7}, 1e7)(negZero); got != "0" {
		t.Errorf("exponent notation: -0 is %q, want 0", got)
	}
}

func TestLinePlotText(t *testing.T) {
	got := LinePlotText("loss", Series{Name: "train", Y: []float64{0.9, 0.3, 0.5, math.NaN(), 0.4}}, Series{Name: "none"},
		Series{Name: "one", X: []float64{3}, Y: []float64{0.5}})
	want := "loss\n  train: 4 points, last 0.4 at x=5, min 0.3 at x=2, max 0.9 at x=1\n  none: no points\n  one: 1 point, 0.5 at x=3\n"
	if got != want {
		t.Errorf("LinePlotText =\n%q\nwant\n%q", got, want)
	}
}

// Outside a notebook each display prints its text once, ending in exactly one
// newline.
func TestTextFallbackExact(t *testing.T) {
	buf := captureText(t)
	Markdown("# title")
	Table([]string{"a"}, [][]string{{"1"}})
	if got, want := buf.String(), "# title\na\n1\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// captureText sends the text displays print outside a notebook to the
// returned buffer until the test ends; inside GoNB it skips the test.
func captureText(t *testing.T) *bytes.Buffer {
	t.Helper()
	if IsNotebook() {
		t.Skip("running inside GoNB")
	}
	var buf bytes.Buffer
	old := Output
	Output = &buf
	t.Cleanup(func() { Output = old })
	return &buf
}

// embeddedPNG decodes the header of a base64 PNG embedded in HTML.
func embeddedPNG(t *testing.T, b64 string) image.Config {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The progress bar's block: the bar's value clamped to its range, the text
// escaped; outside a notebook a Progress shows nothing.
func TestProgress(t *testing.T) {
	for _, c := range []struct {
		done, total int
		want        string
	}{
		{3, 10, `value="3" max="10"`},
		{12, 10, `value="10" max="10"`},
		{-1, 10, `value="0" max="10"`},
		{0, 0, `value="0" max="1"`},
	} {
		if h := ProgressHTML(c.done, c.total, "epoch 1/2 <loss>"); !strings.Contains(h, c.want) || !strings.Contains(h, "epoch 1/2 &lt;loss&gt;</div>") {
			t.Errorf("ProgressHTML(%d, %d): %s, want %s and the text escaped", c.done, c.total, h, c.want)
		}
	}
	out := captureText(t)
	p := NewProgress()
	p.Update(1, 2, "half")
	p.Update(2, 2, "all")
	p.Done()
	if out.Len() != 0 {
		t.Errorf("a Progress outside a notebook printed %q", out)
	}
}

// LinePlots' block holds each plot's SVG, in a row that wraps.
func TestLinePlotsHTML(t *testing.T) {
	a := Plot{Title: "Loss", XLabel: "epoch", YLabel: "loss", Series: []Series{{Name: "train", Y: []float64{0.5, 0.3}}}}
	b := Plot{Title: "Accuracy", XLabel: "epoch", YLabel: "accuracy", Series: []Series{{Name: "train", Y: []float64{0.7, 0.8}}}}
	h := LinePlotsHTML(a, b)
	if !strings.HasPrefix(h, `<div style="display:flex;flex-wrap:wrap`) || strings.Count(h, "<svg") != 2 ||
		!strings.Contains(h, LinePlotSVG("Loss", "epoch", "loss", a.Series...)) || !strings.Contains(h, LinePlotSVG("Accuracy", "epoch", "accuracy", b.Series...)) ||
		strings.Index(h, ">Loss<") > strings.Index(h, ">Accuracy<") {
		t.Errorf("LinePlotsHTML: want both plots' SVGs in order in a wrapping row:\n%s", h)
	}
	out := captureText(t)
	LinePlots(a, b)
	if got := out.String(); !strings.HasPrefix(got, "Loss\n") || !strings.Contains(got, "Accuracy\n  train: 2 points") {
		t.Errorf("LinePlots outside a notebook printed %q, want each plot's summary", got)
	}
}
