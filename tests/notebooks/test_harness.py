#!/usr/bin/env python3
"""Tests of the notebook harness: run_notebooks.py and notebooks/clean.py.

    .venv/bin/python tests/notebooks/test_harness.py

The rules are tested on made-up executed notebooks (fast, no kernel); then the
harness runs the tiny notebooks in testdata/ on the real GoNB kernel and must
pass the good one and fail each broken one (a panic, os.Exit(3), a compile
error, a failing `!` shell line), which nbconvert alone would let through.
Closes with "N passed, M failed".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TESTDATA = HERE / "testdata"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "notebooks"))

import clean  # noqa: E402  (notebooks/clean.py)
import run_notebooks as rn  # noqa: E402


def executed(*cells: list[dict]) -> dict:
    """An executed notebook whose code cells have the given outputs."""
    return {
        "cells": [
            {"cell_type": "code", "source": f"cell {i}", "metadata": {}, "execution_count": i + 1, "outputs": outs}
            for i, outs in enumerate(cells)
        ]
    }


def stream(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def html(text: str) -> dict:
    return {"output_type": "display_data", "data": {"text/html": text}, "metadata": {}}


class CheckNotebookTest(unittest.TestCase):
    """check_notebook's rules on made-up outputs."""

    def assertFails(self, nb: dict, what: str, expect: rn.Expectation | None = None) -> None:
        problems = rn.check_notebook(nb, expect)
        self.assertTrue(any(what in p for p in problems), f"want a {what!r} problem, got {problems}")

    def assertPasses(self, nb: dict, expect: rn.Expectation | None = None) -> None:
        self.assertEqual(rn.check_notebook(nb, expect), [])

    def test_clean_run_passes(self):
        self.assertPasses(executed([stream("stdout", "accuracy 0.71\n")], [html("<b>ok</b>")]))

    def test_error_output(self):
        self.assertFails(executed([{"output_type": "error", "ename": "ERROR", "evalue": "build failed", "traceback": []}]), "error output")

    def test_panic_split_across_stream_outputs(self):
        # GoNB sends "panic: " and the message as separate outputs.
        nb = executed([stream("stderr", "panic: "), stream("stderr", "boom"), stream("stderr", "\n\ngoroutine 1 [running]:\n"), stream("stderr", "exit status 2\n")])
        self.assertFails(nb, "panic")

    def test_exit_status_and_signal_and_fatal(self):
        self.assertFails(executed([stream("stderr", "exit status 3\n")]), "non-zero exit")
        self.assertFails(executed([stream("stderr", "signal: killed\n")]), "signal")
        self.assertFails(executed([stream("stderr", "fatal error: all goroutines are asleep - deadlock!\n")]), "fatal")

    def test_error_lines_and_log_records(self):
        self.assertFails(executed([stream("stderr", "error: cannot open data/prepared\n")]), "error line")
        self.assertFails(executed([stream("stderr", "2026/11/27 16:39:52 ERROR download failed url=x\n")]), "ERROR log")
        self.assertFails(executed([stream("stderr", 'time=2026-11-27T16:00:00Z level=ERROR msg="bad"\n')]), "ERROR log")
        self.assertFails(executed([stream("stderr", '{"time":"x","level":"ERROR","msg":"bad"}\n')]), "ERROR log")

    def test_ansi_colours_are_ignored(self):
        self.assertFails(executed([stream("stderr", "\x1b[31mpanic: boom\x1b[0m\n")]), "panic")

    def test_no_false_positives(self):
        nb = executed([
            stream("stdout", "panic: printed on stdout is not a failure\nerror: neither\nexit status 1\n"),
            stream("stderr", "exit status 0\n"),
            stream("stderr", "2026/11/27 16:39:52 INFO loaded 300 images, 0 errors\n"),
            stream("stderr", "the loss shows no panic: it decreases\n"),
            stream("stderr", "level=WARN msg=\"slow step\" errors=0\n"),
            stream("stderr", "Error rate: 12%\n"),
        ])
        self.assertPasses(nb)

    def test_allow_stderr(self):
        nb = executed([stream("stderr", "error: a known harmless line\n")])
        self.assertPasses(nb, rn.Expectation(allow_stderr=[r"known harmless"]))

    def test_expectations(self):
        nb = executed([stream("stdout", "test accuracy: 0.66\n")], [html('<img src="data:image/png;base64,AAAA">')])
        self.assertPasses(nb, rn.Expectation(outputs=[r"^test accuracy: 0\.\d+$", "data:image/png"], mime=["text/html"]))
        self.assertFails(nb, "expected output not found", rn.Expectation(outputs=[r"monkey \(\d+ %\)"]))
        self.assertFails(nb, "expected a image/png output", rn.Expectation(mime=["image/png"]))

    def test_expectations_file_rejects_unknown_keys(self):
        with self.assertRaises(ValueError):
            rn.Expectation.from_json({"output": ["typo"]})

    def test_repo_expectations_load(self):
        expectations = rn.load_expectations(rn.DEFAULT_EXPECTATIONS)
        self.assertIn("00_setup_check.ipynb", expectations)


