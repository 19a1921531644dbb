#!/usr/bin/env python3
"""Run the project's notebooks headless on the GoNB kernel and check them.

Run with the project's virtual environment (kernel_setup/setup.sh makes it):

    .venv/bin/python tests/notebooks/run_notebooks.py [NOTEBOOK ...]

Default: every notebooks/*.ipynb, in name order (later notebooks read the
files earlier ones write). Each notebook runs in its own folder, as in
JupyterLab, with ANIMALCNN_QUICK=1 in the environment (quick mode: small,
fast versions of each step; --full sets ANIMALCNN_QUICK=0 and, unless
ANIMALCNN_DATA is set, gives the run a new, empty data folder that is removed
afterwards, so that a full run starts from nothing, as the notebooks'
figures assume, and leaves data/ alone). The executed
notebook and its HTML export go to the output folder (default out/notebooks/),
with the kernel's own log.

A notebook fails when:
  - a cell raises an error (a compile error, an interrupted cell, a timeout);
  - a cell's stderr has a line that shows a failure nbconvert lets through:
    a panic, a Go runtime fatal error, `exit status N` (GoNB's word for a
    cell or `!` shell line that exited non-zero, os.Exit and log.Fatal
    included), `signal: …`, an `error:` line, an ERROR log record (log/slog);
  - an expectation in tests/notebooks/expectations.json is not met: regexes
    that must match the notebook's outputs (stdout, stderr, text, HTML,
    Markdown, SVG) and MIME types that must be among its display outputs.
    An entry may also list `allow_stderr` regexes for stderr lines that are
    not failures.

Prints one PASS/FAIL line per notebook, the reasons for each failure, and
closes with "N passed, M failed"; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_EXPECTATIONS = Path(__file__).with_name("expectations.json")

# Lines of a cell's stderr that mean the cell failed although the kernel
# carried on. Matched after removing ANSI colour codes, line by line.
FAILURE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("panic", re.compile(r"^panic: |^panic\(")),
    ("Go runtime fatal error", re.compile(r"^fatal error: ")),
    ("non-zero exit", re.compile(r"^exit status [1-9]\d*\s*$")),
    ("killed by a signal", re.compile(r"^signal: \w+")),
    ("error line", re.compile(r"^(error|Error|ERROR)(: | \[|:$)")),
    ("ERROR log record", re.compile(
        r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? ERROR "  # slog default logger
        r"|\blevel=ERROR\b"  # slog TextHandler
        r'|"level":\s*"ERROR"'  # slog JSONHandler
    )),
]

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

# Output MIME types whose text is searched by expectations.
TEXT_MIME = ("text/plain", "text/html", "text/markdown", "image/svg+xml")


def text_of(value) -> str:
    """Joins a notebook string, stored either as a string or a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value)


@dataclass
class Expectation:
    """What a notebook's outputs must show, from expectations.json."""

    outputs: list[str] = field(default_factory=list)
    mime: list[str] = field(default_factory=list)
    allow_stderr: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, entry: dict) -> "Expectation":
        unknown = set(entry) - {"outputs", "mime", "allow_stderr", "comment"}
        if unknown:
            raise ValueError(f"unknown keys in expectations: {sorted(unknown)}")
        return cls(
            outputs=list(entry.get("outputs", [])),
            mime=list(entry.get("mime", [])),
            allow_stderr=list(entry.get("allow_stderr", [])),
        )


def load_expectations(path: Path) -> dict[str, Expectation]:
    """Reads expectations.json: {"<notebook file name>": {outputs, mime, allow_stderr}}."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {name: Expectation.from_json(entry) for name, entry in data.items() if not name.startswith("_")}


GO_ERROR = re.compile(r"^(Cell\[\d+\]: Line \d+|\S+\.go:\d+:\d+: .*)$")


def compile_errors(cell: dict, limit: int = 6) -> list[str]:
    """Go compiler messages from GoNB's HTML error display in a cell ("Cell[2]: Line 3", "./main.go:10:13: …")."""
    found: list[str] = []
    for out in cell.get("outputs", []):
        page = text_of(out.get("data", {}).get("text/html", ""))
        if "gonb-err" not in page:
            continue
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        found += [" ".join(line.split()) for line in text.splitlines() if GO_ERROR.match(line.strip())]
    return found[:limit]


