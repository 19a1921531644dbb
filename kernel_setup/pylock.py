#!/usr/bin/env python3
"""Writes and checks hash-pinned lock files for pip's --require-hashes mode.

  pylock.py REQUIREMENTS LOCK [--upgrade]   resolve and write LOCK (needs PyPI)
  pylock.py --check REQUIREMENTS LOCK       check LOCK against REQUIREMENTS (offline)

Writing resolves REQUIREMENTS with this interpreter's pip (pip install
--dry-run --ignore-installed --report: the closure for this Python version),
keeping the versions LOCK already pins, except for the packages REQUIREMENTS
pins itself, unless --upgrade. It writes LOCK: every package of the closure
at its exact version with the SHA-256 of every file PyPI has for that
version (the wheels of every platform and the sdist), so that the lock
installs wherever that closure does. The hashes come from
PyPI's simple API (PEP 691), which this project's package mirror serves where
the per-version JSON API, which pip-compile's hashes need, is refused.

--check needs nothing but Python: it fails when a requirement's pin is not in
LOCK at the same version, or a LOCK entry has no hash.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

SIMPLE_INDEX = os.environ.get("PYLOCK_INDEX", "https://pypi.org/simple")
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;\\#]+)")
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def canonical(name):
    """The PEP 503 normalized name: lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path):
    """Maps each package pinned (name==version) in path to (version, hashes)."""
    pins, current = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            code = line.split("#", 1)[0]
            m = PIN.match(code)
            if m:
                current = canonical(m.group(1))
                pins[current] = (m.group(2), [])
            elif code.strip() and not code.lstrip().startswith("--hash"):
                current = None
            if current:
                pins[current][1].extend(HASH.findall(code))
    return pins


def check(requirements, lock):
    """Returns the problems of lock against requirements (empty when none)."""
    want, have = read_pins(requirements), read_pins(lock)
    problems = []
    for name, (version, _) in sorted(want.items()):
        if name not in have:
            problems.append(f"{name}=={version} is not in {lock}")
        elif have[name][0] != version:
            problems.append(f"{requirements} pins {name}=={version}, {lock} has {have[name][0]}")
    problems += [f"{name} has no --hash in {lock}" for name, (_, hashes) in sorted(have.items()) if not hashes]
    return problems


def resolve(requirements, constraints):
    """Returns [(name, version)] of the closure of requirements, in name order."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
               "--disable-pip-version-check", "--report", report, "-r", requirements]
        if constraints:
            plain = os.path.join(tmp, "constraints.txt")  # pip refuses hashes in constraints
            with open(plain, "w", encoding="utf-8") as f:
                f.writelines(f"{n}=={v}\n" for n, (v, _) in constraints.items())
            cmd += ["-c", plain]
        subprocess.run(cmd, check=True)
        with open(report, encoding="utf-8") as f:
            installs = json.load(f)["install"]
    return sorted((canonical(i["metadata"]["name"]), i["metadata"]["version"]) for i in installs)


def file_version(filename, name):
    """The version in a wheel or sdist file name of package name, or None."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return parts[1] if len(parts) >= 5 and canonical(parts[0]) == name else None
    for ext in (".tar.gz", ".zip"):
        if filename.endswith(ext):
            stem, _, version = filename[: -len(ext)].rpartition("-")
            return version if canonical(stem) == name else None
    return None


def file_hashes(name, version):
    """The SHA-256 of every file of name==version on the index, sorted."""
    req = urllib.request.Request(f"{SIMPLE_INDEX}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        files = json.load(r)["files"]
    mine = [f for f in files if file_version(f["filename"], name) == version and "sha256" in f["hashes"]]
    usable = [f for f in mine if not f.get("yanked")] or mine
    if not usable:
        raise SystemExit(f"pylock.py: no file of {name}=={version} on {SIMPLE_INDEX}")
    return sorted({f["hashes"]["sha256"] for f in usable})


def write(requirements, lock, upgrade):
    keep = {} if upgrade or not os.path.exists(lock) else read_pins(lock)
    for name in read_pins(requirements):
        keep.pop(name, None)  # requirements.txt's own pins win (a version bumped there)
    try:
        pins = resolve(requirements, keep)
    except subprocess.CalledProcessError:
        hint = " with the versions it pins: run again with --upgrade" if keep else ""
        sys.exit(f"pylock.py: pip could not resolve {requirements}{hint}")
    py = ".".join(map(str, sys.version_info[:2]))
    lines = [
        f"# Every package of {os.path.basename(requirements)}'s closure (Python {py}) at an exact",
        "# version, with the SHA-256 of each of its files on PyPI. Generated: refresh with",
        f"#   .venv/bin/python kernel_setup/pylock.py {requirements} {lock} [--upgrade]",
    ]
    for name, version in pins:
        print(f"    {name}=={version}", file=sys.stderr)
        hashes = file_hashes(name, version)
        lines.append(f"{name}=={version} \\")
        lines += [f"    --hash=sha256:{h}" + (" \\" if i < len(hashes) - 1 else "") for i, h in enumerate(hashes)]
    with open(lock + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(lock + ".tmp", lock)
    print(f"pylock.py: wrote {lock} ({len(pins)} packages)", file=sys.stderr)


def main(argv):
    if "-h" in argv or "--help" in argv:
        print(__doc__.strip())
        return
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    if len(args) != 2 or flags - {"--check", "--upgrade"} or flags == {"--check", "--upgrade"}:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    requirements, lock = args
    if "--check" in flags:
        problems = check(requirements, lock)
        for p in problems:
            print(f"pylock.py: {p}", file=sys.stderr)
        if problems:
            sys.exit(f"pylock.py: {lock} is out of date: python3 kernel_setup/pylock.py {requirements} {lock}")
        return
    write(requirements, lock, "--upgrade" in flags)


if __name__ == "__main__":
    main(sys.argv[1:])
