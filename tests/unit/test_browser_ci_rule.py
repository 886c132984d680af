"""The browser test skips visibly for a user without Chromium, and fails under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_browser_suite(**env: str) -> subprocess.CompletedProcess[str]:
    """The browser suite with a Chromium path that does not exist."""
    clean = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         str(ROOT / "tests" / "browser")],
        cwd=ROOT, env={**clean, "LASH_TEST_CHROMIUM": "/nonexistent/chromium", **env},
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("ci", ["", "false"])
def test_without_chromium_the_browser_tests_skip_with_the_reason(ci: str) -> None:
    """No Chromium outside CI: the tests are skipped and say how to get one."""
    result = run_browser_suite(CI=ci)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "skipped" in result.stdout and "LASH_TEST_CHROMIUM" in result.stdout


def test_in_ci_missing_chromium_fails_instead_of_skipping() -> None:
    """CI=true without Chromium: the run fails, saying so."""
    result = run_browser_suite(CI="true")
    assert result.returncode != 0
    assert "CI=true but no Chromium" in result.stdout
