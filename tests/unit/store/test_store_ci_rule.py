"""The PostgreSQL suite skips visibly for a user without a server, and fails under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def run_postgres_suite(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "LASH_TEST_POSTGRES_URL")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-x", "-p", "no:cacheprovider",
         str(HERE / "test_store_postgres.py"), "-k", "first_commit"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("ci", ["", "false"])
def test_without_a_server_postgres_tests_skip_with_the_reason(ci: str) -> None:
    """No LASH_TEST_POSTGRES_URL outside CI: the tests are skipped and say why."""
    result = run_postgres_suite(CI=ci)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "skipped" in result.stdout and "LASH_TEST_POSTGRES_URL" in result.stdout


def test_in_ci_a_missing_server_fails_instead_of_skipping() -> None:
    """CI=true without LASH_TEST_POSTGRES_URL: the run fails, naming the variable."""
    result = run_postgres_suite(CI="true")
    assert result.returncode != 0
    assert "CI=true but no PostgreSQL" in result.stdout
    assert "LASH_TEST_POSTGRES_URL" in result.stdout
