package display

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Series is one line of a line plot, e.g. the training loss per epoch.
type Series struct {
	// Name is shown in the legend.
	Name string
	// X holds the x values; when nil, the points are numbered 1, 2, 3, ….
	X []float64
	// Y holds the y values. Points whose x or y is NaN or infinite are skipped.
	Y []float64
}

// points returns the finite (x, y) points of s.
func (s Series) points() [][2]float64 {
	pts := make([][2]float64, 0, len(s.Y))
	for i, y := range s.Y {
		x := float64(i + 1)
		if s.X != nil {
			if i >= len(s.X) {
				break
			}
			x = s.X[i]
		}
		if finite(x) && finite(y) {
			pts = append(pts, [2]float64{x, y})
		}
	}
	return pts
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Plot geometry, in SVG user units (pixels). The top margin grows with the
// legend's rows and the left one with the y tick labels.
const (
	plotWidth   = 480
	plotArea    = 228 // height of the data area
	marginLeft  = 56  // at least
	marginRight = 16
	marginBot   = 44
	legendRow   = 14  // height of one legend row
	legendName  = 32  // longest series name shown, in characters
	charWidth   = 6.6 // estimated width of a character at font-size 11
	yTitleRoom  = 22  // from the left edge to the y tick labels: room for the y axis title
)

// palette is the colour of series i (mod its length): the first 8 of the
// Tableau 10 colours.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

// LinePlotSVG renders series as a small, self-contained SVG line plot with a
// title, axis labels, "nice" ticks, a grid and a legend above the data area
// (long series names are shortened with "…"; the full name is the entry's
// tooltip). When every x value is a whole number (epochs), the x axis spans
// the data exactly and its ticks are whole numbers. A series with a single
// point is drawn as a dot. It never fails: with no finite points, or values
// so large that their range overflows, it draws empty axes.
func LinePlotSVG(title, xLabel, yLabel string, series ...Series) string {
	all := make([][][2]float64, len(series))
	for i, s := range series {
		all[i] = s.points()
	}
	sc, ok := scaleFor(all)
	if !ok { // no finite points, or a range that overflows: empty axes
		all = make([][][2]float64, len(series))
		sc = scaleOf(0, 1, 0, 1, false)
	}
	xFormat, yFormat := tickFormat(sc.xTicks, sc.xStep), tickFormat(sc.yTicks, sc.yStep)
	yLabels := make([]string, len(sc.yTicks))
	longest := 0
	for i, t := range sc.yTicks {
		yLabels[i] = yFormat(t)
		longest = max(longest, utf8.RuneCountInString(yLabels[i]))
	}

	// The data area, below the title and the legend's rows.
	left := math.Max(marginLeft, yTitleRoom+4+charWidth*float64(longest))
	x0, x1 := left, float64(plotWidth-marginRight)
	entries, rows := layoutLegend(series, x0, x1)
	top := 8.0
	if title != "" {
		top = 26
	}
	legendTop := top
	if len(series) > 0 {
		top += legendRow*float64(rows) + 4
	}
	height := int(top) + plotArea + marginBot
	y0, y1 := top+plotArea, top
	sx := func(x float64) float64 { return x0 + (x-sc.xStart)/(sc.xEnd-sc.xStart)*(x1-x0) }
	sy := func(y float64) float64 { return y0 + (y-sc.yStart)/(sc.yEnd-sc.yStart)*(y1-y0) }
	xTicks, yTicks := sc.xTicks, sc.yTicks

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`,
		plotWidth, height, plotWidth, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`, plotWidth, height)
	if title != "" {
		fmt.Fprintf(&b, `<text x="%d" y="16" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`, plotWidth/2, esc(title))
	}
	// Grid and tick labels.
	b.WriteString(`<g stroke="#e5e5e5">`)
	for _, t := range xTicks {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(sx(t)), num(y0), num(sx(t)), num(y1))
	}
	for _, t := range yTicks {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(x0), num(sy(t)), num(x1), num(sy(t)))
	}
	b.WriteString(`</g><g fill="#444">`)
	for _, t := range xTicks {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(sx(t)), num(y0+14), xFormat(t))
	}
	for i, t := range yTicks {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, num(x0-4), num(sy(t)+4), yLabels[i])
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#888"/>`, num(x0), num(y1), num(x1-x0), num(y0-y1))
	if xLabel != "" {
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle">%s</text>`, num((x0+x1)/2), height-8, esc(xLabel))
	}
	if yLabel != "" {
		fmt.Fprintf(&b, `<text transform="translate(14 %s) rotate(-90)" text-anchor="middle">%s</text>`, num((y0+y1)/2), esc(yLabel))
	}
	// Lines.
	for i, pts := range all {
		color := palette[i%len(palette)]
		switch len(pts) {
		case 0:
		case 1:
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, num(sx(pts[0][0])), num(sy(pts[0][1])), color)
		default:
			coords := make([]string, len(pts))
			for k, p := range pts {
				coords[k] = num(sx(p[0])) + "," + num(sy(p[1]))
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`, color, strings.Join(coords, " "))
		}
	}
	// Legend, above the data area.
	for i, e := range entries {
		color := palette[i%len(palette)]
		y := legendTop + legendRow*float64(e.row) + 10
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`, num(e.x), num(y-4), num(e.x+16), num(y-4), color)
		tooltip := ""
		if e.shorter {
			tooltip = "<title>" + esc(e.full) + "</title>"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s%s</text>`, num(e.x+20), num(y), tooltip, esc(e.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// plotScale places data on a plot: each axis's ticks, span and tick step.
type plotScale struct {
	xTicks, yTicks             []float64
	xStart, xEnd, yStart, yEnd float64
	xStep, yStep               float64
}

// scaleFor returns the axes for the points of all, with "nice" ticks; when
// every x is a whole number (epochs), the x axis spans the data exactly and
// its ticks are whole numbers. ok is false when there is no point, or when
// the range, raw or rounded to ticks, overflows.
func scaleFor(all [][][2]float64) (sc plotScale, ok bool) {
	xMin, xMax, yMin, yMax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	integerX := true
	for _, pts := range all {
		for _, p := range pts {
			xMin, xMax = math.Min(xMin, p[0]), math.Max(xMax, p[0])
			yMin, yMax = math.Min(yMin, p[1]), math.Max(yMax, p[1])
			integerX = integerX && p[0] == math.Trunc(p[0])
		}
	}
	if !finite(xMax-xMin) || !finite(yMax-yMin) {
		return sc, false
	}
	sc = scaleOf(xMin, xMax, yMin, yMax, integerX)
	return sc, finite(sc.xEnd-sc.xStart) && finite(sc.yEnd-sc.yStart)
}

// scaleOf returns the axes for data between xMin and xMax, yMin and yMax
// (see scaleFor).
func scaleOf(xMin, xMax, yMin, yMax float64, integerX bool) (sc plotScale) {
	sc.xTicks, sc.xStart, sc.xEnd, sc.xStep = niceTicks(xMin, xMax, 6, integerX)
	if integerX && xMax > xMin { // epochs: the axis spans the data, not 0..10 for 1..10
		sc.xTicks = slices.DeleteFunc(sc.xTicks, func(t float64) bool { return t < xMin || t > xMax })
		sc.xStart, sc.xEnd = xMin, xMax
	}
	sc.yTicks, sc.yStart, sc.yEnd, sc.yStep = niceTicks(yMin, yMax, 5, false)
	return sc
}

// legendEntry is one series' entry in the legend: where it starts (x, in
// row), and its name as shown (shortened when shorter) and in full.
type legendEntry struct {
	x          float64
	row        int
	name, full string
	shorter    bool
}

// layoutLegend lays the series' legend entries out in rows between x0 and
// x1, names shortened with "…" to fit, and returns them with the number of
// rows.
func layoutLegend(series []Series, x0, x1 float64) (entries []legendEntry, rows int) {
	entries = make([]legendEntry, len(series))
	x, row := x0, 0
	for i, s := range series {
		name, shorter := ellipsize(s.Name, min(legendName, int((x1-x0-22)/charWidth)))
		w := 22 + charWidth*float64(utf8.RuneCountInString(name))
		if x > x0 && x+w > x1 {
			x, row = x0, row+1
		}
		entries[i] = legendEntry{x: x, row: row, name: name, full: s.Name, shorter: shorter}
		x += w + 12
	}
	return entries, row + 1
}

// ellipsize shortens s to at most n characters (at least 2), ending it
// with "…", and reports whether it did.
func ellipsize(s string, n int) (string, bool) {
	n = max(n, 2)
	r := []rune(s)
	if len(r) <= n {
		return s, false
	}
	return string(r[:n-1]) + "…", true
}

// num formats an SVG coordinate with at most one decimal.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// tickFormat returns the formatter of ticks step apart: as many decimals as
// the step needs (0.2 → "0.4", 0.00002 → "1000.00004"), or, for values too
// large or too small for that to stay short, as few significant digits as
// tell them apart ("1.5e+06", "2.5e-09"). It never writes "-0".
func tickFormat(ticks []float64, step float64) func(float64) string {
	biggest := 0.0
	for _, t := range ticks {
		biggest = math.Max(biggest, math.Abs(t))
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if biggest < 1e7 && decimals <= 6 {
		return func(v float64) string {
			s := strconv.FormatFloat(v, 'f', decimals, 64)
			if strings.Trim(s, "-0.") == "" {
				s = strings.TrimPrefix(s, "-")
			}
			return s
		}
	}
	digits := int(math.Floor(math.Log10(biggest))-math.Floor(math.Log10(step)+1e-9)) + 1
	return func(v float64) string {
		if math.Abs(v) < step/2 {
			return "0"
		}
		return strconv.FormatFloat(v, 'g', max(digits, 1), 64)
	}
}

// niceTicks returns about n evenly spaced round tick values (steps of 1, 2 or
// 5 times a power of ten, and at least 1 when integer is set) covering
// lo..hi, the range they span and the step. A zero range is widened so that
// a flat line still gets an axis.
func niceTicks(lo, hi float64, n int, integer bool) (ticks []float64, start, end, step float64) {
	if hi-lo < 1e-12*math.Max(1, math.Abs(hi)) {
		pad := math.Max(math.Abs(lo)*0.1, 0.5)
		lo, hi = lo-pad, hi+pad
	}
	raw := (hi - lo) / float64(max(n-1, 1))
	if integer {
		raw = math.Max(raw, 1)
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	first, last := math.Floor(lo/step), math.Ceil(hi/step)
	for k := first; k <= last; k++ {
		ticks = append(ticks, round12(k*step))
	}
	return ticks, round12(first * step), round12(last * step), step
}

// round12 rounds v to 12 significant digits, removing the noise of
// multiplying by a decimal step (0.6000000000000001 becomes 0.6).
func round12(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return r
}

// LinePlotText summarises series as text: per series, its number of points,
// last value and minimum and maximum.
func LinePlotText(title string, series ...Series) string {
	var b strings.Builder
	if title != "" {
		b.WriteString(title + "\n")
	}
	for _, s := range series {
		pts := s.points()
		if len(pts) == 0 {
			fmt.Fprintf(&b, "  %s: no points\n", s.Name)
			continue
		}
		lo, hi := pts[0], pts[0]
		for _, p := range pts {
			if p[1] < lo[1] {
				lo = p
			}
			if p[1] > hi[1] {
				hi = p
			}
		}
		last := pts[len(pts)-1]
		if len(pts) == 1 {
			fmt.Fprintf(&b, "  %s: 1 point, %.4g at x=%g\n", s.Name, last[1], last[0])
			continue
		}
		fmt.Fprintf(&b, "  %s: %d points, last %.4g at x=%g, min %.4g at x=%g, max %.4g at x=%g\n",
			s.Name, len(pts), last[1], last[0], lo[1], lo[0], hi[1], hi[0])
	}
	return b.String()
}
