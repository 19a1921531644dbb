#!/usr/bin/env python3
"""Tests of pylock.py, offline: a local HTTP server plays PyPI's simple API.

    python3 kernel_setup/pylock_test.py

Also checks that the committed lock files pin what their requirements ask for.
"""

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import pylock  # noqa: E402

H = {c: c * 64 for c in "abcdef"}  # fake SHA-256 values


class ReadPinsTest(unittest.TestCase):
    def test_pins_with_hashes_comments_and_markers(self):
        lock = write_tmp(self, """# comment
Foo_Bar==1.0 \\
    --hash=sha256:%s \\
    --hash=sha256:%s
baz==2.0.post1 ; python_version < "3.12"  # why
-r other.txt
qux==3
""" % (H["a"], H["b"]))
        self.assertEqual(
            pylock.read_pins(lock),
            {"foo-bar": ("1.0", [H["a"], H["b"]]), "baz": ("2.0.post1", []), "qux": ("3", [])},
        )


class CheckTest(unittest.TestCase):
    def test_matching_lock_passes(self):
        req = write_tmp(self, "foo==1.0\n")
        lock = write_tmp(self, "foo==1.0 \\\n    --hash=sha256:%s\nbar==2 --hash=sha256:%s\n" % (H["a"], H["b"]))
        self.assertEqual(pylock.check(req, lock), [])

    def test_each_problem_is_named(self):
        req = write_tmp(self, "foo==1.0\nnew==1\nsame==3\n")
        lock = write_tmp(self, "foo==1.1 --hash=sha256:%s\nsame==3\n" % H["a"])
        problems = pylock.check(req, lock)
        self.assertEqual(len(problems), 3, problems)
        self.assertIn("pins foo==1.0", problems[0])
        self.assertIn("new==1 is not in", problems[1])
        self.assertIn("same has no --hash", problems[2])

    def test_committed_locks_match_their_requirements(self):
        for req, lock in [
            ("kernel_setup/requirements.txt", "kernel_setup/requirements.lock"),
            ("bench/train/requirements.txt", "bench/train/requirements.lock"),
            ("bench/serve/requirements.txt", "bench/serve/requirements.lock"),
        ]:
            with self.subTest(lock=lock):
                self.assertEqual(pylock.check(str(REPO / req), str(REPO / lock)), [])

    def test_command_line_check_fails_on_a_stale_lock(self):
        req = write_tmp(self, "foo==2\n")
        lock = write_tmp(self, "foo==1 --hash=sha256:%s\n" % H["a"])
        run = subprocess.run([sys.executable, str(HERE / "pylock.py"), "--check", req, lock], capture_output=True, text=True)
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn("out of date", run.stderr)
        usage = subprocess.run([sys.executable, str(HERE / "pylock.py"), "--check", req], capture_output=True, text=True)
        self.assertEqual(usage.returncode, 2)


class FileVersionTest(unittest.TestCase):
    def test_wheels_and_sdists(self):
        cases = [
            ("argon2_cffi_bindings-26.2.0-cp39-abi3-manylinux_2_26_x86_64.whl", "argon2-cffi-bindings", "26.2.0"),
            ("numpy-2.4.6-cp311-cp311-macosx_14_0_arm64.whl", "numpy", "2.4.6"),
            ("foo-1.0-1-py3-none-any.whl", "foo", "1.0"),  # build tag
            ("foo-1.0.tar.gz", "foo", "1.0"),
            ("Foo.Bar-1.0rc1.zip", "foo-bar", "1.0rc1"),
            ("foo-bar-1.0.tar.gz", "foo", None),  # another package's sdist
            ("foobar-1.0-py3-none-any.whl", "foo", None),
            ("foo-1.0.exe", "foo", None),
        ]
        for filename, name, want in cases:
            with self.subTest(filename=filename):
                self.assertEqual(pylock.file_version(filename, name), want)


class FileHashesTest(unittest.TestCase):
    def setUp(self):
        pages = {
            "/simple/foo/": {"files": [
                {"filename": "foo-1.0-py3-none-any.whl", "hashes": {"sha256": H["b"]}},
                {"filename": "foo-1.0-cp311-cp311-win_amd64.whl", "hashes": {"sha256": H["a"]}},
                {"filename": "foo-1.0.tar.gz", "hashes": {"sha256": H["c"]}},
                {"filename": "foo-1.0.1.tar.gz", "hashes": {"sha256": H["d"]}},
                {"filename": "foo-1.0-py2-none-any.whl", "hashes": {"sha256": H["e"]}, "yanked": "broken"},
            ]},
            "/simple/old/": {"files": [
                {"filename": "old-1.0.tar.gz", "hashes": {"sha256": H["f"]}, "yanked": True},
            ]},
        }

        class Index(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                page = pages.get(self.path)
                body = json.dumps(page).encode()
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Index)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        old = pylock.SIMPLE_INDEX
        pylock.SIMPLE_INDEX = f"http://127.0.0.1:{server.server_port}/simple"
        self.addCleanup(setattr, pylock, "SIMPLE_INDEX", old)

    def test_every_file_of_the_version_not_yanked(self):
        self.assertEqual(pylock.file_hashes("foo", "1.0"), [H["a"], H["b"], H["c"]])

    def test_yanked_only_when_nothing_else(self):
        self.assertEqual(pylock.file_hashes("old", "1.0"), [H["f"]])

    def test_no_file_is_an_error(self):
        with self.assertRaises(SystemExit) as e:
            pylock.file_hashes("foo", "9.9")
        self.assertIn("no file of foo==9.9", str(e.exception))


class WriteTest(unittest.TestCase):
    """write() with pip's resolution and PyPI's hashes stood in for."""

    def setUp(self):
        self.constraints = None

        def resolve(requirements, constraints):
            self.constraints = dict(constraints)
            return [("dep", "2.0"), ("foo", "1.1")]

        for name, stand_in in [("resolve", resolve), ("file_hashes", lambda name, version: [H["a"], H["b"]])]:
            self.addCleanup(setattr, pylock, name, getattr(pylock, name))
            setattr(pylock, name, stand_in)

    def test_keeps_the_lock_pins_but_those_requirements_set(self):
        req = write_tmp(self, "foo==1.1\n")
        lock = write_tmp(self, "dep==2.0 --hash=sha256:%s\nfoo==1.0 --hash=sha256:%s\n" % (H["c"], H["c"]))
        pylock.write(req, lock, upgrade=False)
        self.assertEqual(self.constraints, {"dep": ("2.0", [H["c"]])})
        with open(lock, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("foo==1.1 \\\n    --hash=sha256:%s \\\n    --hash=sha256:%s\n" % (H["a"], H["b"]), text)
        self.assertEqual(pylock.check(req, lock), [])

    def test_upgrade_keeps_nothing(self):
        req = write_tmp(self, "foo==1.1\n")
        lock = write_tmp(self, "dep==1.0 --hash=sha256:%s\n" % H["c"])
        pylock.write(req, lock, upgrade=True)
        self.assertEqual(self.constraints, {})


def write_tmp(test, text):
    f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    f.write(text)
    f.close()
    test.addCleanup(os.remove, f.name)
    return f.name


if __name__ == "__main__":
    unittest.main(verbosity=1)
