#!/usr/bin/env bash
# Training benchmark on an NVIDIA GPU: the course's CNN trained by GoMLX on
# XLA CUDA and by PyTorch CUDA, at batch 32 and 256, on the same synthetic
# 50x50 data. Writes the table and the raw JSON reports to
# bench/results/train-gpu-<UTC time>/ and the table to bench/results/train_gpu.md.
#
# The GPU machine may have no network and no Go: build the Go program on a
# development machine first, then carry bin/gotrain there with the repository:
#   bench/train/run_gpu.sh --build      # here: CGO_ENABLED=1 go build -o bin/gotrain (links only libc)
#   bench/train/run_gpu.sh              # there
# There it needs: nvidia-smi, a Python 3 with NumPy and a CUDA build of
# PyTorch (PYTHON, else python3), and JAX's CUDA PJRT plugin with its NVIDIA
# libraries (an existing JAX CUDA installation is found by
# kernel_setup/pjrt_cuda.sh, which writes .tools/cuda/env.sh; sourced here).
# XLA_FLAGS passes through (e.g. --xla_gpu_autotune_level=0 for a faster
# first step, slower steps). XLA CUDA runs three
# times per batch size: cold autotuning cache, warm cache, and cold with
# Triton GEMM off (see below). About 4 minutes on an H100 at the defaults,
# estimated from earlier measurements (not yet run).
#
# Usage: bench/train/run_gpu.sh [--build] [--epochs N] [--train N] [--batches "32 256"] [--only LIST]
#   --build        only build bin/gotrain (on a machine with Go and gcc) and exit
#   --epochs N     epochs per run (default 3)
#   --train N      synthetic training images (default 16384; test: N/8)
#   --batches L    batch sizes (default "32 256")
#   --only LIST    comma-separated subset of xla,torch
# Environment: RUN_TIMEOUT seconds per run (default 600).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
readonly HERE REPO
cd "$REPO"

epochs=3 ntrain=16384 batches="32 256" only="xla,torch" build_only=0
readonly timeout_s="${RUN_TIMEOUT:-600}"
cmdline="bench/train/run_gpu.sh $*"
while (($#)); do
  case "$1" in --epochs | --train | --batches | --only) (($# >= 2)) || { echo "run_gpu.sh: $1 needs a value (try --help)" >&2; exit 2; } ;; esac
  case "$1" in
    --build) build_only=1 ;;
    --epochs) epochs="$2"; shift ;;
    --train) ntrain="$2"; shift ;;
    --batches) batches="$2"; shift ;;
    --only) only="$2"; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$REPO/bench/train/run_gpu.sh" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_gpu.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ",$only," == *",$1,"* ]]; }

if [[ $build_only == 1 ]]; then
  mkdir -p bin
  CGO_ENABLED=1 go build -trimpath -ldflags='-s -w' -o bin/gotrain ./bench/train/gotrain
  ls -l bin/gotrain
  echo "ldd: $(ldd bin/gotrain | awk '{print $1}' | tr '\n' ' ')"
  exit 0
fi

command -v nvidia-smi >/dev/null 2>&1 || { echo "run_gpu.sh: no nvidia-smi: not a GPU machine" >&2; exit 1; }
gpu="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
echo "==> GPU: $gpu"

if [[ -z "${PYTHON:-}" ]]; then PYTHON="$(command -v python3)"; fi

# ---------------------------------------------------------------- XLA CUDA plugin
# When it cannot be set up (no JAX CUDA here and no network to install it),
# the XLA rows say why and PyTorch still runs.
# The XLA rows run under .tools/cuda/env.sh (cuda_env), the rest of the
# script without it: its LD_LIBRARY_PATH puts JAX's NVIDIA libraries first,
# and PyTorch must load its own cuBLAS and cuDNN, not those.
xla_error=""
cuda_env=(bash -c '. .tools/cuda/env.sh && exec "$@"' cuda-env)
if want xla; then
  [[ -x bin/gotrain ]] || { echo "run_gpu.sh: bin/gotrain missing: run bench/train/run_gpu.sh --build on a machine with Go, and carry bin/" >&2; exit 1; }
  setup_log="$(mktemp)"
  if PYTHON="$PYTHON" PIP_RETRIES="${PIP_RETRIES:-1}" bash kernel_setup/pjrt_cuda.sh 2>&1 | tee "$setup_log"; then
    "${cuda_env[@]}" bin/gotrain --available || true
  else
    # shellcheck disable=SC1003  # tr's \\ is one backslash, no quote escaped
    xla_error="kernel_setup/pjrt_cuda.sh failed: $(grep -v '^\s*$' "$setup_log" | tail -1 | cut -c1-150 | tr -d '|"\\')"
    echo "    skipping XLA CUDA: $xla_error"
  fi
  rm -f "$setup_log"