class CleanTest(unittest.TestCase):
    """notebooks/clean.py."""

    def test_clean_and_check(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "x.ipynb"
            nb = executed([stream("stdout", "hi\n")])
            nb["cells"][0]["metadata"]["execution"] = {"iopub.status.busy": "t"}
            nb["cells"][0]["metadata"]["tags"] = ["keep"]
            nb["cells"][0]["source"] = "a\nb"
            nb["cells"][0]["id"] = "greeting"
            nb.update(metadata={}, nbformat=4, nbformat_minor=5)
            path.write_text(json.dumps(nb))
            self.assertEqual(clean.main(["--check", str(path)]), 1)
            self.assertEqual(clean.main([str(path)]), 0)
            self.assertEqual(clean.main(["--check", str(path)]), 0)
            cell = json.loads(path.read_text())["cells"][0]
            self.assertEqual(cell["outputs"], [])
            self.assertIsNone(cell["execution_count"])
            self.assertEqual(cell["metadata"], {"tags": ["keep"]})
            self.assertEqual(cell["source"], ["a\n", "b"])
            before = path.read_text()
            clean.main([str(path)])
            self.assertEqual(path.read_text(), before, "cleaning twice changes nothing")

    def test_check_wants_cell_ids(self):
        """nbformat 4.5 requires an id on every cell: a cell added by hand may lack one."""
        nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# x\n"]}], "nbformat": 4, "nbformat_minor": 5}
        self.assertEqual(clean.problems(nb), ["cell 1 has no id (nbformat 4.5 requires one: give it a short name)"])
        nb["cells"][0]["id"] = "title"
        self.assertEqual(clean.problems(nb), [])
        nb.update(nbformat_minor=4)
        del nb["cells"][0]["id"]
        self.assertEqual(clean.problems(nb), [], "before 4.5, cells have no ids")

    def test_committed_notebooks_are_clean(self):
        paths = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted(TESTDATA.glob("*.ipynb"))
        self.assertTrue(paths)
        for path in paths:
            with self.subTest(notebook=path.name):
                self.assertEqual(clean.problems(json.loads(path.read_text())), [])

    def test_notebooks_open_alike(self):
        """Each notebook opens with its numbered title, then the same setup cell."""
        setups = {}
        for path in sorted((REPO / "notebooks").glob("*.ipynb")):
            cells = json.loads(path.read_text())["cells"]
            with self.subTest(notebook=path.name):
                title = "".join(cells[0]["source"])
                self.assertEqual(cells[0]["cell_type"], "markdown")
                self.assertTrue(title.startswith(f"# {path.name[:2]} · "), title[:40])
                setups[path.name] = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
        self.assertGreaterEqual(len(setups), 7)
        first = setups["00_setup_check.ipynb"]
        for name, setup in setups.items():
            with self.subTest(notebook=name):
                self.assertEqual(setup, first, "the setup cell differs from 00_setup_check's")


KERNEL = REPO / ".venv" / "share" / "jupyter" / "kernels" / "gonb" / "kernel.json"


@unittest.skipUnless(KERNEL.exists(), "GoNB kernel not installed: run kernel_setup/setup.sh")
class HarnessEndToEndTest(unittest.TestCase):
    """run_notebooks.py on the real kernel: the good notebook passes, each broken one fails."""

    @classmethod
    def setUpClass(cls):
        cls.out = Path(tempfile.mkdtemp(prefix="harness-"))
        names = ["good", "broken_panic", "broken_exit", "broken_compile", "broken_shell"]
        cmd = [sys.executable, str(HERE / "run_notebooks.py"), "--out", str(cls.out), "--timeout", "300",
               "--expectations", str(TESTDATA / "expectations.json"), "--no-html"]
        cmd += [str(TESTDATA / f"{n}.ipynb") for n in names]
        cls.result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        cls.lines = cls.result.stdout.splitlines()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def verdict(self, name: str) -> str:
        for line in self.lines:
            if line.split(" ")[1:2] == [f"{name}.ipynb"]:
                return line.split(" ")[0]
        self.fail(f"no verdict for {name} in:\n{self.result.stdout}\n{self.result.stderr}")

    def test_exit_code_and_summary(self):
        self.assertEqual(self.result.returncode, 1, self.result.stdout + self.result.stderr)
        self.assertEqual(self.lines[-1], "1 passed, 4 failed")

    def test_good_passes(self):
        self.assertEqual(self.verdict("good"), "PASS", self.result.stdout)

    def test_panic_fails(self):
        self.assertEqual(self.verdict("broken_panic"), "FAIL")
        self.assertIn("panic: deliberate failure for the harness test", self.result.stdout)

    def test_os_exit_fails(self):
        self.assertEqual(self.verdict("broken_exit"), "FAIL")
        self.assertIn("non-zero exit: exit status 3", self.result.stdout)

    def test_compile_error_fails(self):
        self.assertEqual(self.verdict("broken_compile"), "FAIL")
        self.assertIn("error output", self.result.stdout)
        self.assertIn('cannot use "not an int"', self.result.stdout)

    def test_shell_failure_fails(self):
        self.assertEqual(self.verdict("broken_shell"), "FAIL")
        self.assertIn("non-zero exit: exit status 1", self.result.stdout)

    def test_outputs_written(self):
        self.assertTrue((self.out / "broken_panic.ipynb").exists())
        nb = json.loads((self.out / "good.ipynb").read_text())
        self.assertEqual(rn.check_notebook(nb, rn.Expectation(outputs=["^harness good: after$"])), [])


if __name__ == "__main__":
    os.chdir(REPO)
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    print(f"{result.testsRun - failed - skipped} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed or not result.wasSuccessful() else 0)
