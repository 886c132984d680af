"""Expected failures never show a traceback: each bad input is one stderr line and its exit code.

Exit codes (README): 1 an expected failure, 2 a usage error found before anything connects.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cli_harness import DevStack, cli_env, run_cli

from workflows.host.devserver import HOST, free_port


@pytest.mark.parametrize(("address", "problem"), [
    ("not an address", "not host:port"),
    ("127.0.0.1:99999", "its port must be 1-65535"),
    ("localhost:abc", "its port must be 1-65535"),
])
def test_a_malformed_address_is_a_usage_error(workdir: Path, address: str, problem: str) -> None:
    """Checked before connecting: exit 2, one line naming the address and what is wrong."""
    result = run_cli("--address", address, "show", "s", cwd=workdir, env=cli_env())
    assert result.code == 2, result.err
    assert result.error_line() == (
        f"lash-temporal: error: Temporal address {address!r}: {problem} (for example "
        "127.0.0.1:7233) (see `lash-temporal show --help`)"
    )


def test_a_malformed_address_from_the_environment_is_a_usage_error(workdir: Path) -> None:
    """LASH_TEMPORAL_ADDRESS is checked the same way."""
    result = run_cli("chat", "s", "hi", cwd=workdir,
                     env=cli_env(LASH_TEMPORAL_ADDRESS="localhost:abc"))
    assert result.code == 2
    assert "Temporal address 'localhost:abc'" in result.error_line()


def test_an_unknown_store_scheme_is_a_usage_error(workdir: Path) -> None:
    """The store URL's scheme is checked before anything connects."""
    result = run_cli("show", "s", "--store", "mysql://db/lash", cwd=workdir, env=cli_env())
    assert result.code == 2
    assert "unknown scheme 'mysql'" in result.error_line()


def test_a_missing_argument_is_one_line(workdir: Path) -> None:
    """argparse's usage errors are one line too (the usage is one --help away)."""
    result = run_cli("show", cwd=workdir, env=cli_env())
    assert result.code == 2
    assert result.error_line() == ("lash-temporal: error: the following arguments are required: "
                                   "SESSION (see `lash-temporal show --help`)")


def test_connection_options_work_after_the_command(workdir: Path) -> None:
    """``show s --address ...`` means the same as ``--address ... show s``."""
    address = f"{HOST}:{free_port()}"
    for args in (("--address", address, "show", "s"), ("show", "s", "--address", address)):
        result = run_cli(*args, cwd=workdir, env=cli_env())
        assert result.code == 1
        assert f"cannot reach Temporal at {address}" in result.error_line()


@pytest.mark.temporal
@pytest.mark.parametrize(("url", "cause"), [
    ("postgresql://u:secret@127.0.0.1:1/db", "Connection refused"),
    ("postgresql://u@no-such-host.invalid:5432/db", "failed to resolve host"),
])
def test_an_unreachable_postgres_store_names_its_cause_at_once(
    dev_stack: DevStack, workdir: Path, url: str, cause: str
) -> None:
    """A worker on a PostgreSQL store that cannot be reached: one line with the driver's cause,
    password masked, within seconds (not the pool's 10 s 'initialization incomplete')."""
    start = time.monotonic()
    result = run_cli("worker", "--store", url, cwd=workdir, env=dev_stack.env(), timeout=30)
    elapsed = time.monotonic() - start
    print(f"\nunreachable store reported after {elapsed:.1f} s (process start included)")
    assert result.code == 1
    line = result.error_line()
    assert line.startswith("lash-temporal: error: store 'postgresql://u") and cause in line
    assert "secret" not in line
    assert elapsed < 5.0
