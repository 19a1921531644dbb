#!/usr/bin/env bash
# The whole default pipeline without Jupyter, on a fresh machine:
# set up, then import Fashion-MNIST (3 classes) → prepare → train → evaluate → predict.
#
# Usage: scripts/demo.sh [--quick]
#   --quick   300 pictures per class and 2 epochs (a smoke run of a few minutes)
# Environment: EPOCHS, PER_CLASS override the defaults (10 epochs, 1000 per class);
# GOMLX_BACKEND or BACKEND picks the backend (default: the fastest installed).
#
# Every run prepares its own dataset, data/processed-demo, and trains from
# scratch into its own checkpoint directory, data/checkpoints/demo
# (data/processed-demo-quick and data/checkpoints/demo-quick with --quick),
# so the script can be run again with any settings, and never touches the
# defaults of "animalcnn prepare" and "train" (data/processed,
# data/checkpoints/cnn). It adds the three Fashion-MNIST classes to
# data/images beside any others there.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

epochs="${EPOCHS:-10}" per_class="${PER_CLASS:-1000}" suffix=demo
(($# <= 1)) || { echo "usage: scripts/demo.sh [--quick]" >&2; exit 2; }
case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/p' "$REPO/scripts/demo.sh" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  --quick) epochs="${EPOCHS:-2}" per_class="${PER_CLASS:-300}" suffix=demo-quick ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--quick]" >&2; exit 2 ;;
esac
data="data/processed-$suffix" checkpoint="data/checkpoints/$suffix"

echo "==> set up: Debian's Fashion-MNIST, the XLA CPU plugin, the animalcnn binary"
scripts/setup_cli.sh
bin=bin/animalcnn

echo "==> import-fashion: $per_class pictures per class into data/images"
$bin import-fashion -per-class "$per_class"
echo "==> prepare: data/images → $data (50×50 RGB, 25 % test)"
$bin prepare -classes sandal,sneaker,ankle_boot -max-per-class "$per_class" -data "$data"
echo "==> train: $epochs epoch$([[ $epochs == 1 ]] || echo s) from scratch → $checkpoint"
$bin train -fresh -epochs "$epochs" -data "$data" -checkpoint "$checkpoint" ${BACKEND:+-backend "$BACKEND"}
echo "==> evaluate on the test split"
$bin evaluate -data "$data" -checkpoint "$checkpoint" ${BACKEND:+-backend "$BACKEND"}

# One picture of each class from the test split (never seen in training), as
# recorded in the dataset's dataset.json. Their names ("train-…", "t10k-…")
# tell which part of Fashion-MNIST they come from, not this split.
mapfile -t samples < <(python3 - "$data/dataset.json" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1]))
last = {}
for f in d["files"]:
    if f["split"] == "test":
        last[f["label"]] = os.path.join(d["images_dir"], f["path"])
for label in sorted(last):
    print(last[label])
EOF
)
(( ${#samples[@]} )) || { echo "no test pictures recorded in $data/dataset.json" >&2; exit 1; }
echo "==> predict: one picture of each class from the test split (not used in training)"
$bin predict -top 3 -checkpoint "$checkpoint" ${BACKEND:+-backend "$BACKEND"} "${samples[@]}"
echo "==> done: serve the model with  $bin serve -checkpoint $checkpoint"
