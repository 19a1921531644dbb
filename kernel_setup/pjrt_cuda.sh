#!/usr/bin/env bash
# Opt-in CUDA step: makes `--backend xla:cuda` work on a Linux x86-64 machine
# with an NVIDIA GPU (driver for CUDA 13, i.e. 580 or newer). Not run by
# kernel_setup/setup.sh or CI; run it yourself on the GPU machine.
#
# It needs JAX's CUDA PJRT plugin (jax_plugins/xla_cuda13/xla_cuda_plugin.so)
# and the NVIDIA libraries that JAX installs from PyPI (site-packages/nvidia/*).
# Either
#   - it finds an existing JAX CUDA installation in a Python on this machine
#     (PYTHON, python3 on PATH, /usr/bin/python3, /usr/local/bin/python3), or
#   - it installs the pinned wheels below into <repo>/.tools/cuda/venv with
#     `pip install --no-deps --require-hashes` (needs PyPI; about 3 GB).
# The default is the existing installation when there is one, else install.
#
# Then it writes <repo>/.tools/cuda/env.sh, to source before starting a
# program (the dynamic loader reads LD_LIBRARY_PATH only at start-up):
#   ANIMALCNN_CUDA_PLUGIN  the plugin file; mlpkg/backend picks it up
#   LD_LIBRARY_PATH        every site-packages/nvidia/*/lib, first
#   PATH                   the pip-installed ptxas, first
#   GOMLX_NO_AUTO_INSTALL=1, GOPJRT_CUDA_CHECKS=0 (go-xla's check would
#                          otherwise point XLA at a wrong CUDA directory)
# This is the recipe that trained the CNN on an H100 (measured before this
# project's GPU benchmark: see bench/README.md).
#
# Usage: kernel_setup/pjrt_cuda.sh [--use-existing | --install] [--force] [--check]
#   --use-existing  only use an existing JAX CUDA installation (fail if none)
#   --install       always install the pinned wheels into .tools/cuda/venv
#   --force         go on without an NVIDIA GPU (to prepare a machine or an image)
#   --check         change nothing: print what would be used and whether env.sh is
#                   current (on a machine without a GPU, with --force only)
set -euo pipefail

# Pinned: JAX's CUDA 13 PJRT plugin 0.11.2 (the same XLA as the CPU plugin of
# kernel_setup/pjrt_cpu.sh) and the NVIDIA libraries of
# jax-cuda13-plugin[with-cuda]==0.11.2, resolved with pip on 2026-11-27. All are
# py3-none wheels, so any Python 3 can install them. Hashes of the x86-64 wheels.
readonly PINNED_VERSION=0.11.2
readonly PINNED_REQUIREMENTS='
jax-cuda13-pjrt==0.11.2 --hash=sha256:e5ff589d43064913bb74027682d89639c7ea48f9f81c2bae6fc75117e913f93e
nvidia-cublas==13.10.0.20 --hash=sha256:dcc6d63884c53d07e267ce7e6feac17b2538cebaafec5db865736c3e28e4dc84
nvidia-cuda-cccl==13.3.5.0.6 --hash=sha256:d5230098fa2df5021e1a00c0c4eee41797671a91119d31e892463e5ccf3ee326
nvidia-cuda-crt==13.5.37 --hash=sha256:e898b7f73d3035fa89915a3f7bf3b54a73e90249746111aed295822c4729bb29
nvidia-cuda-cupti==13.5.25 --hash=sha256:9dcca41c12a734192b14e7128ae116bc9ce1b9da686e2ebf48ae7a4415f76650
nvidia-cuda-nvcc==13.5.37 --hash=sha256:f5c4f7ead5d964fb4af42bbf1e6d3ec3c1e6e9d83b53749f691d387e7fcaa3a7
nvidia-cuda-nvrtc==13.5.37 --hash=sha256:86b4d68058807988b7d9af5b44917a0601e9c337f35ccd657bfb3c759ff8d8bc
nvidia-cuda-runtime==13.5.37 --hash=sha256:df2b79a8852f10d1fef8c848489c49eebb5754051bf870202a862831412b179d
nvidia-cudnn-cu13==9.28.1.4 --hash=sha256:a54f205b1db1f2895d99f398754db1369816f0569dd459731f925635cf7b65ec
nvidia-cufft==12.5.0.14 --hash=sha256:b8be26837a5abad2b5b74f3e92dd29f622a42934b355be0961a48712cbba23ad
nvidia-cusolver==12.4.1.2 --hash=sha256:b3b8e02fd2f2df869369af075dc3a179d43f6f7b85e94632a7dce556697be044
nvidia-cusparse==12.9.4.2 --hash=sha256:072667e58c851a318738f5527a12eb225cbf058803f2ea451c722d8cf8edddec
nvidia-nccl-cu13==2.32.3 --hash=sha256:1459723080ac889d73a26edfa3e04383a7928ab31ac8f0ec43b3ea9548b04ff3
nvidia-nvjitlink==13.5.37 --hash=sha256:280d7cb9649704145f074b8dbde500de04ce02d0872e066e20a83c17bcaa93eb
nvidia-nvshmem-cu13==3.8.0 --hash=sha256:81a4d1f666543e6d34df6d2ff940c7da1435e34e186aab6f3c2b48861b64ef38
nvidia-nvvm==13.5.37 --hash=sha256:c41bfa362e407405163f103c2229f0765f8cc2ed7d148b754dc77f228bf7e070
'

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly CUDA_DIR="$REPO/.tools/cuda"
readonly VENV="$CUDA_DIR/venv"
readonly ENV_FILE="$CUDA_DIR/env.sh"

