#!/usr/bin/env bash
# Browser test of a notebook: starts JupyterLab (from <repo>/.venv) on a free
# port of 127.0.0.1 with a random token, runs tests/browser/notebook.mjs
# (headless Chromium: open the notebook, Run All Cells, wait for the GoNB
# kernel to be idle, check the expected output and that no cell failed,
# screenshot into out/browser/), then stops the server.
#
# Usage: tests/browser/notebook_test.sh [NOTEBOOK [EXPECT_REGEX]]
#   NOTEBOOK      path under NOTEBOOK_ROOT (default: $NOTEBOOK or 05_predict.ipynb)
#   EXPECT_REGEX  JavaScript regex an output must match (default: $EXPECT, or
#                 the predict notebook's prediction line)
# Environment: TIMEOUT (seconds for all cells, default 600); NOTEBOOK_ROOT
# (JupyterLab's root folder, default notebooks/; the harness's broken notebooks
# are in tests/notebooks/testdata).
#
# Cells run in quick mode (ANIMALCNN_QUICK=1). JupyterLab runs with autosave
# off, so the notebook file is not changed; the script checks that it wasn't.
# Needs: kernel_setup/setup.sh --with-browser. CHROMIUM: the browser to drive
# (default /usr/bin/chromium).
set -euo pipefail
case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "notebook_test.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$REPO/.venv"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# node (and gonb, go tools) as setup.sh installed them.
export PATH="$REPO/.tools/bin:$PATH"
NOTEBOOK="${1:-${NOTEBOOK:-05_predict.ipynb}}"
EXPECT="${2:-${EXPECT:-(sandal|sneaker|ankle_boot|monkey|boar|crow) \\(\\d+(\\.\\d+)? ?%\\)}}"
TIMEOUT="${TIMEOUT:-600}"
ROOT="$(cd "${NOTEBOOK_ROOT:-$REPO/notebooks}" && pwd)"
file="$ROOT/$NOTEBOOK"

[[ -f "$file" ]] || { echo "notebook_test.sh: no notebook $file" >&2; exit 1; }
for need in "$VENV/bin/jupyter" "$REPO/tests/browser/node_modules/playwright-core" "$CHROMIUM"; do
  [[ -e "$need" ]] || { echo "notebook_test.sh: missing $need: run kernel_setup/setup.sh --with-browser" >&2; exit 1; }
done

tmp="$(mktemp -d)"
server_pid=""
cp "$file" "$tmp/notebook.backup"
before="$(sha256sum <"$file")"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Settings for this server only: no autosave (the notebook stays clean), all
# cells attached to the page (outputs of off-screen cells can be read).
mkdir -p "$tmp/settings/@jupyterlab/docmanager-extension" "$tmp/settings/@jupyterlab/notebook-extension" "$tmp/workspaces" "$tmp/runtime"
echo '{"autosave": false}' >"$tmp/settings/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"
echo '{"windowingMode": "none"}' >"$tmp/settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"

read -r PORT TOKEN < <("$VENV/bin/python" -c '
import secrets, socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1], secrets.token_hex(24)); s.close()')
BASE="http://127.0.0.1:$PORT"
root=()
[[ $(id -u) == 0 ]] && root=(--allow-root)

mkdir -p "$REPO/out/browser"
log="$REPO/out/browser/jupyterlab.log"
echo "notebook_test.sh: JupyterLab on $BASE (log: out/browser/jupyterlab.log)"
JUPYTER_PATH="$VENV/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}" JUPYTER_RUNTIME_DIR="$tmp/runtime" \
  ANIMALCNN_QUICK=1 JUPYTER_TOKEN="$TOKEN" \
  "$VENV/bin/jupyter" lab --no-browser "${root[@]}" --ip=127.0.0.1 --port="$PORT" --port-retries=0 \
  --ServerApp.root_dir="$ROOT" \
  --LabApp.user_settings_dir="$tmp/settings" --LabApp.workspaces_dir="$tmp/workspaces" \
  >"$log" 2>&1 &
server_pid=$!

for i in $(seq 120); do
  if "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "$BASE/api/status?token=$TOKEN" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then echo "notebook_test.sh: JupyterLab exited; see $log" >&2; exit 1; fi
  ((i == 120)) && { echo "notebook_test.sh: JupyterLab did not answer in 60 s; see $log" >&2; exit 1; }
  sleep 0.5
done

status=0
node "$REPO/tests/browser/notebook.mjs" --base="$BASE" --token="$TOKEN" --notebook="$NOTEBOOK" \
  --expect="$EXPECT" --timeout="$TIMEOUT" \
  --screenshot="$REPO/out/browser/$(basename "${NOTEBOOK%.ipynb}").png" || status=$?

if [[ "$(sha256sum <"$file")" != "$before" ]]; then
  cp "$tmp/notebook.backup" "$file"
  echo "notebook_test.sh: FAIL: the test changed $file (restored it)" >&2
  status=1
fi
exit "$status"
