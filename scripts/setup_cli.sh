#!/usr/bin/env bash
# Installs what the command-line pipeline needs (idempotent; a second run
# changes nothing): Debian's dataset-fashion-mnist (the built-in default
# dataset), the XLA CPU PJRT plugin (kernel_setup/pjrt_cpu.sh; without it the
# slower pure-Go backend is used), the Go modules, and builds bin/animalcnn.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

if [[ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  echo "    installing dataset-fashion-mnist (apt)"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q dataset-fashion-mnist >/tmp/animalcnn-apt.log 2>&1 ||
    { "${sudo[@]}" apt-get update -q >>/tmp/animalcnn-apt.log 2>&1 &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q dataset-fashion-mnist >>/tmp/animalcnn-apt.log 2>&1; } ||
    { echo "apt-get install dataset-fashion-mnist failed: see /tmp/animalcnn-apt.log" >&2; exit 1; }
else
  echo "    ok: dataset-fashion-mnist already installed"
fi
kernel_setup/pjrt_cpu.sh || echo "    warning: no XLA CPU plugin; the pure-Go backend (slower) will be used"
go build -o bin/animalcnn ./mlpkg/cmd/animalcnn
echo "    ok: bin/animalcnn built"
