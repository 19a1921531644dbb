#!/usr/bin/env python3
"""Strip outputs and execution counts from notebooks, so they are saved clean.

    python3 notebooks/clean.py [NOTEBOOK ...]          # clean in place
    python3 notebooks/clean.py --check [NOTEBOOK ...]  # fail if any is not clean

Default: every notebooks/*.ipynb. Cleaning removes each code cell's outputs
and execution count and the cell metadata that running leaves behind
(execution timings, collapsed/scrolled state), and writes the file the way
JupyterLab does (one-space indent, sorted keys, source as a list of lines),
so diffs show only what a person changed. --check changes nothing and exits
1 listing each notebook that has outputs, execution counts or such metadata,
or a cell without the id that nbformat 4.5 requires.

Needs only the Python standard library (any python3).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Cell metadata that execution or the UI adds; tags and the like stay.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def problems(nb: dict) -> list[str]:
    """Returns what makes a notebook unclean (empty when clean)."""
    found = []
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") == "code":
            if cell.get("outputs"):
                found.append(f"cell {i} has outputs")
            if cell.get("execution_count") is not None:
                found.append(f"cell {i} has an execution count")
        if (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5) and not cell.get("id"):
            found.append(f"cell {i} has no id (nbformat 4.5 requires one: give it a short name)")
        keys = [k for k in VOLATILE_CELL_METADATA if k in cell.get("metadata", {})]
        if keys:
            found.append(f"cell {i} has metadata {', '.join(keys)}")
    return found


def lines(source) -> list[str]:
    """A cell source as Jupyter stores it: a list of lines, newlines kept."""
    text = "".join(source) if isinstance(source, list) else str(source)
    return text.splitlines(keepends=True)


def clean(nb: dict) -> dict:
    """Returns the notebook without outputs, execution counts and volatile metadata."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for k in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(k, None)
        cell["source"] = lines(cell.get("source", ""))
    return nb


def dumps(nb: dict) -> str:
    """Serialises a notebook as JupyterLab (nbformat) writes it."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False, separators=(",", ": ")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--check", action="store_true", help="only report notebooks that are not clean")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path(__file__).resolve().parent.glob("*.ipynb"))
    dirty = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        if args.check:
            found = problems(nb)
            if found:
                dirty += 1
                print(f"{path}: not clean: {'; '.join(found)}")
            continue
        new = dumps(clean(nb))
        if new != text:
            # Whole or not at all: a notebook cut short by Ctrl-C would be lost work.
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(new, encoding="utf-8")
            tmp.replace(path)
            print(f"cleaned {path}")
    if args.check:
        if dirty:
            print(f"{dirty} notebook(s) not clean: run python3 notebooks/clean.py")
            return 1
        print(f"{len(paths)} notebook(s) clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
