package pipeline

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Go code that the notebooks quote in their text is the packages' code:
// in a markdown cell that links to a .go file of mlpkg (a quote; other
// blocks show how to call the API), every line of a ```go block is a line of
// a .go file of mlpkg (spaces around it aside), except lines holding "…",
// which stand for what the quote leaves out. A change to quoted code must
// update the quote.
func TestNotebooksQuoteTheCode(t *testing.T) {
	source := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		for line := range strings.Lines(string(b)) {
			source[strings.TrimSpace(line)] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
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
			if c.Type != "markdown" || !linksToGoFile.MatchString(text) {
				continue
			}
			inGo := false
			for _, line := range strings.Split(text, "\n") {
				line = strings.TrimSpace(line)
				switch {
				case line == "```go":
					inGo = true
				case strings.HasPrefix(line, "```"):
					inGo = false
				case inGo && line != "" && !strings.Contains(line, "…"):
					quoted++
					if !source[line] {
						t.Errorf("%s quotes a line no .go file of mlpkg holds: %s", filepath.Base(path), line)
					}
				}
			}
		}
	}
	if quoted < 20 {
		t.Errorf("%d quoted lines of Go found in the notebooks, want the model's and the training's (20 or more)", quoted)
	}
}

// linksToGoFile matches a Markdown link to a .go file of mlpkg.
var linksToGoFile = regexp.MustCompile(`\]\(\.\./mlpkg/[^)]+\.go\)`)
