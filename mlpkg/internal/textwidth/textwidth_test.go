package textwidth

import "testing"

func TestWidthAndPad(t *testing.T) {
	for _, c := range []struct {
		s     string
		width int
	}{
		{"", 0},
		{"crow", 4},
		{"écureuil", 8},       // é is two bytes, one column
		{"e\u0301cureuil", 8}, // e and a combining accent: one column
		{"サル", 4},             // wide characters: two columns each
		{"ｲﾉｼｼ", 4},           // halfwidth katakana: one column each
		{"ＡＢ", 4},             // fullwidth Latin: two columns each
		{"🐗", 2},              // an emoji: two columns
		{"🐻\u200d❄\ufe0f", 2}, // one emoji of three joined characters (polar bear)
	} {
		if got := Width(c.s); got != c.width {
			t.Errorf("Width(%q) = %d, want %d", c.s, got, c.width)
		}
		if got := PadRight(c.s, 6); Width(got) != max(6, c.width) || got[:len(c.s)] != c.s {
			t.Errorf("PadRight(%q, 6) = %q, want %q then spaces to 6 columns", c.s, got, c.s)
		}
		if got := PadLeft(c.s, 6); Width(got) != max(6, c.width) || got[len(got)-len(c.s):] != c.s {
			t.Errorf("PadLeft(%q, 6) = %q, want spaces to 6 columns then %q", c.s, got, c.s)
		}
	}
}
