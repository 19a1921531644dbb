package model

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Notebook 03 shows Config.Logits to compare it with Keras, in the cell that
// links to cnn.go: every line it shows must still be a line of Logits, in
// the same order.
func TestNotebookShowsLogits(t *testing.T) {
	b, err := os.ReadFile("../../notebooks/03_train.ipynb")
	if err != nil {
		t.Skip("no notebooks beside the package:", err)
	}
	var nb struct {
		Cells []struct {
			CellType string   `json:"cell_type"`
			Source   []string `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, c := range nb.Cells {
		text := strings.Join(c.Source, "")
		_, code, ok := strings.Cut(text, "```go\n")
		if c.CellType != "markdown" || !ok || !strings.Contains(text, "](../mlpkg/model/cnn.go)") {
			continue
		}
		code, _, _ = strings.Cut(code, "```")
		for line := range strings.SplitSeq(code, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				shown = append(shown, line)
			}
		}
	}
	if len(shown) < 10 {
		t.Fatalf("notebook 03 shows %d lines of Go, want Config.Logits", len(shown))
	}
	src, err := os.ReadFile("cnn.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "func (c Config) Logits(")
	body, _, _ = strings.Cut(body, "\n}\n")
	rest := body
	for _, line := range shown {
		i := strings.Index(rest, line)
		if i < 0 {
			t.Errorf("notebook 03 shows %q, which Config.Logits no longer has (or not in this order)", line)
			continue
		}
		rest = rest[i+len(line):]
	}
}
