package backend

import (
	"os"
	"path/filepath"
	"testing"
)

// prepareCUDA turns go-xla's driver check off unless the user set it, and
// adds the autotuning cache to the user's XLA_FLAGS, creating its directory.
func TestPrepareCUDA(t *testing.T) {
	t.Setenv("GOPJRT_CUDA_CHECKS", "1")
	unsetenv(t, "GOPJR_CUDA_CHECKS")
	t.Setenv(envXLAFlags, "--xla_mine=1")
	dir := filepath.Join(t.TempDir(), "new", "cache")
	t.Setenv(EnvXLACache, dir)
	prepareCUDA()
	if v := os.Getenv("GOPJRT_CUDA_CHECKS"); v != "1" {
		t.Errorf("GOPJRT_CUDA_CHECKS=%q, want the user's 1", v)
	}
	if v, ok := os.LookupEnv("GOPJR_CUDA_CHECKS"); !ok || v != "0" {
		t.Errorf("GOPJR_CUDA_CHECKS=%q (set %v), want 0", v, ok)
	}
	if got, want := os.Getenv(envXLAFlags), "--xla_mine=1 "+autotuneCacheFlag+"="+dir; got != want {
		t.Errorf("XLA_FLAGS=%q, want %q", got, want)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("cache directory not created: %v", err)
	}

	// XLA_FLAGS is split at spaces: a path with one gets no cache.
	t.Setenv(envXLAFlags, "")
	t.Setenv(EnvXLACache, filepath.Join(t.TempDir(), "my cache"))
	prepareCUDA()
	if got := os.Getenv(envXLAFlags); got != "" {
		t.Errorf("cache path with a space: XLA_FLAGS=%q, want none", got)
	}
	for _, off := range []string{"off", "OFF", "none", "0", " false "} {
		t.Setenv(EnvXLACache, off)
		if d := autotuneCacheDir(os.Getenv); d != "" {
			t.Errorf("%s=%q: cache %q, want none", EnvXLACache, off, d)
		}
	}
}
