#!/usr/bin/env bash
# Runs the Go fuzz targets (func FuzzXxx in mlpkg/**/*_test.go: the parsers of
# files a user or a crash can damage, of Flickr's answers, of uploads and
# image files), one after the other, each for the given time. Their seeds
# already run as ordinary tests in `go test` (scripts/test.sh); CI also fuzzes
# the upload path for 20 s. This is for longer runs, after changing a parser.
# A failing input is saved by Go under the package's testdata/fuzz/FuzzXxx/
# (commit it with the fix: it then runs as a test) and the script stops.
#
# Usage: scripts/fuzz.sh [--time D] [PATTERN]
#   --time D   how long to fuzz each target, a Go duration (default 1m)
#   PATTERN    only targets whose name matches this regular expression
#              (e.g. Decode, or 'NPY|Load')
# Example: scripts/fuzz.sh --time 5m Exclusions
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
export PATH="$REPO/.venv/bin:$REPO/.tools/bin:$PATH"

fuzztime=1m pattern=.
while (($#)); do
  case "$1" in
    --time) (($# >= 2)) || { echo "fuzz.sh: --time needs a value (try --help)" >&2; exit 2; }; fuzztime="$2"; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$REPO/scripts/fuzz.sh" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) pattern="$1" ;;
  esac
  shift
done

# "go test -list" prints each package's matching tests, then "ok <package> …"
# (and fails, stopping the script, when a package does not build).
list="$(go test -list '^Fuzz' ./mlpkg/...)"
targets=() names=()
while read -r first second _; do
  case "$first" in
    Fuzz*) names+=("$first") ;;
    ok) for n in ${names[@]+"${names[@]}"}; do targets+=("$second $n"); done; names=() ;;
  esac
done <<<"$list"
selected=()
for t in "${targets[@]}"; do
  [[ ${t#* } =~ $pattern ]] && selected+=("$t")
done
((${#selected[@]})) || { echo "fuzz.sh: no fuzz target matches $pattern" >&2; exit 1; }

echo "${#selected[@]} fuzz targets, $fuzztime each"
for t in "${selected[@]}"; do
  pkg="${t% *}" name="${t#* }"
  printf '\n==> %s %s\n' "${pkg#github.com/animalcnn/animalcnn/}" "$name"
  go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$pkg"
done
