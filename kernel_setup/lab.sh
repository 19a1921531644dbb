#!/usr/bin/env bash
# Starts JupyterLab on the project's notebooks with the GoNB (Go) kernel.
#
# Usage: kernel_setup/lab.sh [--port N] [JUPYTER LAB OPTIONS …]
#   --port N    listen on port N (or --port=N; default: see below)
#   -h, --help  this text (JupyterLab's own options: .venv/bin/jupyter lab --help)
#
# Runs kernel_setup/setup.sh first when something is missing. Listens on
# 127.0.0.1 only (port 8888, or a free one when that is taken), with a fresh
# random token, and prints the URL to open (with its token). Opens a browser
# where there is a display; add --no-browser to stop that. Ctrl+C stops it.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
for arg in "$@"; do
  case "$arg" in -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
done

# --as-before: after a set-up with --no-xla, the XLA plugin is not downloaded.
if ! "$REPO/kernel_setup/setup.sh" --as-before --check >/dev/null 2>&1; then
  echo "kernel_setup/lab.sh: setting up first (kernel_setup/setup.sh --as-before)"
  "$REPO/kernel_setup/setup.sh" --as-before || echo "kernel_setup/lab.sh: setup reported something missing (above); starting anyway"
fi
if [[ ! -x "$VENV/bin/jupyter" ]]; then
  echo "kernel_setup/lab.sh: no JupyterLab in $VENV: install what kernel_setup/setup.sh reports missing (above), then run this again" >&2
  exit 1
fi
# Without the Go kernel the notebooks cannot run: a Lab with only Python's
# would look ready and fail at the first cell.
if [[ ! -f "$VENV/share/jupyter/kernels/gonb/kernel.json" || ! -x "$REPO/.tools/bin/gonb" ]]; then
  echo "kernel_setup/lab.sh: no GoNB (Go) kernel in $VENV: install what kernel_setup/setup.sh reports missing (above; Go 1.26 or newer is the usual one), then run this again" >&2
  exit 1
fi

# Our kernel before any other gonb kernel the user has registered.
export JUPYTER_PATH="$VENV/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
# Terminals opened in JupyterLab find go, gonb, goimports and gopls too.
export PATH="$REPO/.tools/bin:$PATH"

# --port=N (or --port N) among the arguments picks the port (it is not
# passed twice).
want_port=""
pass_args=()
while (($#)); do
  case "$1" in
    --port=*) want_port="${1#--port=}" ;;
    --port) (($# > 1)) || { echo "kernel_setup/lab.sh: --port needs a number" >&2; exit 2; }; want_port="$2"; shift ;;
    *) pass_args+=("$1") ;;
  esac
  shift
done
if [[ -n "$want_port" && ! "$want_port" =~ ^[0-9]+$ ]]; then
  echo "kernel_setup/lab.sh: --port needs a number, got \"$want_port\"" >&2
  exit 2
fi

read -r PORT TOKEN < <(WANT_PORT="$want_port" "$VENV/bin/python" - <<'PY'
import os, secrets, socket
if os.environ["WANT_PORT"]:
    print(os.environ["WANT_PORT"], secrets.token_hex(24))
    raise SystemExit
def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
port = 8888 if free(8888) else None
if port is None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
print(port, secrets.token_hex(24))
PY
) || { echo "kernel_setup/lab.sh: $VENV/bin/python could not pick a port and a token (above): run kernel_setup/setup.sh" >&2; exit 1; }

# The token goes through the environment: on the command line, any local user
# could read it with ps.
export JUPYTER_TOKEN="$TOKEN"
args=(--ip=127.0.0.1 --port="$PORT" --port-retries=0 --ServerApp.root_dir="$REPO/notebooks")
[[ $(id -u) == 0 ]] && args+=(--allow-root)
if [[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && "$(uname)" != Darwin ]]; then args+=(--no-browser); fi

first=""
for f in "$REPO"/notebooks/*.ipynb; do [[ -e "$f" ]] && first="$(basename "$f")"; break; done
echo
echo "  JupyterLab: http://127.0.0.1:$PORT/lab${first:+/tree/$first}?token=$TOKEN"
echo "  (notebooks in $REPO/notebooks; kernel: Go (gonb); Ctrl+C to stop)"
echo
exec "$VENV/bin/jupyter" lab "${args[@]}" "${pass_args[@]}"