mode=auto force=0 check_only=0
for arg in "$@"; do
  case "$arg" in
    --use-existing) mode=existing ;;
    --install) mode=install ;;
    --force) force=1 ;;
    --check) check_only=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "pjrt_cuda.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

ok() { printf '    ok: %s\n' "$*"; }
warn() { printf '    WARNING: %s\n' "$*"; }
die() { printf 'pjrt_cuda.sh: %s\n' "$*" >&2; exit 1; }

[[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] ||
  die "JAX's CUDA PJRT plugin is for Linux x86-64 only (this is $(uname -s)/$(uname -m))"

# ---------------------------------------------------------------- GPU
echo "==> NVIDIA GPU"
if command -v nvidia-smi >/dev/null 2>&1 && smi="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)" && [[ -n "$smi" ]]; then
  ok "$smi"
  driver_major="$(head -1 <<<"$smi" | awk -F', ' '{print $2}' | cut -d. -f1)"
  if [[ "$driver_major" =~ ^[0-9]+$ ]] && ((driver_major < 580)); then
    warn "driver $driver_major is older than 580, which CUDA 13 needs: the plugin will likely fail to start"
  fi
elif compgen -G '/dev/nvidia[0-9]*' >/dev/null; then
  ok "$(compgen -G '/dev/nvidia[0-9]*' | tr '\n' ' ')(no nvidia-smi to tell the driver version)"
elif [[ $force == 1 ]]; then
  warn "no NVIDIA GPU found; going on because of --force"
else
  die "no NVIDIA GPU found (no nvidia-smi, no /dev/nvidia*): xla:cuda cannot run here; use --force to set up anyway"
fi

# ---------------------------------------------------------------- plugin
# find_existing PY: prints "<plugin path>\t<site-packages>\t<version>" for a
# JAX CUDA PJRT plugin importable from Python PY (version: its
# jax-cuda1x-pjrt distribution's, or "unknown"), or fails.
find_existing() {
  "$1" - 2>/dev/null <<'PY'
import importlib.metadata, importlib.util, os, sys
for mod in ("jax_plugins.xla_cuda13", "jax_plugins.xla_cuda12"):
    try:
        spec = importlib.util.find_spec(mod)
    except Exception:
        continue
    if spec is None or not spec.origin:
        continue
    plugin = os.path.join(os.path.dirname(spec.origin), "xla_cuda_plugin.so")
    if os.path.isfile(plugin):
        site = os.path.dirname(os.path.dirname(os.path.dirname(plugin)))
        try:
            version = importlib.metadata.version("jax-cuda" + mod[-2:] + "-pjrt")
        except Exception:
            version = "unknown"
        print(f"{plugin}\t{site}\t{version}")
        sys.exit(0)
sys.exit(1)
PY
}

plugin="" site=""
echo "==> JAX CUDA PJRT plugin"
if [[ $mode != install ]]; then
  declare -A seen=()
  for py in "${PYTHON:-}" "$(command -v python3 || true)" /usr/bin/python3 /usr/local/bin/python3; do
    [[ -n "$py" && -x "$py" && -z "${seen[$py]:-}" ]] || continue
    seen[$py]=1
    if found="$(find_existing "$py")"; then
      IFS=$'\t' read -r plugin site version <<<"$found"
      ok "existing installation of $py: $plugin"
      if [[ $version != "$PINNED_VERSION" ]]; then
        echo "    note: its version is $version, not the $PINNED_VERSION this project was tested with (--install installs that one into $VENV)"
      fi
      break
    fi
  done
  if [[ -z "$plugin" && $mode == existing ]]; then
    die "no Python here has jax_plugins.xla_cuda13 or xla_cuda12 (install jax[cuda13], or run without --use-existing to install the pinned plugin)"
  fi
fi

if [[ -z "$plugin" ]]; then
  found=""
  [[ -x "$VENV/bin/python" ]] && found="$(find_existing "$VENV/bin/python" || true)"
  if [[ -n "$found" && -f "$VENV/.pinned.sha256" && "$(cat "$VENV/.pinned.sha256")" == "$(sha256sum <<<"$PINNED_REQUIREMENTS" | cut -d' ' -f1)" ]]; then
    IFS=$'\t' read -r plugin site _ <<<"$found"
    ok "pinned plugin already in $VENV"
  elif [[ $check_only == 1 ]]; then
    echo "    missing: would install the pinned jax-cuda13-pjrt 0.11.2 and NVIDIA libraries into $VENV" >&2
    exit 1
  else
    if [[ -z "${PYTHON:-}" ]]; then
      if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON="$(command -v python3 || true)"; fi
    fi
    [[ -n "$PYTHON" ]] || die "no python3 found (set PYTHON)"
    echo "    installing the pinned wheels into $VENV (about 3 GB from PyPI)"
    mkdir -p "$CUDA_DIR"
    # A venv whose creation was interrupted has a python but no pip: make it again.
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$PYTHON" -m venv --clear "$VENV" ||
      die "$PYTHON -m venv failed (Debian: apt-get install python3-venv)"
    req="$(mktemp)"
    trap 'rm -f "$req"' EXIT
    printf '%s\n' "$PINNED_REQUIREMENTS" >"$req"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$req" ||
      die "pip install of the pinned CUDA wheels failed"
    found="$(find_existing "$VENV/bin/python")" || die "installed, but jax_plugins.xla_cuda13 is not in $VENV"
    IFS=$'\t' read -r plugin site _ <<<"$found"
    sha256sum <<<"$PINNED_REQUIREMENTS" | cut -d' ' -f1 >"$VENV/.pinned.sha256"
    ok "installed $plugin"
  fi
fi

# ---------------------------------------------------------------- env file
echo "==> $ENV_FILE"
libdirs=() bindirs=()
for d in "$site"/nvidia/*/lib; do [[ -d "$d" ]] && libdirs+=("$d"); done
for d in "$site"/nvidia/cu13/bin "$site"/nvidia/cuda_nvcc/bin; do [[ -x "$d/ptxas" ]] && bindirs+=("$d"); done
((${#libdirs[@]})) || warn "no NVIDIA libraries under $site/nvidia/*/lib: the plugin will not find CUDA"
((${#bindirs[@]})) || warn "no ptxas under $site/nvidia: XLA falls back to the driver's compiler (slower first step)"

ld="$(IFS=:; echo "${libdirs[*]}")"
bin="$(IFS=:; echo "${bindirs[*]}")"
# shellcheck disable=SC2016 # \$PATH and \$LD_LIBRARY_PATH are for env.sh to expand
content="# Written by kernel_setup/pjrt_cuda.sh: source it before running a program with --backend xla:cuda.
# Plugin: $plugin
export ANIMALCNN_CUDA_PLUGIN='$plugin'
export LD_LIBRARY_PATH='$ld'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
${bin:+export PATH='$bin':\$PATH}
export GOMLX_NO_AUTO_INSTALL=1
export GOPJRT_CUDA_CHECKS=0 GOPJR_CUDA_CHECKS=0
"
if [[ -f "$ENV_FILE" && "$(cat "$ENV_FILE")" == "${content%$'\n'}" ]]; then
  ok "up to date"
elif [[ $check_only == 1 ]]; then
  echo "    out of date or missing: run kernel_setup/pjrt_cuda.sh" >&2
  exit 1
else
  mkdir -p "$CUDA_DIR"
  printf '%s' "$content" >"$ENV_FILE.tmp"
  mv -f "$ENV_FILE.tmp" "$ENV_FILE"
  ok "written"
fi
echo
echo "Now: source $ENV_FILE"
echo "Then: go test ./mlpkg/backend -run CrossBackend -v   (compares xla:cuda with go)"
