#!/usr/bin/env bash
# Creates the benchmark's Python virtual environment at bench/.venv with the
# exact versions and hashes of bench/train/requirements.lock (PyTorch and Keras on
# TensorFlow, CPU, from PyPI; about 7 GB because PyPI's Linux torch wheel
# brings the CUDA libraries). The folder gets a .gitignore of "*" so git never
# sees it. Run it again at any time: it reinstalls only when
# requirements.txt or requirements.lock changed.
#
# Usage: bench/train/setup_venv.sh [--check]
#   --check  change nothing: exit 0 when the environment is up to date, 1 if not
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
readonly HERE REPO
readonly VENV="$REPO/bench/.venv"
readonly REQ="$HERE/requirements.txt" LOCK="$HERE/requirements.lock"
readonly STAMP="$VENV/.requirements.sha256"

check_only=0
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup_venv.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

# Debian's python3 (3.11 on Debian 12) unless PYTHON says otherwise, as kernel_setup/setup.sh.
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON="$(command -v python3 || true)"; fi
fi

# Changes with the requirements and with the interpreter (a venv of another
# Python is not trusted).
want="$({
  cat "$REQ" "$LOCK"
  if [[ -n "$PYTHON" ]]; then "$PYTHON" --version 2>&1; fi
} | sha256sum | cut -d' ' -f1)"
echo "==> benchmark venv $VENV"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "    ok: up to date with $(basename "$LOCK")"
  exit 0
fi
if [[ $check_only == 1 ]]; then
  echo "    missing or out of date: run bench/train/setup_venv.sh" >&2
  exit 1
fi
[[ -n "$PYTHON" ]] || { echo "setup_venv.sh: no python3 found (set PYTHON)" >&2; exit 1; }
# A venv whose creation was interrupted has a python but no pip, and one of
# another Python the wrong one: make it again (else pip brings it up to date).
if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1 ||
  [[ "$("$VENV/bin/python" --version 2>&1)" != "$("$PYTHON" --version 2>&1)" ]]; then
  "$PYTHON" -m venv --clear "$VENV" || {
    echo "setup_venv.sh: $PYTHON -m venv failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
echo '*' >"$VENV/.gitignore"
"$PYTHON" "$REPO/kernel_setup/pylock.py" --check "$REQ" "$LOCK" || exit 1
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$LOCK"
if ! TF_CPP_MIN_LOG_LEVEL=3 "$VENV/bin/python" - 2>/dev/null <<'PY'
import torch, tensorflow as tf, keras, numpy
print(f"    ok: torch {torch.__version__}, tensorflow {tf.__version__}, keras {keras.__version__}, numpy {numpy.__version__}")
PY
then
  echo "setup_venv.sh: torch, tensorflow or keras does not import in $VENV (see: $VENV/bin/python -c 'import torch, tensorflow, keras')" >&2
  exit 1
fi
echo "$want" >"$STAMP"
