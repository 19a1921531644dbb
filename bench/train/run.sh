#!/usr/bin/env bash
# Training benchmark on the CPU: the course's CNN, batch 32, the same 50x50
# data, trained by GoMLX on the pure-Go backend, GoMLX on XLA CPU (when
# kernel_setup/pjrt_cpu.sh has installed the plugin), PyTorch CPU and Keras on
# TensorFlow CPU (both from PyPI, in bench/.venv). One process per framework,
# one after the other, each limited to the same number of CPU threads.
#
# Prints one Markdown table (steady images/s, first step, peak RSS, test
# accuracy) and writes it with every raw JSON report and the machine's
# description to bench/results/train-cpu-<UTC time>/, and the table alone to
# bench/results/train_cpu.md. Run it on a quiet machine: the numbers are only
# as good as the idle cores (the load average at start is recorded).
#
# Data: data/processed when `animalcnn prepare` has written it, else a
# deterministic synthetic set (bench/train/make_data.py) in data/bench-synthetic-N.
#
# Usage: bench/train/run.sh [--epochs N] [--rounds N] [--data DIR] [--only LIST] [--synthetic N_TRAIN]
#   --epochs N      epochs per framework (default 3; EPOCHS too)
#   --rounds N      run every framework N times, interleaved (round 1: all of
#                   them, round 2: all again, ...); the table gives medians and
#                   the images/s range, which a busy shared machine needs
#                   (default 1)
#   --data DIR      use this prepared folder
#   --only LIST     comma-separated subset of go,xla,torch,keras
#   --synthetic N   use the synthetic set with N training images (test: N/4),
#                   even if data/processed exists (default size 960)
# Environment: THREADS (default 2), RUN_TIMEOUT seconds per framework (default 3600).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
readonly HERE REPO
cd "$REPO"

epochs="${EPOCHS:-3}" rounds=1 data="" only="go,xla,torch,keras" synthetic=""
readonly batch=32 threads="${THREADS:-2}" timeout_s="${RUN_TIMEOUT:-3600}"
cmdline="bench/train/run.sh $*"
while (($#)); do
  case "$1" in --epochs | --rounds | --data | --only | --synthetic) (($# >= 2)) || { echo "run.sh: $1 needs a value (try --help)" >&2; exit 2; } ;; esac
  case "$1" in
    --epochs) epochs="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --data) data="$2"; shift ;;
    --only) only="$2"; shift ;;
    --synthetic) synthetic="$2"; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$REPO/bench/train/run.sh" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ",$only," == *",$1,"* ]]; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds wants a positive number" >&2; exit 2; }

# ---------------------------------------------------------------- Python
# The PyTorch and Keras rows need bench/.venv (about 7 GB); the Go rows only
# a Python with NumPy to write the synthetic data, when it is used: the
# benchmark's venv when there is one, else the notebooks' (.venv, made by
# kernel_setup/setup.sh), else python3.
if want torch || want keras; then
  bash "$HERE/setup_venv.sh"
fi
PY="$REPO/bench/.venv/bin/python"
[[ -x "$PY" ]] || PY="$REPO/.venv/bin/python"
[[ -x "$PY" ]] || PY="$(command -v python3)"

# ---------------------------------------------------------------- data
if [[ -z "$data" ]]; then
  if [[ -z "$synthetic" && -f data/processed/train_images.npy && -f data/processed/dataset.json ]]; then
    data=data/processed
  else
    n="${synthetic:-960}"
    data="data/bench-synthetic-$n"
    # (again when it was written before make_data.py listed its samples)
    if ! grep -qs '"sha256"' "$data/dataset.json"; then
      "$PY" -c 'import numpy' 2>/dev/null ||
        { echo "run.sh: $PY has no NumPy to write the synthetic data: run kernel_setup/setup.sh (or bench/train/setup_venv.sh)" >&2; exit 1; }
      "$PY" "$HERE/make_data.py" --out "$data" --train "$n" --test $((n / 4))
    fi
  fi
