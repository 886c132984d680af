"""``python -m workflows.worker`` fails with one clear line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from temporal_harness import ROOT

from workflows.devserver import free_port


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workflows.worker", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def test_a_bad_store_url_is_one_line_naming_the_url() -> None:
    """An unknown store scheme exits 1 with the reason, before touching Temporal."""
    done = _run("--store", "bogus://nowhere", "--target", f"127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "store 'bogus://nowhere' is unavailable" in done.stderr


def test_an_unreachable_temporal_is_one_line_naming_the_target(tmp_path: Path) -> None:
    """No server at the target: exit 1 with the address, no traceback."""
    target = f"127.0.0.1:{free_port()}"
    done = _run("--store", f"sqlite:///{tmp_path / 's.db'}", "--target", target)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"cannot reach Temporal at {target}" in done.stderr
