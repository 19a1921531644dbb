# shellcheck shell=bash disable=SC2154  # out and timeout_s come from the caller
# Sourced by run.sh and run_gpu.sh (needs $out and $timeout_s set).
#
# run_one NAME FRAMEWORK BACKEND BATCH CMD...: runs one benchmark command with
# a time limit. Its JSON report goes to $out/NAME.json (an error row when it
# failed) and its output to $out/NAME.log.
run_one() {
  local name="$1" fw="$2" be="$3" b="$4"; shift 4
  echo "==> $fw $be batch $b (log: $out/$name.log)"
  local t0=$SECONDS rc=0
  # --foreground: else timeout puts the command in a process group of its own,
  # where Ctrl-C does not reach it, and the script goes on to the next run.
  timeout --foreground "$timeout_s" "$@" --out "$out/$name.json" >"$out/$name.log" 2>&1 || rc=$?
  if [[ $rc != 0 || ! -s "$out/$name.json" ]]; then
    local why
    # (|| true: an empty log, as a silent hang until the timeout leaves, makes grep fail)
    # shellcheck disable=SC1003  # tr's \\ is one backslash, no quote escaped
    why="$(grep -v '^\s*$' "$out/$name.log" | tail -1 | cut -c1-200 | tr -d '|"\\' || true)"
    [[ $rc == 124 ]] && why="timed out after ${timeout_s}s"
    printf '{"framework": "%s", "backend": "%s", "batch_size": %d, "error": "exit %d: %s"}\n' \
      "$fw" "$be" "$b" "$rc" "$why" >"$out/$name.json"
    echo "    FAILED ($rc): $why"
  else
    echo "    done in $((SECONDS - t0))s"
  fi
}
