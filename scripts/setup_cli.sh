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
kernel_setup/setup.sh --apt-only
kernel_setup/pjrt_cpu.sh || echo "    warning: no XLA CPU plugin; the pure-Go backend (slower) will be used"
go build -o bin/animalcnn ./mlpkg/cmd/animalcnn
echo "    ok: bin/animalcnn built"
