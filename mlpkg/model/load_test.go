package model

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
