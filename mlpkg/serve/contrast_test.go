package serve

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPageColourContrast reads the colours of app.css, light and dark, and
// checks that text in each pair of them has the contrast WCAG 2.2 AA asks
// of normal text (1.4.3): at least 4.5:1.
func TestPageColourContrast(t *testing.T) {
	b, err := assets.ReadFile("assets/static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	light, dark := css, ""
	if i := strings.Index(css, "@media (prefers-color-scheme: dark)"); i >= 0 {
		light, dark = css[:i], css[i:]
		if j := strings.Index(dark, "}\n}"); j >= 0 {
			dark = dark[:j]
		}
	}
	colours := func(s string) map[string]string {
		m := map[string]string{}
		for _, v := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})\b`).FindAllStringSubmatch(s, -1) {
			m[v[1]] = v[2]
		}
		return m
	}
	schemes := map[string]map[string]string{"light": colours(light), "dark": colours(light)}
	for k, v := range colours(dark) {
		schemes["dark"][k] = v
	}
	// Text colour on background colour, as the page uses them.
	pairs := [][2]string{
		{"fg", "bg"}, {"fg", "card"}, // body text
		{"muted", "bg"}, {"muted", "card"}, // intro, hints, footer
		{"accent", "bg"}, // the language links
		{"error", "card"},
		{"on-accent", "accent"}, // the button
	}
	if !regexp.MustCompile(`(?m)^button \{[^}]*[; ]color: var\(--on-accent\)`).MatchString(css) {
		t.Error("app.css: the button's text is not var(--on-accent)")
	}
	for name, c := range schemes {
		for _, p := range pairs {
			fg, bg := c[p[0]], c[p[1]]
			if fg == "" || bg == "" {
				t.Errorf("%s: app.css lacks --%s or --%s", name, p[0], p[1])
				continue
			}
			if r := contrastRatio(fg, bg); r < 4.5 {
				t.Errorf("%s: --%s (%s) on --%s (%s) has contrast %.2f:1, want at least 4.5:1", name, p[0], fg, p[1], bg, r)
			}
		}
	}
}

// contrastRatio is WCAG's contrast ratio of two "#rrggbb" colours.
func contrastRatio(a, b string) float64 {
	lum := func(hex string) float64 {
		var c [3]float64
		for i := range c {
			v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
			x := float64(v) / 255
			if x <= 0.04045 {
				c[i] = x / 12.92
			} else {
				c[i] = math.Pow((x+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
	}
	la, lb := lum(a), lum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}
