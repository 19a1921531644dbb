package main

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
)

// predict prints each item as soon as it and the items before it are
// known, in the order given: arguments that could not be expanded, files
// classified, files that could not be.
func TestPredictionsPrintedInOrderAsTheyCome(t *testing.T) {
	items := []predictItem{
		{path: "gone1", err: errors.New("gone1: no such file")},
		{path: "a.png", file: 0},
		{path: "gone2", err: errors.New("gone2: no such file")},
		{path: "b.png", file: 1},
		{path: "c.png", file: 2},
		{path: "gone3", err: errors.New("gone3: no such file")},
	}
	var stdout, stderr strings.Builder
	p := &predictionPrinter{items: items, stdout: &stdout, stderr: &stderr,
		meta: &model.Meta{Classes: []string{"x", "y"}}, format: predictFormat{top: 1, withPath: true}}
	pred := predict.Prediction{Class: "y", Probability: 0.75, Probabilities: []float32{0.25, 0.75}, Classes: []string{"x", "y"}}

	p.file(0, predict.FileResult{Path: "a.png", Prediction: pred})
	if got, want := stdout.String(), "a.png: y (75 %)\n"; got != want {
		t.Errorf("after the first file: stdout %q, want %q", got, want)
	}
	if got, want := stderr.String(), "gone1: no such file\ngone2: no such file\n"; got != want {
		t.Errorf("after the first file: stderr %q, want %q", got, want)
	}
	p.file(1, predict.FileResult{Path: "b.png", Prediction: pred})
	p.file(2, predict.FileResult{Path: "c.png", Err: errors.New("not an image")})
	p.rest()
	if got, want := stdout.String(), "a.png: y (75 %)\nb.png: y (75 %)\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if got, want := stderr.String(), "gone1: no such file\ngone2: no such file\nc.png: not an image\ngone3: no such file\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if p.failed != 4 {
		t.Errorf("%d failed, want 4", p.failed)
	}
}

// serve says where it is reached, and when other machines reach it too.
func TestServingLine(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "Serving on http://127.0.0.1:8080 (Ctrl-C to stop)",
		"[::]:8080":      "Serving on http://localhost:8080, on every network interface: other machines reach it too (Ctrl-C to stop)",
		"0.0.0.0:80":     "Serving on http://localhost:80, on every network interface: other machines reach it too (Ctrl-C to stop)",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := servingLine(tcp); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}
