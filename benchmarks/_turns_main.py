"""The command line of a benchmark that takes only ``--turns`` and a scratch directory."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any


def run_turns_benchmark(
    bench: Callable[[int, Path], Coroutine[Any, Any, None]], argv: list[str] | None, *, prog: str,
    doc: str | None, default_turns: int, turns_help: str,
) -> None:
    """Parse ``--turns`` (other arguments are left to ``python -m benchmarks``), then run
    ``bench(turns, workdir)`` in a directory removed afterwards."""
    parser = argparse.ArgumentParser(prog=prog, description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=default_turns, help=turns_help)
    args, _names = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="lash-bench-") as workdir:
        asyncio.run(bench(args.turns, Path(workdir)))
