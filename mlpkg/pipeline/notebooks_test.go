package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The Go code that the notebooks quote in their text is the packages' code:
// in a markdown cell that links to .go files of mlpkg (a quote; other blocks
// show how to call the API), the lines of each ```go block are lines of
// those files (spaces around them aside), in the same order, except lines
// holding "…", which stand for what the quote leaves out. A change to
// quoted code must update the quote.
func TestNotebooksQuoteTheCode(t *testing.T) {
	notebooks, err := filepath.Glob("../../notebooks/*.ipynb")
	if err != nil || len(notebooks) == 0 {
		t.Fatalf("no notebooks in ../../notebooks: %v", err)
	}
	quoted := 0
	for _, path := range notebooks {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var nb struct {
			Cells []struct {
				Type   string   `json:"cell_type"`
				Source []string `json:"source"`
			} `json:"cells"`
		}
		if err := json.Unmarshal(b, &nb); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, c := range nb.Cells {
			text := strings.Join(c.Source, "")
			links := linksToGoFile.FindAllStringSubmatch(text, -1)
			if c.Type != "markdown" || len(links) == 0 {
				continue
			}
			var source []string // the linked files' lines, trimmed
			for _, l := range links {
				b, err := os.ReadFile(filepath.Join("../..", l[1]))
				if err != nil {
					t.Fatalf("%s links to %s: %v", filepath.Base(path), l[1], err)
				}
				for line := range strings.Lines(string(b)) {
					source = append(source, strings.TrimSpace(line))
				}
			}
			for _, block := range goBlocks(text) {
				next := 0 // each line is looked for after the one before
				for _, line := range block {
					if strings.Contains(line, "…") {
						continue
					}
					quoted++
					i := slices.Index(source[next:], line)
					if i < 0 {
						t.Errorf("%s quotes a line that %v do not hold (after the line before it): %s", filepath.Base(path), links, line)
						continue
					}
					next += i + 1
				}
			}
		}
	}
	if quoted < 20 {
		t.Errorf("%d quoted lines of Go found in the notebooks, want the model's and the training's (20 or more)", quoted)
	}
}

// linksToGoFile matches a Markdown link to a .go file of mlpkg from the
// notebooks folder; the submatch is its path from the repository's root.
var linksToGoFile = regexp.MustCompile(`\]\(\.\./(mlpkg/[^)]+\.go)\)`)

// goBlocks returns the non-empty lines, trimmed, of each ```go block of a
// Markdown text.
func goBlocks(text string) [][]string {
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "```go":
			in, cur = true, nil
		case in && strings.HasPrefix(line, "```"):
			in = false
			blocks = append(blocks, cur)
		case in && line != "":
			cur = append(cur, line)
		}
	}
	return blocks
}
