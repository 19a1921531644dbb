#!/usr/bin/env bash
# Installs the XLA CPU PJRT plugin that GoMLX's xla backend (go-xla v0.1.4)
# loads, so that `--backend xla:cpu` works. The plugin comes from PyPI:
# lammps-jax-pjrt-cpu 0.11.2 is XLA's own //xla/pjrt/c:pjrt_c_api_cpu_plugin.so
# built from the XLA of jaxlib 0.11.2 (Apache-2.0; third-party notices are
# copied next to it). The wheel is pinned by version and SHA-256; the plugin
# inside it is checked against its own SHA-256 too.
#
# No virtual environment is needed: `python3 -m pip download --no-deps` (with
# pip from a throwaway virtual environment when python3 has none) fetches the
# wheel (or --wheel FILE uses one already downloaded) and Python's zipfile
# extracts the one .so. Run it again at any time: it prints "ok: …" and does
# nothing when the pinned plugin is already in place.
#
# Default destination: <repo>/.tools/pjrt/pjrt_c_api_cpu_plugin.so (git-ignored),
# which mlpkg/backend searches without any setting. --user installs into ~/.local/lib/go-xla,
# which go-xla itself searches, for programs outside this repository.
#
# Usage: kernel_setup/pjrt_cpu.sh [--user | --dir DIR] [--wheel FILE] [--check]
#   --user        install into ~/.local/lib/go-xla instead of <repo>/.tools/pjrt
#   --dir DIR     install into DIR (mlpkg/backend finds it with ANIMALCNN_PJRT_DIR=DIR, an absolute path)
#   --wheel FILE  use this wheel file instead of downloading it (checked the same way)
#   --check       change nothing: say whether the pinned plugin is installed (exit 1 if not)
set -euo pipefail

readonly PKG_NAME=lammps-jax-pjrt-cpu
readonly PKG_VERSION=0.11.2
readonly WHEEL_NAME=lammps_jax_pjrt_cpu-0.11.2-py3-none-manylinux_2_27_x86_64.whl
readonly WHEEL_SHA256=1319390d948b39f69f7dade496b7c385149d9ca6097a6b62114da113216d9ad1
readonly PLUGIN_MEMBER=lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so
readonly PLUGIN_SHA256=ad1309ac822b1b24d51b7f9947c7c9fa9ef5d67f390584cbc3d1fa2428fed9c2
readonly PLUGIN_FILE=pjrt_c_api_cpu_plugin.so
readonly STAMP_FILE=pjrt_c_api_cpu_plugin.version

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO

