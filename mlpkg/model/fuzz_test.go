package model

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
	"github.com/animalcnn/animalcnn/mlpkg/internal/ckpt"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// FuzzLoadMeta reads an arbitrary model.json: LoadMeta returns an error or
// metadata with at least two distinct, non-empty classes and a positive
// image size, never panics; ModelConfig and DisplayName do not panic on
// it; and it saves and loads back the same.
func FuzzLoadMeta(f *testing.F) {
	arch := DefaultConfig(3)
	m := &Meta{ModelID: "cnn-20261207T101500Z", Classes: []string{"sandal", "sneaker", "ankle_boot"}, ImageSize: 50,
		DisplayNames:  map[string]map[string]string{"ja": {"sandal": "サンダル"}, "en": {"ankle_boot": "ankle boot"}},
		Normalization: Normalization, Architecture: &arch, Hyperparameters: map[string]any{"seed": 1.0, "optimizer": "rmsprop"},
		DatasetHash: "abc", Backend: "go", Created: time.Date(2026, 12, 7, 10, 15, 0, 0, time.UTC),
		Metrics: map[string]float64{"best_epoch": 3, "val_accuracy": 0.9}}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(`{"classes":["a","b"],"image_size":50}`))
	f.Add([]byte(`{"classes":["a","b"],"image_size":50,"architecture":{"filters1":-1}}`))
	f.Add([]byte(`{"classes":["a","a"],"image_size":50}`))
	f.Add([]byte(`{"classes":["a","b"],"image_size":1e300}`))
	f.Add([]byte(`{"classes":["a","b"],"image_size":9223372036854775807,"architecture":{"filters1":9223372036854775807,"filters2":2,"dense_units":3}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, MetaFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := LoadMeta(dir)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range m.Classes {
			if c == "" || seen[c] {
				t.Fatalf("classes %q", m.Classes)
			}
			seen[c] = true
		}
		if len(m.Classes) < 2 || m.ImageSize <= 0 {
			t.Fatalf("%d classes, image size %d", len(m.Classes), m.ImageSize)
		}
		if cfg, err := m.ModelConfig(); err == nil {
			_ = cfg.FlatFeatures()
		}
		for lang := range m.DisplayNames {
			m.DisplayName(m.Classes[0], lang)
		}
		m.DisplayName(m.Classes[1], "ja-JP")
		want, err := json.Marshal(m)
		if err != nil {
			return // a time JSON cannot hold
		}
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		again, err := LoadMeta(dir)
		if err != nil {
			t.Fatalf("model.json saved from %q does not load: %v", data, err)
		}
		if got, _ := json.Marshal(again); !bytes.Equal(got, want) {
			t.Fatalf("saved\n%s\nloaded back\n%s", want, got)
		}
	})
}

// FuzzLoadCheckpoint loads a checkpoint folder whose GoMLX files (the JSON
// that describes the variables, the data) are arbitrary: loadModelVariables
// returns an error or the model's variables, never panics, and never
// allocates more than the data could hold (a shape of 2^40 elements in a
// few bytes of JSON is refused before GoMLX allocates it).
func FuzzLoadCheckpoint(f *testing.F) {
	ctx := context.New()
	ctx.InAbsPath("/"+Scope+"/conv").VariableWithValue("w", []float32{1, 2, 3})
	ctx.InAbsPath("/"+Scope+"/dense").VariableWithValue("b", [][]float32{{1}, {2}})
	ctx.InAbsPath("/rmsprop").VariableWithValue("m", []float32{0, 0, 0})
	ctx.SetParam("learning_rate", 0.001)
	for _, format := range []checkpoints.BinFormat{checkpoints.BinUncompressed, checkpoints.BinGZIP} {
		j, b := checkpointFiles(f, ctx, format)
		f.Add(j, b)
		f.Add(j[:len(j)/2], b)
		f.Add(j, b[:len(b)/2])
		for _, edit := range []struct{ from, to string }{
			{"\t\t\t\t3\n", "\t\t\t\t-1\n"},
			{"\t\t\t\t3\n", "\t\t\t\t1099511627776\n"},
			{"\t\t\t\t3\n", "\t\t\t\t4\n"},
			{`"Float32"`, `"InvalidDType"`},
			{`"Float32"`, `99`},
			{`"Length": 12`, `"Length": 1099511627776`},
			{`"var:/model/conv/w"`, `"var:model"`},
			{`"Scope": "/"`, `"Scope": "model"`},
		} {
			f.Add(bytes.Replace(j, []byte(edit.from), []byte(edit.to), 1), b)
		}
	}
	f.Fuzz(func(t *testing.T, jsonData, bin []byte) {
		snap := t.TempDir()
		const base = "checkpoint-n0000001-20261207-101500-initial"
		if err := os.WriteFile(filepath.Join(snap, base+".json"), jsonData, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(snap, base+".bin"), bin, 0o644); err != nil {
			t.Fatal(err)
		}
		var loaded *context.Context
		var err error
		// GoMLX inflates compressed data whole: up to about a thousand
		// times the file, and twice that while its buffer grows.
		limit := 4<<20 + 64*uint64(len(jsonData)) + 2*ckpt.MaxInflation*uint64(len(bin))
		if n := allocs.Bytes(func() { loaded, err = loadModelVariables(snap) }); n > limit {
			t.Fatalf("loadModelVariables of %d + %d bytes allocated %d bytes (%v)", len(jsonData), len(bin), n, err)
		}
		if err != nil {
			return
		}
		for v := range loaded.IterVariables() {
			if !inModel(v.Scope()) {
				t.Fatalf("variable %s loaded for inference", v.ScopeAndName())
			}
		}
	})
}
