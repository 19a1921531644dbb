#!/usr/bin/env bash
# Sets up and runs every test: what CI runs (.ci/run calls exactly this).
#
#   1. set-up (idempotent): kernel_setup/setup.sh --with-browser --no-gopls
#      (Debian packages, JupyterLab venv with numpy, GoNB, the XLA CPU plugin
#      so that tests run on both the pure-Go and the XLA CPU backends,
#      Chromium and playwright-core);
#   2. gofmt, go vet and staticcheck; the Python lock files;
#   3. go test ./... (unit, CLI end-to-end, training on every installed
#      backend, the web app's browser test), then -race on the concurrent
#      packages and a short fuzz run of the upload path; with
#      ANIMALCNN_REQUIRE_ALL=1, so that a test which would skip for want of
#      what step 1 installs fails instead;
#   4. the notebook harness's self-test, every notebook headless in quick mode,
#      and the JupyterLab browser test.
#
# Usage: scripts/test.sh [--no-setup]
#   --no-setup  skip step 1 (the set-up is already done)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

step() { printf '\n==> %s\n' "$*"; }

setup=1
for arg in "$@"; do
  case "$arg" in
    --no-setup) setup=0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$REPO/scripts/test.sh" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "scripts/test.sh: unknown option $arg (usage: scripts/test.sh [--no-setup])" >&2; exit 2 ;;
  esac
done
if [[ $setup == 1 ]]; then
  step "set up"
  kernel_setup/setup.sh --with-browser --no-gopls
fi
# The venv's python3 has numpy (the .npy read-back test uses it); .tools/bin has
# gonb (and node, when setup.sh installed one); Go may not be on PATH yet.
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
export PATH="$REPO/.venv/bin:$REPO/.tools/bin:$PATH"
# The tests use the built-in dataset, whatever classes this shell picked.
unset ANIMALCNN_CLASSES
# What the set-up installs (the XLA CPU plugin, Debian's dataset, NumPy,
# Node.js and Chromium) must be there: a test that would skip without it
# fails instead (internal/testenv).
export ANIMALCNN_REQUIRE_ALL=1

step "gofmt, go vet and staticcheck"
unformatted="$(gofmt -l mlpkg bench internal notebooks)"
if [[ -n "$unformatted" ]]; then
  echo "not gofmt-ed:"; echo "$unformatted"; exit 1
fi
go vet ./...
# staticcheck at a pinned version (go run fetches and caches it).
go run honnef.co/go/tools/cmd/staticcheck@v0.6.1 ./...

step "Python lock files: pylock.py's tests, locks match their requirements"
.venv/bin/python kernel_setup/pylock_test.py

step "go test ./..."
go test -count=1 -timeout 25m ./...

step "go test -race (crawler, web app)"
go test -count=1 -race -timeout 15m ./mlpkg/crawl/... ./mlpkg/serve/...

step "fuzz the upload → decode → predict path (20 s)"
go test -run '^$' -fuzz '^FuzzUpload$' -fuzztime 20s ./mlpkg/serve/

step "notebook harness self-test"
.venv/bin/python tests/notebooks/test_harness.py

step "notebooks, headless, quick mode"
tests/notebooks/run.sh

step "JupyterLab in Chromium: run the predict notebook"
tests/browser/notebook_test.sh