dest="$REPO/.tools/pjrt" wheel="" check_only=0
while (($#)); do
  case "$1" in
    --user) dest="$HOME/.local/lib/go-xla" ;;
    --dir)
      [[ $# -ge 2 ]] || { echo "pjrt_cpu.sh: --dir needs a directory" >&2; exit 2; }
      dest="$2"; shift ;;
    --wheel)
      [[ $# -ge 2 ]] || { echo "pjrt_cpu.sh: --wheel needs a file" >&2; exit 2; }
      wheel="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift ;;
    --check) check_only=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "pjrt_cpu.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$dest" == /* ]] || dest="$PWD/$dest"

ok() { printf '    ok: %s\n' "$*"; }
die() { printf 'pjrt_cpu.sh: %s\n' "$*" >&2; exit 1; }

if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then
  die "the pinned plugin is for Linux x86-64 only (this is $(uname -s)/$(uname -m)); on other systems use the pure-Go backend (--backend go)"
fi

# Python with pip, for the download: PYTHON, else Debian's python3, else the one on PATH.
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON="$(command -v python3 || true)"; fi
fi

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

installed_ok() {
  [[ -f "$dest/$PLUGIN_FILE" && -f "$dest/$STAMP_FILE" ]] || return 1
  [[ "$(cat "$dest/$STAMP_FILE")" == "$PKG_NAME $PKG_VERSION $PLUGIN_SHA256" ]] || return 1
  # A cheap size check every time; the full hash only when the stamp is older than the file.
  [[ "$(stat -c %s "$dest/$PLUGIN_FILE")" == 201600336 ]] || return 1
  if [[ "$dest/$PLUGIN_FILE" -nt "$dest/$STAMP_FILE" ]]; then
    [[ "$(sha256_of "$dest/$PLUGIN_FILE")" == "$PLUGIN_SHA256" ]] || return 1
  fi
}

echo "==> XLA CPU PJRT plugin ($PKG_NAME $PKG_VERSION) in $dest"
if installed_ok; then
  ok "$dest/$PLUGIN_FILE"
  exit 0
fi
if [[ $check_only == 1 ]]; then
  echo "    missing: run kernel_setup/pjrt_cpu.sh" >&2
  exit 1
fi

tmp="$(mktemp -d)"
# Also the half-copied plugin (200 MB) that an interrupted move below leaves.
trap 'rm -rf "$tmp" "$dest/.$PLUGIN_FILE.tmp"' EXIT

if [[ -z "$wheel" ]]; then
  [[ -n "$PYTHON" ]] || die "needs python3 to download the wheel, or --wheel FILE"
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    # Debian's python3 has no pip unless python3-pip is installed: a
    # throwaway virtual environment has one (python3-venv).
    "$PYTHON" -m venv "$tmp/venv" >/dev/null 2>&1 ||
      die "needs python3 with pip or venv to download the wheel (Debian: apt-get install python3-venv), or --wheel FILE"
    PYTHON="$tmp/venv/bin/python"
  fi
  echo "    downloading $WHEEL_NAME (63 MB) from the package index"
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
    --dest "$tmp" "$PKG_NAME==$PKG_VERSION" ||
    die "pip download of $PKG_NAME==$PKG_VERSION failed"
  wheel="$tmp/$WHEEL_NAME"
  [[ -f "$wheel" ]] || die "pip did not save $WHEEL_NAME (got: $(ls "$tmp"))"
fi
[[ -f "$wheel" ]] || die "wheel $wheel not found"
got="$(sha256_of "$wheel")"
[[ "$got" == "$WHEEL_SHA256" ]] || die "$wheel: SHA-256 $got, want $WHEEL_SHA256 (not the pinned wheel)"
ok "wheel SHA-256 $WHEEL_SHA256"

# Extract the plugin and its license files next to each other, then move the
# plugin into place atomically (a running program never sees half a file).
mkdir -p "$dest"
"$PYTHON" - "$wheel" "$tmp/x" "$PLUGIN_MEMBER" <<'PY'
import sys, zipfile
wheel, out, member = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = [member] + [n for n in z.namelist() if "/licenses/" in n]
    for n in names:
        z.extract(n, out)
PY
got="$(sha256_of "$tmp/x/$PLUGIN_MEMBER")"
[[ "$got" == "$PLUGIN_SHA256" ]] || die "extracted plugin SHA-256 $got, want $PLUGIN_SHA256"
for f in "$tmp"/x/*.dist-info/licenses/*; do
  cp "$f" "$dest/pjrt_c_api_cpu_plugin.$(basename "$f")"
done
chmod 0755 "$tmp/x/$PLUGIN_MEMBER"
mv -f "$tmp/x/$PLUGIN_MEMBER" "$dest/.$PLUGIN_FILE.tmp"
mv -f "$dest/.$PLUGIN_FILE.tmp" "$dest/$PLUGIN_FILE"
echo "$PKG_NAME $PKG_VERSION $PLUGIN_SHA256" >"$dest/$STAMP_FILE"
ok "installed $dest/$PLUGIN_FILE (license: Apache-2.0, see $dest/pjrt_c_api_cpu_plugin.LICENSE)"
case "$dest" in
  "$REPO/.tools/pjrt" | "$HOME/.local/lib/go-xla") ;;
  *) echo "    note: not a default location; set ANIMALCNN_PJRT_DIR=$dest (or PJRT_PLUGIN_LIBRARY_PATH) so programs find it" ;;
esac
