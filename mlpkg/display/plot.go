package display

import (
	"fmt"
	"math"
	"strconv"
	"strings"
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

// Plot geometry, in SVG user units (pixels).
const (
	plotWidth   = 480
	plotHeight  = 300
	marginLeft  = 56
	marginRight = 16
	marginTop   = 28
	marginBot   = 44
)

// palette is the colour of series i (mod its length): the Tableau 10 colours.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

// LinePlotSVG renders series as a small, self-contained SVG line plot with a
// title, axis labels, "nice" ticks, a grid and a legend. A series with a
// single point is drawn as a dot. It never fails: with no finite points it
// draws empty axes.
func LinePlotSVG(title, xLabel, yLabel string, series ...Series) string {
	xMin, xMax, yMin, yMax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	all := make([][][2]float64, len(series))
	for i, s := range series {
		all[i] = s.points()
		for _, p := range all[i] {
			xMin, xMax = math.Min(xMin, p[0]), math.Max(xMax, p[0])
			yMin, yMax = math.Min(yMin, p[1]), math.Max(yMax, p[1])
		}
	}
	if xMin > xMax { // no points at all
		xMin, xMax, yMin, yMax = 0, 1, 0, 1
	}
	xTicks, xMin, xMax := niceTicks(xMin, xMax, 6)
	yTicks, yMin, yMax := niceTicks(yMin, yMax, 5)

	x0, x1 := float64(marginLeft), float64(plotWidth-marginRight)
	y0, y1 := float64(plotHeight-marginBot), float64(marginTop)
	sx := func(x float64) float64 { return x0 + (x-xMin)/(xMax-xMin)*(x1-x0) }
	sy := func(y float64) float64 { return y0 + (y-yMin)/(yMax-yMin)*(y1-y0) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`,
		plotWidth, plotHeight, plotWidth, plotHeight)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`, plotWidth, plotHeight)
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
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(sx(t)), num(y0+14), tickLabel(t))
	}
	for _, t := range yTicks {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, num(x0-4), num(sy(t)+4), tickLabel(t))
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#888"/>`, num(x0), num(y1), num(x1-x0), num(y0-y1))
	if xLabel != "" {
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle">%s</text>`, num((x0+x1)/2), plotHeight-8, esc(xLabel))
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
	// Legend, top right inside the plot area.
	for i, s := range series {
		color := palette[i%len(palette)]
		y := y1 + 12 + 14*float64(i)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`, num(x1-110), num(y-4), num(x1-94), num(y-4), color)
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s</text>`, num(x1-90), num(y), esc(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// num formats an SVG coordinate with at most one decimal.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// tickLabel formats a tick value compactly (%g, without "-0").
func tickLabel(v float64) string {
	if math.Abs(v) < 1e-12 {
		v = 0
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// niceTicks returns about n evenly spaced round tick values (steps of 1, 2 or
// 5 times a power of ten) covering lo..hi, and the range they span. A zero
// range is widened so that a flat line still gets an axis.
func niceTicks(lo, hi float64, n int) (ticks []float64, start, end float64) {
	if hi-lo < 1e-12*math.Max(1, math.Abs(hi)) {
		pad := math.Max(math.Abs(lo)*0.1, 0.5)
		lo, hi = lo-pad, hi+pad
	}
	raw := (hi - lo) / float64(max(n-1, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
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
	return ticks, round12(first * step), round12(last * step)
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
		fmt.Fprintf(&b, "  %s: %d points, last %.4g at x=%g, min %.4g at x=%g, max %.4g at x=%g\n",
			s.Name, len(pts), last[1], last[0], lo[1], lo[0], hi[1], hi[0])
	}
	return b.String()
}
