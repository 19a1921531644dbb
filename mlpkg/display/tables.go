package display

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/internal/textwidth"
)

// cellStyle is the style of every table cell, so tables look the same in
// JupyterLab, the classic Notebook and exported HTML.
const cellStyle = `border:1px solid #ccc;padding:2px 6px`

// TableHTML renders a table with a header row; every cell is HTML-escaped.
// Rows may have fewer cells than the header. Numbers (and percentages) are
// aligned right, text and the header left: JupyterLab would align them all
// right, which makes a column of paths or sentences hard to read.
func TableHTML(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse">`)
	if len(header) > 0 {
		b.WriteString("<thead><tr>")
		for _, h := range header {
			fmt.Fprintf(&b, `<th style="%s;text-align:left">%s</th>`, cellStyle, esc(h))
		}
		b.WriteString("</tr></thead>")
	}
	b.WriteString("<tbody>")
	for _, row := range rows {
		b.WriteString("<tr>")
		for _, cell := range row {
			align := "left"
			if isNumber(cell) {
				align = "right"
			}
			fmt.Fprintf(&b, `<td style="%s;text-align:%s">%s</td>`, cellStyle, align, esc(cell))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

// isNumber reports whether a table cell is a number, as the tables write
// them: "4 032 547" (thin, no-break or ordinary spaces between thousands),
// "95.2 %", "0.938", "-3", "–" (undefined).
func isNumber(cell string) bool {
	return number.MatchString(strings.TrimSpace(cell))
}

var number = regexp.MustCompile(`^(?:[-+]?\d{1,3}(?:[ \x{2009}\x{a0}]\d{3})*(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)(?:[ \x{a0}]?%)?$|^–$`)

// TableMarkdown renders a table as GitHub-flavoured Markdown; "|" is escaped
// and tabs and line breaks inside cells become spaces.
func TableMarkdown(header []string, rows [][]string) string {
	cols := len(header)
	for _, row := range rows {
		cols = max(cols, len(row))
	}
	line := func(cells []string) string {
		parts := make([]string, cols)
		for i := range parts {
			if i < len(cells) {
				parts[i] = markdownCell(cells[i])
			}
		}
		return "| " + strings.Join(parts, " | ") + " |\n"
	}
	var b strings.Builder
	b.WriteString(line(header))
	b.WriteString("|" + strings.Repeat(" --- |", cols) + "\n")
	for _, row := range rows {
		b.WriteString(line(row))
	}
	return b.String()
}

// markdownCell escapes one Markdown table cell.
func markdownCell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

// oneLine replaces tabs and line breaks (\n, \r\n, \r) with spaces, so that
// a cell stays on its row.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ", "\t", " ").Replace(s)
}

// TableText renders a table as aligned plain text: columns two spaces apart,
// aligned by their width on a terminal (East Asian wide characters such as
// サル take two columns), tabs and line breaks inside cells as spaces.
func TableText(header []string, rows [][]string) string {
	all := rows
	if len(header) > 0 {
		all = append([][]string{header}, rows...)
	}
	var widths []int
	for _, row := range all {
		for j, cell := range row {
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], textwidth.Width(oneLine(cell)))
		}
	}
	var b strings.Builder
	for _, row := range all {
		for j, cell := range row {
			cell = oneLine(cell)
			b.WriteString(cell)
			if j < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-textwidth.Width(cell)+2))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ConfusionMatrixHTML renders a confusion matrix as a table: counts[i][j] is
// the number of examples of true class i predicted as class j. Each cell
// shows the count and its share of the row; its background is shaded by that
// share, blue on the diagonal (correct) and red off it (mistakes). A last
// column gives each class's recall and the caption the overall accuracy.
// A ragged or non-square counts is read as the square matrix that holds it,
// missing cells being 0 (see ConfusionMatrixText, which shows the same).
func ConfusionMatrixHTML(labels []string, counts [][]int) string {
	m := square(counts)
	correct, total := accuracy(m)
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse;text-align:center">`)
	fmt.Fprintf(&b, `<caption style="caption-side:bottom;font-size:small">rows: true class, columns: predicted; accuracy %s (%d/%d)</caption>`,
		percent(correct, total), correct, total)
	fmt.Fprintf(&b, `<tr><th style="%s">true \ predicted</th>`, cellStyle)
	for j := range m {
		fmt.Fprintf(&b, `<th style="%s">%s</th>`, cellStyle, esc(label(labels, j)))
	}
	fmt.Fprintf(&b, `<th style="%s">recall</th></tr>`, cellStyle)
	for i, row := range m {
		rowTotal := sum(row)
		fmt.Fprintf(&b, `<tr><th style="%s">%s</th>`, cellStyle, esc(label(labels, i)))
		for j, c := range row {
			share := 0.0
			if rowTotal > 0 {
				share = float64(c) / float64(rowTotal)
			}
			rgb := "214,39,40" // red: mistakes
			if i == j {
				rgb = "31,119,180" // blue: correct
			}
			fmt.Fprintf(&b, `<td style="%s;background:rgba(%s,%.2f)" title="%s">%d<br><small>%s</small></td>`,
				cellStyle, rgb, 0.85*share, esc(label(labels, i)+" → "+label(labels, j)), c, percent(c, rowTotal))
		}
		fmt.Fprintf(&b, `<td style="%s">%s</td></tr>`, cellStyle, percent(row[i], rowTotal))
	}
	b.WriteString("</table>")
	return b.String()
}

// ConfusionMatrixText renders a confusion matrix as aligned text, with each
// class's recall and the overall accuracy (see ConfusionMatrixHTML).
func ConfusionMatrixText(labels []string, counts [][]int) string {
	m := square(counts)
	header := []string{`true \ predicted`}
	for j := range m {
		header = append(header, label(labels, j))
	}
	header = append(header, "recall")
	rows := make([][]string, 0, len(m))
	for i, row := range m {
		cells := []string{label(labels, i)}
		for _, c := range row {
			cells = append(cells, fmt.Sprint(c))
		}
		rows = append(rows, append(cells, percent(row[i], sum(row))))
	}
	correct, total := accuracy(m)
	return TableText(header, rows) + fmt.Sprintf("accuracy %s (%d/%d)\n", percent(correct, total), correct, total)
}

// square returns counts as an n×n matrix, n being its number of rows or its
// longest row, whichever is larger; missing cells are 0.
func square(counts [][]int) [][]int {
	n := len(counts)
	for _, row := range counts {
		n = max(n, len(row))
	}
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
		if i < len(counts) {
			copy(m[i], counts[i])
		}
	}
	return m
}