fi

# ---------------------------------------------------------------- data
data="data/bench-synthetic-$ntrain"
if ! grep -qs '"sha256"' "$data/dataset.json"; then # missing, or written before make_data.py listed its samples
  "$PYTHON" "$HERE/make_data.py" --out "$data" --train "$ntrain" --test $((ntrain / 8))
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$REPO/bench/results/train-gpu-$stamp"
mkdir -p "$out"
"$PYTHON" - "$out/machine.json" "$data" "$epochs" "$gpu" "$cmdline" <<'PY'
import json, os, platform, sys, datetime
path, data, epochs, gpu, cmd = sys.argv[1:]
m = json.load(open(os.path.join(data, "dataset.json")))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**20, 1), "gpu": gpu,
    "loadavg": open("/proc/loadavg").read().split()[0], "kernel": platform.release(),
    "data_desc": f"{data}: {m['train_n']} training and {m['test_n']} test synthetic images, hash {m['hash'][:12]}",
    "epochs": int(epochs), "threads": os.cpu_count(), "command": cmd,
    "xla_flags": os.environ.get("XLA_FLAGS", ""),
}, open(path, "w"), indent=2)
PY

# shellcheck source=bench/train/run_one.sh
. "$HERE/run_one.sh"

# XLA CUDA runs three times per batch size: with an empty autotuning cache
# (a first run on this machine), again with the cache that run filled (every
# later run: mlpkg/backend keeps the cache in the user's cache directory), and
# with an empty cache and Triton GEMM fusions off (no Triton autotuning).
cache_root="$(mktemp -d)"
trap 'rm -rf "$cache_root"' EXIT
for b in $batches; do
  args=(--data "$data" --epochs "$epochs" --batch "$b")
  if want xla && [[ -n $xla_error ]]; then
    printf '{"framework": "gomlx", "backend": "xla:cuda", "batch_size": %d, "error": "%s"}\n' \
      "$b" "$xla_error" >"$out/gomlx-xla-cuda-b$b.json"
  elif want xla; then
    gotrain=("${cuda_env[@]}" bin/gotrain --backend xla:cuda "${args[@]}")
    run_one "gomlx-xla-cuda-b$b-1" gomlx xla:cuda "$b" \
      env ANIMALCNN_XLA_CACHE="$cache_root/b$b" "${gotrain[@]}" --variant "cold cache"
    run_one "gomlx-xla-cuda-b$b-2" gomlx xla:cuda "$b" \
      env ANIMALCNN_XLA_CACHE="$cache_root/b$b" "${gotrain[@]}" --variant "warm cache"
    run_one "gomlx-xla-cuda-b$b-3" gomlx xla:cuda "$b" \
      env ANIMALCNN_XLA_CACHE="$cache_root/b$b-no-triton" XLA_FLAGS="${XLA_FLAGS:-} --xla_gpu_enable_triton_gemm=false" \
      "${gotrain[@]}" --variant "cold cache, Triton GEMM off"
  fi
  if want torch; then
    run_one "pytorch-cuda-b$b" pytorch cuda "$b" "$PYTHON" "$HERE/torch_cnn.py" --device cuda "${args[@]}"
  fi
done

echo
"$PYTHON" "$HERE/table.py" "$out" --title "Training benchmark, NVIDIA GPU"
cp "$out/table.md" "$REPO/bench/results/train_gpu.md"
echo
echo "Results: $out (table also in bench/results/train_gpu.md)"
