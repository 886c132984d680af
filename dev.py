#!/usr/bin/env python3
"""One entry point for a fresh clone: `python3 dev.py demo` or `python3 dev.py test`.

Needs only Python 3.11+. It creates `.venv/` on first use (and again whenever pyproject.toml
changes), installs the project with the extras the command needs, then runs the command in it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"

COMMANDS = {
    "demo": "run a scripted durable session on a local Temporal dev server",
    "test": "lint, type-check and run the whole test suite",
    "bench": "run the benchmarks under benchmarks/ (bench extra)",
}


def _ensure_venv(extras: str) -> None:
    """Create or refresh .venv when pyproject.toml or the wanted extras changed."""
    stamp = VENV / ".lash-stamp"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"dev.py: creating {VENV.relative_to(ROOT)}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(f"dev.py: installing lash-temporal[{extras}] (first run takes a minute)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f".[{extras}]"], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def _run(*argv: str) -> int:
    print("+", " ".join(argv), flush=True)
    return subprocess.run(argv, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = "\n".join(f"  {name:<{width}}  {text}" for name, text in COMMANDS.items())
        print(f"usage: python3 dev.py COMMAND [ARGS...]\n\n{lines}", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "demo":
        _ensure_venv("dev")
        return _run(str(BIN / "lash-temporal"), "demo", *rest)
    if command == "bench":
        _ensure_venv("dev,bench")
        return _run(str(PYTHON), "-m", "benchmarks", *rest)
    _ensure_venv("dev")
    for step in (
        (str(PYTHON), "-m", "ruff", "check", "."),
        (str(PYTHON), "-m", "mypy", "checkpoint", "activities", "workflows"),
        (str(PYTHON), "-m", "pytest", *rest),
    ):
        if code := _run(*step):
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