def check_notebook(nb: dict, expect: Expectation | None = None) -> list[str]:
    """Returns the problems found in an executed notebook (empty when it passed).

    nb is the notebook as JSON (a dict). This is a pure function, so the rules
    are unit-tested without a kernel.
    """
    expect = expect or Expectation()
    allow = [re.compile(p) for p in expect.allow_stderr]
    problems: list[str] = []
    haystack: list[str] = []
    mimes: set[str] = set()
    code_cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        where = f"cell {number}"
        first_line = text_of(cell.get("source", "")).strip().splitlines()[:1]
        if first_line:
            where += f" ({first_line[0][:60]})"
        stderr: list[str] = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                problems.append(f"{where}: error output {out.get('ename', '')}: {ANSI.sub('', str(out.get('evalue', '')))[:300]}")
                problems += [f"{where}: {m}" for m in compile_errors(cell)]
            elif kind == "stream":
                text = ANSI.sub("", text_of(out.get("text", "")))
                haystack.append(text)
                if out.get("name") == "stderr":
                    stderr.append(text)
            elif kind in ("display_data", "execute_result", "update_display_data"):
                for mime, value in out.get("data", {}).items():
                    mimes.add(mime)
                    if mime in TEXT_MIME:
                        haystack.append(text_of(value))
        # Streams may arrive in pieces ("panic: " then the message): join first.
        for line in "".join(stderr).splitlines():
            line = line.rstrip()
            if any(a.search(line) for a in allow):
                continue
            for what, pattern in FAILURE_PATTERNS:
                if pattern.search(line):
                    problems.append(f"{where}: {what}: {line[:300]}")
                    break
    everything = "\n".join(haystack)
    for pattern in expect.outputs:
        if not re.search(pattern, everything, re.MULTILINE):
            problems.append(f"expected output not found: /{pattern}/")
    for mime in expect.mime:
        if mime not in mimes:
            problems.append(f"expected a {mime} output, found only {sorted(mimes) or 'none'}")
    return problems


def run_notebook(path: Path, out_dir: Path, timeout: int, env_quick: str, html: bool) -> tuple[dict, list[str]]:
    """Executes one notebook with the gonb kernel; returns it and execution problems."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    os.environ["ANIMALCNN_QUICK"] = env_quick
    problems: list[str] = []
    client = NotebookClient(
        nb,
        kernel_name="gonb",
        timeout=timeout,
        startup_timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    log_path = out_dir / (path.stem + ".kernel.log")
    with open(log_path, "wb") as log:
        try:
            # stdout/stderr go to the kernel process (GoNB's own log).
            client.execute(stdout=log, stderr=log)
        except CellTimeoutError as e:
            problems.append(f"cell timed out after {timeout}s: {str(e).strip().splitlines()[-1][:300]}")
        except DeadKernelError as e:
            problems.append(f"kernel died: {e}")
        except CellExecutionError:
            pass  # its error output is in the notebook and check_notebook reports it
    nbformat.write(nb, out_dir / path.name)
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        (out_dir / (path.stem + ".html")).write_text(body, encoding="utf-8")
    return nb, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="paths, or names in notebooks/ (default: notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "notebooks", help="output folder (default: out/notebooks)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (default: 900)")
    parser.add_argument("--full", action="store_true", help="full runs: ANIMALCNN_QUICK=0 instead of 1")
    parser.add_argument("--expectations", type=Path, default=DEFAULT_EXPECTATIONS, help="expectations JSON file")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML export")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
    args = parser.parse_args(argv)

    # This environment's kernels (its gonb) before any the user registered elsewhere.
    venv_share = str(Path(sys.prefix) / "share" / "jupyter")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (venv_share, os.environ.get("JUPYTER_PATH", "")) if p)
    # A bare name ("05_predict.ipynb") is one of notebooks/, as notebook_test.sh takes it.
    notebooks = [p if p.exists() or p.parent != Path(".") else REPO / "notebooks" / p for p in args.notebooks]
    notebooks = notebooks or sorted((REPO / "notebooks").glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    expectations = load_expectations(args.expectations)
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = None
    if args.full and not os.environ.get("ANIMALCNN_DATA"):
        # A second full run in data/ would find the first one's model and
        # train nothing: each full run gets a data folder of its own.
        scratch = tempfile.mkdtemp(prefix="animalcnn-full-data-")
        os.environ["ANIMALCNN_DATA"] = scratch
        print(f"full run: data folder {scratch} (removed afterwards; set ANIMALCNN_DATA to keep one)")
    try:
        return run_all(args, notebooks, expectations)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run_all(args: argparse.Namespace, notebooks: list[Path], expectations: dict[str, Expectation]) -> int:
    """Runs and checks each notebook; prints a line per notebook and the total."""
    passed = failed = 0
    for path in notebooks:
        path = path.resolve()
        start = time.monotonic()
        expect = expectations.get(path.name)
        try:
            nb, problems = run_notebook(path, args.out, args.timeout, "0" if args.full else "1", not args.no_html)
            problems += check_notebook(nb, expect)
        except Exception as e:  # a notebook that cannot even start is a failure, not a crash
            problems = [f"could not run: {type(e).__name__}: {e}"]
        seconds = time.monotonic() - start
        if expect is None:
            print(f"note: no expectations for {path.name} in {args.expectations.name}")
        if problems:
            failed += 1
            print(f"FAIL {path.name} ({seconds:.1f}s)")
            for p in problems:
                print(f"     {p}")
            print(f"     executed notebook: {args.out / path.name}")
            if args.fail_fast:
                break
        else:
            passed += 1
            print(f"PASS {path.name} ({seconds:.1f}s)")
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
