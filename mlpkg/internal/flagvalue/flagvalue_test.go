package flagvalue

import (
	"flag"
	"io"
	"slices"
	"testing"
)

// Each Set replaces the list (a flag given twice, or a default list), and
// empty names are dropped.
func TestListSet(t *testing.T) {
	l := List{"default"}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"monkey, boar ,crow", []string{"monkey", "boar", "crow"}},
		{"a,,b, ,", []string{"a", "b"}},
		{"", nil},
	} {
		if err := l.Set(tc.in); err != nil || !slices.Equal(l, tc.want) {
			t.Errorf("Set(%q): %q, %v; want %q", tc.in, l, err, tc.want)
		}
	}
}

// As a flag: the default shows joined, and a flag given twice keeps the last.
func TestListFlag(t *testing.T) {
	classes := []string{"sandal", "sneaker"}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var((*List)(&classes), "classes", "")
	if d := fs.Lookup("classes").DefValue; d != "sandal,sneaker" {
		t.Errorf("default shown as %q", d)
	}
	if err := fs.Parse([]string{"-classes", "a,b", "-classes", " monkey , crow"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(classes, []string{"monkey", "crow"}) {
		t.Errorf("classes %q, want [monkey crow]", classes)
	}
	if s := (*List)(nil).String(); s != "" {
		t.Errorf("nil list shown as %q", s)
	}
}
