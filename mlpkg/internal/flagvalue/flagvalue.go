// Package flagvalue holds the flag.Value types that the packages' Config
// structs share for their command-line flags.
package flagvalue

import "strings"

// List is a flag.Value for a comma-separated list of names, e.g.
// "-classes monkey,boar,crow". Spaces around names and empty names are
// dropped.
type List []string

// String returns the names joined by commas.
func (l *List) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

// Set replaces the list with the names in s (a flag given twice keeps the
// last one, and a default list is replaced, not added to).
func (l *List) Set(s string) error {
	*l = Split(s)
	return nil
}

// Split returns the comma-separated names in s, without spaces around them
// and without empty ones; nil when there are none.
func Split(s string) []string {
	var names []string
	for name := range strings.SplitSeq(s, ",") {
		if name = strings.TrimSpace(name); name != "" {
			names = append(names, name)
		}
	}
	return names
}
