package model

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// writeCheckpoint saves ctx's variables as dir/best (a GoMLX checkpoint)
// with a model.json describing cfg.
func writeCheckpoint(t *testing.T, ctx *context.Context, dir string, cfg Config) {
	t.Helper()
	h, err := checkpoints.Build(ctx).Dir(filepath.Join(dir, BestDir)).Done()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	arch := cfg
	meta := &Meta{ModelID: "test", Classes: []string{"a", "b", "c"}[:cfg.NumClasses], ImageSize: cfg.ImageSize, Architecture: &arch}
	if err := meta.Save(dir); err != nil {
		t.Fatal(err)
	}
}

// A checkpoint whose best/ also holds the optimiser state (as older
// versions saved it) loads, and only the model's variables are kept.
func TestLoadKeepsOnlyTheModel(t *testing.T) {
	b := goBackend(t)
	cfg := smallConfig()
	ctx := initVariables(t, b, cfg)
	px := randomImages(3, cfg.ImageSize, 5)
	want := probabilities(t, b, ctx, cfg, px, 3)
	var modelVars int
	for v := range ctx.IterVariables() {
		if strings.HasPrefix(v.Scope(), "/"+Scope) {
			modelVars++
			// An optimiser moment per weight, as train's RMSprop keeps them.
			moment, err := v.MustValue().Clone()
			if err != nil {
				t.Fatal(err)
			}
			ctx.InAbsPath("/rmsprop"+v.Scope()).VariableWithValue(v.Name()+"_mean_square", moment)
		}
	}
	ctx.InAbsPath(context.RootScope).VariableWithValue("global_step", int64(42))
	dir := t.TempDir()
	writeCheckpoint(t, ctx, dir, cfg)

	loaded, err := loadModelVariables(filepath.Join(dir, BestDir))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for v := range loaded.IterVariables() {
		if !strings.HasPrefix(v.Scope(), "/"+Scope+"/") {
			t.Errorf("variable %s loaded for inference", v.ScopeAndName())
		}
		n++
	}
	if n != modelVars {
		t.Errorf("%d variables loaded, want the model's %d", n, modelVars)
	}
	c, _, err := Load(dir, b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Probabilities(px, 3)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "loaded vs trained", got, want, 0)
}

// A model.json that does not describe the saved weights (here another
// dense_units, or another image size) fails at Load, naming the checkpoint
// and the variable, not at the first prediction.
func TestLoadChecksTheArchitecture(t *testing.T) {
	b := goBackend(t)
	cfg := smallConfig()
	ctx := initVariables(t, b, cfg)
	for _, c := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.DenseUnits++ }, "/model/dense1/"},
		{func(c *Config) { c.ImageSize += 4 }, "/model/dense1/"},
		{func(c *Config) { c.Filters2++ }, "/model/conv3/"},
	} {
		dir := t.TempDir()
		other := cfg
		c.change(&other)
		writeCheckpoint(t, ctx, dir, other)
		_, _, err := Load(dir, b)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, BestDir)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("model.json with %+v for weights of %+v: err %v, want one naming %s and %s", other, cfg, err, filepath.Join(dir, BestDir), c.want)
		}
	}
	dir := t.TempDir()
	writeCheckpoint(t, ctx, dir, cfg)
	if _, _, err := Load(dir, b); err != nil {
		t.Errorf("matching model.json: %v", err)
	}
}

// A checkpoint with last/ only (training stopped in its first epoch) loads,
// with a warning that its weights are those of an unfinished epoch; one
// with best/ loads without a word.
func TestLoadWarnsOfUnfinishedTraining(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { slog.SetDefault(old) })

	b := goBackend(t)
	cfg := smallConfig()
	ctx := initVariables(t, b, cfg)
	dir := t.TempDir()
	writeCheckpoint(t, ctx, dir, cfg)
	if _, _, err := Load(dir, b); err != nil || logs.Len() != 0 {
		t.Fatalf("best/: err %v, logs %q", err, logs.String())
	}
	if err := os.Rename(filepath.Join(dir, BestDir), filepath.Join(dir, LastDir)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir, b); err != nil || !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "has no best/") {
		t.Errorf("last/ only: err %v, logs %q; want a warning", err, logs.String())
	}
}

// TestLoadDamagedCheckpoint: a checkpoint whose JSON file was damaged (a
// negative dimension, a shape of 2^40 elements in a few bytes, a type GoMLX
// does not know, a length that is not the shape's) is an error naming the
// file, neither a panic nor an allocation of terabytes that ends the program.
func TestLoadDamagedCheckpoint(t *testing.T) {
	ctx := context.New()
	ctx.InAbsPath("/"+Scope+"/conv").VariableWithValue("w", []float32{1, 2, 3})
	for _, format := range []checkpoints.BinFormat{checkpoints.BinUncompressed, checkpoints.BinGZIP} {
		jsonData, bin := checkpointFiles(t, ctx, format)
		for _, edit := range []struct{ from, to, want string }{
			{"\t\t\t\t3\n", "\t\t\t\t-1\n", "negative dimension"},
			{"\t\t\t\t3\n", "\t\t\t\t1099511627776\n", "of shape [1099511627776] takes more than"},
			{`"Float32"`, `"InvalidDType"`, "unknown dtype"},
			{`"Length": 12`, `"Length": 16`, "takes 12 bytes, not the 16 recorded"},
		} {
			snap := t.TempDir()
			const base = "checkpoint-n0000001-20261207-101500-initial"
			writeFile := func(name string, b []byte) {
				if err := os.WriteFile(filepath.Join(snap, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(base+".json", bytes.Replace(jsonData, []byte(edit.from), []byte(edit.to), 1))
			writeFile(base+".bin", bin)
			var err error
			if n := allocs.Bytes(func() { _, err = loadModelVariables(snap) }); n > 1<<20 {
				t.Errorf("%s → %s: %d bytes allocated", edit.from, edit.to, n)
			}
			if err == nil || !strings.Contains(err.Error(), edit.want) || !strings.Contains(err.Error(), snap) {
				t.Errorf("%s → %s: %v, want an error saying %q about %s", strings.TrimSpace(edit.from), strings.TrimSpace(edit.to), err, edit.want, snap)
			}
		}
	}
}

// checkpointFiles saves ctx's variables as a GoMLX checkpoint (compressed
// or not) and returns its JSON and data files.
func checkpointFiles(tb testing.TB, ctx *context.Context, format checkpoints.BinFormat) (jsonData, bin []byte) {
	tb.Helper()
	dir := tb.TempDir()
	h, err := checkpoints.Build(ctx).Dir(dir).WithCompression(format).Done()
	if err != nil {
		tb.Fatal(err)
	}
	if err := h.Save(); err != nil {
		tb.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		switch {
		case strings.HasSuffix(e.Name(), ".json"):
			jsonData = b
		case strings.HasSuffix(e.Name(), ".bin"):
			bin = b
		}
	}
	return jsonData, bin
}
