#!/usr/bin/env bash
# The whole default pipeline without Jupyter, on a fresh machine:
# set up, then import Fashion-MNIST (3 classes) → prepare → train → evaluate → predict.
#
# Usage: scripts/demo.sh [--quick]
#   --quick   300 pictures per class and 2 epochs (a smoke run of a few minutes)
# Environment: EPOCHS, PER_CLASS override the defaults (10 epochs, 1000 per class);
# GOMLX_BACKEND or BACKEND picks the backend (default: the fastest installed).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

epochs="${EPOCHS:-10}" per_class="${PER_CLASS:-1000}"
if [[ "${1:-}" == "--quick" ]]; then epochs="${EPOCHS:-2}" per_class="${PER_CLASS:-300}"; fi

echo "==> set up: Debian's Fashion-MNIST, the XLA CPU plugin, the animalcnn binary"
scripts/setup_cli.sh
bin=bin/animalcnn

echo "==> import-fashion: $per_class pictures per class into data/images"
$bin import-fashion -per-class "$per_class"
echo "==> prepare: data/images → data/processed (50×50 RGB, 25% test)"
$bin prepare -classes sandal,sneaker,ankle_boot -max-per-class "$per_class"
echo "==> train: $epochs epochs → data/checkpoints/cnn"
$bin train -epochs "$epochs" ${BACKEND:+-backend "$BACKEND"}
echo "==> evaluate on the test split"
$bin evaluate ${BACKEND:+-backend "$BACKEND"}
echo "==> predict: one picture of each class"
mapfile -t samples < <(for c in sandal sneaker ankle_boot; do ls data/images/$c/*.png | tail -1; done)
$bin predict -top 3 ${BACKEND:+-backend "$BACKEND"} "${samples[@]}"
