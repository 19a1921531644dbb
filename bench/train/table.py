#!/usr/bin/env python3
"""Turns one benchmark run's raw JSON reports (a results folder written by
run.sh or run_gpu.sh) into one Markdown table, printed and saved as
table.md in that folder. Standard library only.

When a framework ran several rounds (run.sh --rounds: NAME.r1.json,
NAME.r2.json, ...), its row gives the medians, the images/s range and the
largest peak RSS. Reports with a "variant" (gotrain --variant, e.g. "cold
cache") get rows of their own, in file-name order.

Usage: table.py RESULTS_DIR [--title TITLE]
"""

import argparse
import glob
import json
import math
import os
import statistics

ORDER = {("gomlx", "go"): 0, ("gomlx", "xla:cpu"): 1, ("pytorch", "cpu"): 2, ("keras", "tensorflow-cpu"): 3,
         ("gomlx", "xla:cuda"): 4, ("pytorch", "cuda"): 5}
LABEL = {("gomlx", "go"): "GoMLX pure Go", ("gomlx", "xla:cpu"): "GoMLX XLA CPU", ("pytorch", "cpu"): "PyTorch CPU",
         ("keras", "tensorflow-cpu"): "Keras on TensorFlow CPU", ("gomlx", "xla:cuda"): "GoMLX XLA CUDA",
         ("pytorch", "cuda"): "PyTorch CUDA"}


def fmt(x, spec):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return format(x, spec)


def merge_rounds(rows):
    """One row per (framework, backend, batch, variant): medians over the
    rounds that succeeded, or the first error when none did."""
    groups = {}
    for r in rows:
        groups.setdefault((r.get("framework"), r.get("backend"), r.get("batch_size"), r.get("variant")), []).append(r)
    merged = []
    for runs in groups.values():
        good = [r for r in runs if not r.get("error")]
        if not good:
            merged.append(runs[0])
            continue
        row = dict(good[0])
        if len(runs) > 1:
            speeds = [r["images_per_sec"] for r in good]
            row.update(
                rounds=len(good),
                images_per_sec=statistics.median(speeds),
                images_per_sec_min=min(speeds),
                images_per_sec_max=max(speeds),
                first_step_s=statistics.median(r["first_step_s"] for r in good),
                peak_rss_mib=max(r["peak_rss_mib"] for r in good),
                test_accuracy=statistics.median(r["test_accuracy"] for r in good),
            )
            bad = [r for r in runs if r.get("error")]
            if bad:
                row.update(failed_rounds=len(bad), first_error=bad[0]["error"])
        merged.append(row)
    return merged


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
    rows = merge_rounds(rows)
    key = lambda r: (ORDER.get((r.get("framework"), r.get("backend")), 99), r.get("batch_size") or 0)  # noqa: E731
    rows.sort(key=key)

    out = [f"# {a.title}", ""]
    if machine:
        rounds = f", {machine['rounds']} rounds (medians)" if machine.get("rounds", 1) > 1 else ""
        out.append(
            f"{machine.get('date', '?')} on {machine.get('cpu', '?')} ({machine.get('cores', '?')} cores, "
            f"{machine.get('memory_gib', '?')} GiB){', ' + machine['gpu'] if machine.get('gpu') else ''}; "
            f"load average at start {machine.get('loadavg', '?')}."
        )
        out.append(
            f"Data: {machine.get('data_desc', '?')}. Same CNN everywhere, epochs: {machine.get('epochs', '?')}, "
            f"{machine.get('threads', '?')} CPU threads{rounds}. Command: `{machine.get('command', '?')}`."
        )
        out.append("")
    out += [
        "| framework | batch | images/s (steady) | first step (s) | peak RSS (MiB) | test accuracy | version |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        name = LABEL.get((r.get("framework"), r.get("backend")), f"{r.get('framework')} {r.get('backend')}")
        if r.get("variant"):
            name += f", {r['variant']}"
        if r.get("error"):
            out.append(f"| {name} | {r.get('batch_size', '—')} | failed: {r['error']} | | | | |")
            continue
        ver = r.get("framework_version", "")
        if r.get("jit_compile"):
            ver += f" (jit_compile={r['jit_compile']})"
        speed = fmt(r.get("images_per_sec"), ",.1f")
        if r.get("rounds", 1) > 1:
            spec = ",.0f" if r["images_per_sec_max"] >= 100 else ",.1f"
            speed += f" ({fmt(r['images_per_sec_min'], spec)}–{fmt(r['images_per_sec_max'], spec)}, {r['rounds']} runs)"
        if r.get("failed_rounds"):
            speed += f"; {r['failed_rounds']} failed: {r['first_error']}"
        out.append(
            f"| {name} | {r.get('batch_size')} | {speed} | "
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
    out += gpu_aims(rows)
    text = "\n".join(out) + "\n"
    with open(os.path.join(a.dir, "table.md"), "w") as f:
        f.write(text)
    print(text, end="")


def gpu_aims(rows):
    """The issue's GPU aims, per batch size: XLA CUDA at or above PyTorch
    CUDA's throughput, and its first step under 5 s (every variant)."""
    lines = []
    for b in sorted({r.get("batch_size") for r in rows if r.get("backend") == "xla:cuda"}):
        xla = [r for r in rows if r.get("backend") == "xla:cuda" and r.get("batch_size") == b and not r.get("error")]
        torch = [r for r in rows if r.get("backend") == "cuda" and r.get("batch_size") == b and not r.get("error")]
        if not xla:
            continue
        checks = []
        if torch:
            best = max(r["images_per_sec"] for r in xla)
            checks.append(f"XLA CUDA ≥ PyTorch CUDA: {'yes' if best >= torch[0]['images_per_sec'] else 'no'} "
                          f"({best:,.0f} vs {torch[0]['images_per_sec']:,.0f} img/s)")
        for r in xla:
            what = f"first step under 5 s{' (' + r['variant'] + ')' if r.get('variant') else ''}"
            checks.append(f"{what}: {'yes' if r['first_step_s'] < 5 else 'no'} ({r['first_step_s']:.1f} s)")
        lines.append(f"Aims (issue 6), batch {b}: " + "; ".join(checks) + ".")
    return [""] + lines if lines else []


if __name__ == "__main__":
    main()
