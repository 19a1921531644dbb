#!/usr/bin/env bash
# Installs what the command-line pipeline needs (idempotent; a second run
# changes nothing): Debian's dataset-fashion-mnist (the built-in default
# dataset, through kernel_setup/setup.sh --apt-only), the XLA CPU PJRT plugin
# (kernel_setup/pjrt_cpu.sh; without it the slower pure-Go backend is used),
# the Go modules, and builds bin/animalcnn.
#
# Usage: scripts/setup_cli.sh (no options)
set -euo pipefail
case "${1:-}" in
  "") ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: scripts/setup_cli.sh (no options; see --help)" >&2; exit 2 ;;
esac
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
want_go="$(sed -n 's/^go \([0-9.]*\).*/\1/p' go.mod)"
have_go="$(go env GOVERSION 2>/dev/null | sed 's/^go//' || true)"
if [[ -z "$have_go" || "$(printf '%s\n%s\n' "$want_go" "$have_go" | sort -V | head -1)" != "$want_go" ]]; then
  echo "scripts/setup_cli.sh: Go $want_go or newer is needed (found: ${have_go:-none}); see https://go.dev/doc/install" >&2
  exit 1
fi
kernel_setup/setup.sh --apt-only
kernel_setup/pjrt_cpu.sh || echo "    warning: no XLA CPU plugin; the pure-Go backend (slower) will be used"
go build -o bin/animalcnn ./mlpkg/cmd/animalcnn
echo "    ok: bin/animalcnn built"
