#!/usr/bin/env bash
# Runs the notebooks headless on the GoNB kernel and checks them, with the
# project's virtual environment (kernel_setup/setup.sh makes it):
#   1. the committed notebooks are saved clean (notebooks/clean.py --check);
#   2. every notebooks/*.ipynb runs in quick mode (ANIMALCNN_QUICK=1) and passes
#      tests/notebooks/run_notebooks.py's checks; executed copies and HTML go
#      to out/notebooks/.
# Arguments go to run_notebooks.py: notebooks to run, --out DIR, --full,
# --timeout SECONDS, --fail-fast, --no-html (.venv/bin/python
# tests/notebooks/run_notebooks.py --help tells more).
# The harness's own tests: .venv/bin/python tests/notebooks/test_harness.py
# Sets up first when something is missing (kernel_setup/setup.sh --as-before
# --no-gopls: Debian packages through apt-get, JupyterLab, GoNB, and the
# 63 MB XLA CPU plugin unless an earlier set-up declined it with --no-xla).
set -euo pipefail
for arg in "$@"; do
  if [[ $arg == -h || $arg == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
  fi
done
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$REPO/.venv/bin/python"
if ! "$REPO/kernel_setup/setup.sh" --as-before --no-gopls --check >/dev/null 2>&1; then
  # Something missing or stale (e.g. a moved checkout's kernel): set up, as
  # lab.sh does; what it cannot fix (no sudo for apt) is reported, not fatal.
  echo "tests/notebooks/run.sh: setting up the notebook environment first (kernel_setup/setup.sh --as-before --no-gopls)"
  "$REPO/kernel_setup/setup.sh" --as-before --no-gopls || echo "tests/notebooks/run.sh: setup reported something missing (above); running anyway"
fi
if [[ ! -x "$PY" || ! -f "$REPO/.venv/share/jupyter/kernels/gonb/kernel.json" ]]; then
  echo "tests/notebooks/run.sh: the notebook environment is missing: see kernel_setup/setup.sh's report above" >&2
  exit 1
fi
cd "$REPO"
"$PY" notebooks/clean.py --check
exec "$PY" tests/notebooks/run_notebooks.py "$@"