// accuracy returns the diagonal's sum and the total of a square matrix.
func accuracy(m [][]int) (correct, total int) {
	for i, row := range m {
		correct += row[i]
		total += sum(row)
	}
	return correct, total
}

// sum returns the sum of values.
func sum(values []int) int {
	s := 0
	for _, v := range values {
		s += v
	}
	return s
}

// Percent formats a fraction as a percentage with one decimal and a space
// before "%": 0.9523 is "95.2 %". NaN
// (undefined, e.g. the precision of a class never predicted) is "–".
func Percent(fraction float64) string {
	if math.IsNaN(fraction) {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*fraction)
}

// percent formats part/whole with Percent, or "–" when whole is 0.
func percent(part, whole int) string {
	if whole == 0 {
		return "–"
	}
	return Percent(float64(part) / float64(whole))
}

// ProbabilitiesHTML renders one prediction's class probabilities (0 to 1) as
// horizontal bars in the given order; the most probable class is bold and
// its bar is darker. NaN and out-of-range values are clamped to 0..1.
func ProbabilitiesHTML(labels []string, probs []float64) string {
	best := argmax(probs)
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse">`)
	for i, p := range probs {
		p = clamp01(p)
		weight, color := "normal", "#9ecae1"
		if i == best {
			weight, color = "bold", "#3182bd"
		}
		fmt.Fprintf(&b, `<tr style="font-weight:%s"><td style="padding:1px 6px;text-align:right">%s</td>`+
			`<td style="padding:1px 0;width:200px"><div style="background:%s;width:%.1fpx;height:14px"></div></td>`+
			`<td style="padding:1px 6px;text-align:right">%s</td></tr>`,
			weight, esc(label(labels, i)), color, 200*p, Percent(p))
	}
	b.WriteString("</table>")
	return b.String()
}

// ProbabilitiesText renders class probabilities as text bars, one line per
// class, the most probable marked with "*".
func ProbabilitiesText(labels []string, probs []float64) string {
	best := argmax(probs)
	widest := 0
	for i := range probs {
		widest = max(widest, textwidth.Width(oneLine(label(labels, i))))
	}
	var b strings.Builder
	for i, p := range probs {
		p = clamp01(p)
		mark := " "
		if i == best {
			mark = "*"
		}
		name := oneLine(label(labels, i))
		pad := strings.Repeat(" ", widest-textwidth.Width(name))
		fmt.Fprintf(&b, "%s %s%s %-20s %7s\n", mark, name, pad, strings.Repeat("#", int(math.Round(20*p))), Percent(p))
	}
	return b.String()
}

// argmax returns the index of the largest value (ignoring NaN), or -1.
func argmax(values []float64) int {
	best := -1
	for i, v := range values {
		if math.IsNaN(v) {
			continue
		}
		if best < 0 || v > values[best] {
			best = i
		}
	}
	return best
}

// clamp01 limits p to 0..1, with NaN as 0.
func clamp01(p float64) float64 {
	if math.IsNaN(p) || p < 0 {
		return 0
	}
	return math.Min(p, 1)
}