fi
[[ -f "$data/train_images.npy" ]] || { echo "run.sh: no train_images.npy in $data" >&2; exit 1; }
data_desc="$("${PY:-python3}" - "$data" <<'PY'
import json, sys, os
d = sys.argv[1]
m = json.load(open(os.path.join(d, "dataset.json")))
print(f"{d}: {m['train_n']} training and {m['test_n']} test images, {m['image_size']}x{m['image_size']}, "
      f"classes {', '.join(m['classes'])}, hash {m.get('hash', '?')[:12]}")
PY
)"

# ---------------------------------------------------------------- results
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$REPO/bench/results/train-cpu-$stamp"
mkdir -p "$out"
python3 - "$out/machine.json" "$data_desc" "$epochs" "$threads" "$cmdline" "$rounds" <<'PY'
import json, os, platform, subprocess, sys, datetime
path, data_desc, epochs, threads, cmd, rounds = sys.argv[1:]
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**20, 1),
    "kernel": platform.release(), "loadavg": open("/proc/loadavg").read().split()[0],
    "go": sh("go version"), "data_desc": data_desc, "epochs": int(epochs), "threads": int(threads),
    "rounds": int(rounds), "command": cmd,
}, open(path, "w"), indent=2)
PY

# shellcheck source=bench/train/run_one.sh
. "$HERE/run_one.sh"

common_args=(--data "$data" --epochs "$epochs" --batch "$batch")

# ---------------------------------------------------------------- build
gotrain_ok=0
if want go || want xla; then
  mkdir -p bin
  echo "==> building bin/gotrain"
  if CGO_ENABLED=1 go build -o bin/gotrain ./bench/train/gotrain 2>"$out/gotrain-build.log"; then
    gotrain_ok=1
  else
    # shellcheck disable=SC1003  # tr's \\ is one backslash, no quote escaped
    why="$(grep -m1 -v '^#' "$out/gotrain-build.log" | cut -c1-150 | tr -d '|"\\' || true)"
    echo "    FAILED to build: $why"
    for b in go xla:cpu; do
      printf '{"framework": "gomlx", "backend": "%s", "batch_size": %d, "error": "gotrain does not build: %s"}\n' \
        "$b" "$batch" "$why" >"$out/gomlx-${b//:/-}.json"
    done
  fi
fi
xla_ok=0
if want xla && ((gotrain_ok)); then
  if bash kernel_setup/pjrt_cpu.sh --check >/dev/null 2>&1; then
    xla_ok=1
  else
    echo "    skipping XLA CPU: plugin not installed (bash kernel_setup/pjrt_cpu.sh)"
  fi
fi

# ---------------------------------------------------------------- runs
for ((round = 1; round <= rounds; round++)); do
  suffix=""
  if ((rounds > 1)); then
    suffix=".r$round"
    echo "==> round $round of $rounds"
  fi
  if ((xla_ok)); then
    GOMAXPROCS="$threads" run_one "gomlx-xla-cpu$suffix" gomlx xla:cpu "$batch" bin/gotrain --backend xla:cpu "${common_args[@]}"
  fi
  if want go && ((gotrain_ok)); then
    GOMAXPROCS="$threads" run_one "gomlx-go$suffix" gomlx go "$batch" bin/gotrain --backend go "${common_args[@]}"
  fi
  if want torch; then
    run_one "pytorch-cpu$suffix" pytorch cpu "$batch" "$PY" "$HERE/torch_cnn.py" --threads "$threads" "${common_args[@]}"
  fi
  if want keras; then
    run_one "keras-tensorflow-cpu$suffix" keras tensorflow-cpu "$batch" "$PY" "$HERE/keras_cnn.py" --threads "$threads" "${common_args[@]}"
  fi
done

echo
python3 "$HERE/table.py" "$out" --title "Training benchmark, CPU (batch $batch)"
cp "$out/table.md" "$REPO/bench/results/train_cpu.md"
echo
echo "Results: $out (table also in bench/results/train_cpu.md)"
