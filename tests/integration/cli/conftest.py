"""One ``lash-temporal dev`` stack for the CLI tests, started and stopped the way a user does.

It runs as a subprocess on free ports in a temporary project directory; the tests talk to it
through ``LASH_TEMPORAL_ADDRESS`` and ``LASH_TEMPORAL_STORE``, and it is stopped with SIGINT.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_harness import Background, DevStack, cli_env, sqlite_url

from workflows.host.devserver import HOST, free_port

READY = "lash-temporal dev: ready"


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """``lash-temporal dev`` on free ports; stopped with SIGINT at the end of the session."""
    home = tmp_path_factory.mktemp("cli-dev")
    port, ui_port = free_port(), free_port()
    proc = Background("dev", "--dir", str(home / "project"), "--port", str(port),
                      "--ui-port", str(ui_port), cwd=home, env=cli_env(), name="dev")
    try:
        proc.wait_for(READY)
        yield DevStack(f"{HOST}:{port}", sqlite_url(home / "project" / "store.db"),
                       home / "project", ui_port)
        assert proc.interrupt() == 0, proc.err
    finally:
        proc.kill()


@pytest.fixture
def session_id() -> str:
    """A fresh session id per test, so tests sharing the stack never meet."""
    return f"cli-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory to run a command in (nothing of the repo's own state around)."""
    return tmp_path
