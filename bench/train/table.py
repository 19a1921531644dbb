#!/usr/bin/env python3
"""Turns one benchmark run's raw JSON reports (a results folder written by
run.sh or run_gpu.sh) into one Markdown table, printed and saved as
table.md in that folder. Standard library only.

Usage: table.py RESULTS_DIR [--title TITLE]
"""

import argparse
import glob
import json
import math
import os

ORDER = {("gomlx", "go"): 0, ("gomlx", "xla:cpu"): 1, ("pytorch", "cpu"): 2, ("keras", "tensorflow-cpu"): 3,
         ("gomlx", "xla:cuda"): 4, ("pytorch", "cuda"): 5}
LABEL = {("gomlx", "go"): "GoMLX pure Go", ("gomlx", "xla:cpu"): "GoMLX XLA CPU", ("pytorch", "cpu"): "PyTorch CPU",
         ("keras", "tensorflow-cpu"): "Keras on TensorFlow CPU", ("gomlx", "xla:cuda"): "GoMLX XLA CUDA",
         ("pytorch", "cuda"): "PyTorch CUDA"}


def fmt(x, spec):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return format(x, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--title", default="Training benchmark")
    a = ap.parse_args()
    machine = {}
    mpath = os.path.join(a.dir, "machine.json")
    if os.path.exists(mpath):
        with open(mpath) as f:
            machine = json.load(f)
    rows = []
    for p in sorted(glob.glob(os.path.join(a.dir, "*.json"))):
        if os.path.basename(p) == "machine.json":
            continue
        with open(p) as f:
            try:
                rows.append(json.load(f))
            except json.JSONDecodeError as e:
                rows.append({"framework": os.path.basename(p), "backend": "?", "error": f"bad JSON: {e}"})
    key = lambda r: (ORDER.get((r.get("framework"), r.get("backend")), 99), r.get("batch_size") or 0)  # noqa: E731
    rows.sort(key=key)

    out = [f"# {a.title}", ""]
    if machine:
        out.append(
            f"{machine.get('date', '?')} on {machine.get('cpu', '?')} ({machine.get('cores', '?')} cores, "
            f"{machine.get('memory_gib', '?')} GiB){', ' + machine['gpu'] if machine.get('gpu') else ''}; "
            f"load average at start {machine.get('loadavg', '?')}."
        )
        out.append(
            f"Data: {machine.get('data_desc', '?')}. Same CNN everywhere, epochs: {machine.get('epochs', '?')}, "
            f"{machine.get('threads', '?')} CPU threads. Command: `{machine.get('command', '?')}`."
        )
        out.append("")
    out += [
        "| framework | batch | images/s (steady) | first step (s) | peak RSS (MiB) | test accuracy | version |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        name = LABEL.get((r.get("framework"), r.get("backend")), f"{r.get('framework')} {r.get('backend')}")
        if r.get("error"):
            out.append(f"| {name} | {r.get('batch_size', '—')} | failed: {r['error']} | | | | |")
            continue
        ver = r.get("framework_version", "")
        if r.get("jit_compile"):
            ver += f" (jit_compile={r['jit_compile']})"
        out.append(
            f"| {name} | {r.get('batch_size')} | {fmt(r.get('images_per_sec'), ',.1f')} | "
            f"{fmt(r.get('first_step_s'), '.2f')} | {fmt(r.get('peak_rss_mib'), ',.0f')} | "
            f"{fmt(r.get('test_accuracy'), '.3f')} | {ver} |"
        )

    # The issue's aims, checked on CPU rows.
    ok = {(r.get("framework"), r.get("backend")): r for r in rows if not r.get("error") and r.get("batch_size") == 32}
    xla, torch = ok.get(("gomlx", "xla:cpu")), ok.get(("pytorch", "cpu"))
    if xla:
        out.append("")
        checks = []
        if torch:
            checks.append(f"XLA CPU ≥ PyTorch CPU: {'yes' if xla['images_per_sec'] >= torch['images_per_sec'] else 'no'}")
        cpu_rows = [r for k, r in ok.items() if k in {("gomlx", "go"), ("gomlx", "xla:cpu"), ("pytorch", "cpu"), ("keras", "tensorflow-cpu")}]
        fastest = max(cpu_rows, key=lambda r: r["images_per_sec"])
        checks.append(f"fastest of the CPU rows: {LABEL[(fastest['framework'], fastest['backend'])]}")
        checks.append(f"XLA CPU first step under 5 s: {'yes' if xla['first_step_s'] < 5 else 'no'}")
        out.append("Aims (issue 6): " + "; ".join(checks) + ".")
    text = "\n".join(out) + "\n"
    with open(os.path.join(a.dir, "table.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
