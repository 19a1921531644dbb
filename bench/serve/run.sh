#!/usr/bin/env bash
# Load bench: the Go server (animalcnn serve) against the course's Flask app
# serving the same CNN with PyTorch on the CPU, on the same images, in the
# same run, both on 127.0.0.1 only. Prints a table and writes
# <out>/serve-<UTC time>.json and .md. Not run in CI.
#
#   bench/serve/run.sh --checkpoint data/checkpoints/cnn [--backend xla:cpu]
#       [--duration 20s] [--requests 20000] [--concurrency 8] [--images DIR]
#       [--out bench/results] [--skip-flask]
#
# Without --checkpoint the Go side serves the fake mean-colour classifier
# (mlpkg/serve/internal/fakeserve): that measures the HTTP/decode path only,
# not a CNN, and the table says so.
#
# The Python side lives in bench/serve/.venv (requirements.lock: every package by version and SHA-256,
# created on first run; torch from PyPI is the CPU+CUDA wheel, a large
# download, used here on the CPU only).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
checkpoint="" backend="" duration="20s" requests=20000 concurrency=8 images="" out="$root/bench/results" skip_flask=0
while [ $# -gt 0 ]; do
  case "$1" in --checkpoint | --backend | --duration | --requests | --concurrency | --images | --out) (($# >= 2)) || { echo "run.sh: $1 needs a value (try --help)" >&2; exit 2; } ;; esac
  case "$1" in
    --checkpoint) checkpoint="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --images) images="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --skip-flask) skip_flask=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

# Paths given relative to where the script was started (it runs from the
# repository's root below).
abs() { case "$1" in "" | /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
checkpoint="$(abs "$checkpoint")" images="$(abs "$images")" out="$(abs "$out")"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A free port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# get URL: prints the body of a GET (python3's urllib: no curl needed).
get() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }

wait_healthy() { # URL LOG PID
  for _ in $(seq 1 120); do
    if get "$1/healthz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$3" 2>/dev/null || break # the server has exited
    sleep 0.5
  done
  echo "run.sh: $1 did not come up; its log:" >&2; tail -20 "$2" >&2; return 1
}

stop() { # PID
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  # Forget it: cleanup must not signal another process that reuses the PID.
  local pid keep=()
  for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || keep+=("$pid"); done
  pids=("${keep[@]}")
}

echo "== building the Go server and the load client"
cd "$root"
mkdir -p "$work/bin"
go build -o "$work/bin/loadgen" ./bench/serve/loadgen
if [ -n "$checkpoint" ]; then
  go build -o "$work/bin/animalcnn" ./mlpkg/cmd/animalcnn
  go_label="go (animalcnn serve, ${backend:-default backend})"
else
  go build -o "$work/bin/fakeserve" ./mlpkg/serve/internal/fakeserve
  go_label="go (FAKE classifier: no --checkpoint)"
  echo "run.sh: no --checkpoint: the Go side serves the fake classifier (HTTP + decode only, no CNN)" >&2
fi

if [ -z "$images" ]; then
  images="$work/images"
  "$work/bin/loadgen" -gen-images "$images" -n 24
fi

results=()
load() { # NAME URL
  "$work/bin/loadgen" -url "$2/api/predict" -images "$images" -name "$1" \
    -duration "$duration" -requests "$requests" -concurrency "$concurrency" > "$work/$1.json"
  results+=("$work/$1.json")
}

echo "== Go server"
port="$(free_port)"
if [ -n "$checkpoint" ]; then
  # Room for every request the load generator keeps in flight: the default
  # (4 × the decode slots) answers 503 busy beyond that.
  args=(serve --checkpoint "$checkpoint" --addr "127.0.0.1:$port" --max-uploads "$((concurrency > 8 ? concurrency : 8))")
  [ -n "$backend" ] && args+=(--backend "$backend")
  "$work/bin/animalcnn" "${args[@]}" > "$work/go.log" 2>&1 &
else
  "$work/bin/fakeserve" -addr "127.0.0.1:$port" > "$work/go.log" 2>&1 &
fi
gopid=$!; pids+=("$gopid")
wait_healthy "http://127.0.0.1:$port" "$work/go.log" "$gopid"
go_backend="$(get "http://127.0.0.1:$port/api/model" | python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["backend"], m["model_id"])')"
load go "http://127.0.0.1:$port"
stop "$gopid"

if [ "$skip_flask" = 0 ]; then
  echo "== Python venv (bench/serve/.venv)"
  venv="$here/.venv"
  stamp="$venv/.requirements.sha256"
  # Debian's python3 (3.11, what the lock was resolved for) unless PYTHON
  # says otherwise, as the other set-up scripts.
  py="${PYTHON:-}"
  if [ -z "$py" ]; then if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py="$(command -v python3)"; fi; fi
  want="$({ cat "$here/requirements.txt" "$here/requirements.lock"; "$py" --version 2>&1; } | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$py" "$here/../../kernel_setup/pylock.py" --check "$here/requirements.txt" "$here/requirements.lock"
    "$py" -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$here/requirements.lock"
    echo "$want" > "$stamp"
  fi
  echo "== Flask + PyTorch (CPU)"
  port="$(free_port)"
  CUDA_VISIBLE_DEVICES="" "$venv/bin/python" "$here/flask_app.py" --port "$port" > "$work/flask.log" 2>&1 &
  flaskpid=$!; pids+=("$flaskpid")
  wait_healthy "http://127.0.0.1:$port" "$work/flask.log" "$flaskpid"
  load flask "http://127.0.0.1:$port"
  stop "$flaskpid"
  torch_info="$(head -1 "$work/flask.log")"
else
  torch_info="(skipped)"
fi

mkdir -p "$out"
stampname="serve-$(date -u +%Y%m%dT%H%M%SZ)"
python3 - "$out/$stampname" "$go_label" "$go_backend" "$torch_info" "$images" "${results[@]}" <<'EOF'
import json, os, platform, sys
base, go_label, go_backend, torch_info, images, *files = sys.argv[1:]
rows = [json.load(open(f)) for f in files]
labels = {"go": f"{go_label} [{go_backend}]", "flask": f"flask + {torch_info}"}
head = "| server | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |"
lines = [head, "|" + "---|" * 8]
for r in rows:
    lines.append(f"| {labels.get(r['name'], r['name'])} | {r['requests']} | {r['errors']} | {r['rps']} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['max_ms']} |")
c = rows[0] if rows else {}
meta = (f"Single-image POST /api/predict (multipart), {c.get('concurrency')} in flight, "
        f"{c.get('images')} images from {images}, on {platform.node()} ({os.cpu_count()} CPUs), loopback only.")
table = "\n".join(lines)
print("\n" + meta + "\n\n" + table)
with open(base + ".md", "w") as f:
    f.write(meta + "\n\n" + table + "\n")
with open(base + ".json", "w") as f:
    json.dump({"description": meta, "go_server": labels["go"], "results": rows}, f, indent=2)
print(f"\nwritten: {base}.md, {base}.json")
EOF
