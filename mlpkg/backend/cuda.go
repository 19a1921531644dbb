package backend

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// prepareCUDA turns go-xla's CUDA "driver check" off, unless the user set
// it, and gives XLA a persistent autotuning cache (see autotuneCacheDir).
//
// The check (cudaPluginCheckDrivers in go-xla v0.1.4's pjrt/cuda_linux.go)
// runs when a CUDA plugin loads: when it finds nvidia/ next to the plugin,
// it points XLA's CUDA directory (--xla_gpu_cuda_data_dir in XLA_FLAGS) at
// a path hard-coded in go-xla, its author's home directory; when it does
// not, it logs a long warning. go-xla reads GOPJRT_CUDA_CHECKS; its warning
// tells users to set GOPJR_CUDA_CHECKS instead, a misspelling in go-xla.
// Both are set on purpose (the second is not a typo here): the name that
// has an effect, and the one a user following the warning would look for.
func prepareCUDA() {
	for _, v := range []string{"GOPJRT_CUDA_CHECKS", "GOPJR_CUDA_CHECKS"} {
		if _, ok := os.LookupEnv(v); !ok {
			_ = os.Setenv(v, "0")
		}
	}
	dir := autotuneCacheDir(os.Getenv)
	if dir == "" {
		return
	}
	if strings.ContainsAny(dir, " \t\n\"'") {
		// XLA_FLAGS is split at spaces.
		slog.Warn("no XLA autotuning cache: its path has spaces or quotes; set "+EnvXLACache, "dir", dir)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		slog.Warn("no XLA autotuning cache", "error", err)
		return
	}
	flags := withAutotuneCache(os.Getenv(envXLAFlags), dir)
	_ = os.Setenv(envXLAFlags, flags)
	slog.Info("XLA autotuning cache", "dir", dir, "XLA_FLAGS", flags)
}

// envXLAFlags holds XLA's own options; XLA reads it once per process, at its
// first compilation (so the cache applies when xla:cuda is the first XLA
// backend the process compiles on).
const envXLAFlags = "XLA_FLAGS"

// autotuneCacheFlag names a directory where XLA on GPU keeps the results of
// autotuning (the timing of alternative kernels for each fusion and matrix
// product) across processes, as JAX's persistent cache does by default: a
// later compilation of the same graph on the same GPU model skips that
// search, which can dominate a cold compilation. XLA aborts on unknown
// flags, so a test checks that the pinned XLA knows this one.
const autotuneCacheFlag = "--xla_gpu_per_fusion_autotune_cache_dir"

// autotuneCacheDir returns the autotuning cache directory: $ANIMALCNN_XLA_CACHE
// (made absolute), nothing when that is "off", else
// <user cache dir>/animalcnn/xla-autotune.
func autotuneCacheDir(getenv func(string) string) string {
	v := strings.TrimSpace(getenv(EnvXLACache))
	switch strings.ToLower(v) {
	case "off", "none", "0", "false", "no":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(base, "animalcnn", "xla-autotune")
	}
	if abs, err := filepath.Abs(v); err == nil {
		return abs
	}
	return v
}

// withAutotuneCache adds the autotuning cache flag for dir to XLA_FLAGS'
// value flags, unless flags already sets one (the user's choice wins).
func withAutotuneCache(flags, dir string) string {
	if strings.Contains(flags, autotuneCacheFlag+"=") {
		return flags
	}
	return strings.TrimSpace(flags + " " + autotuneCacheFlag + "=" + dir)
}
