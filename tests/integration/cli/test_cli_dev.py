"""``lash-temporal dev``: sessions survive a restart of the stack; a busy port fails at once."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from cli_harness import CLI, TEMPORAL, Background, DevStack, cli_env, run_cli

from workflows.host.devserver import HOST, free_port

pytestmark = pytest.mark.temporal

READY = "lash-temporal dev: ready"


def test_dev_keeps_sessions_across_a_restart(workdir: Path, session_id: str) -> None:
    """Stop the stack with SIGINT and start it again on the same directory: the session goes on."""
    port, ui_port = free_port(), free_port()
    args = ("dev", "--port", str(port), "--ui-port", str(ui_port))  # default project dir
    env = cli_env(LASH_TEMPORAL_ADDRESS=f"{HOST}:{port}")
    first = Background(*args, cwd=workdir, env=env, name="dev1")
    try:
        first.wait_for(READY)
        assert f"UI http://{HOST}:{ui_port}" in first.out
        assert run_cli("chat", session_id, "hello", cwd=workdir, env=env).code == 0
        assert first.interrupt() == 0, first.err
        assert first.out.rstrip().endswith("lash-temporal dev: stopped")
    finally:
        first.kill()
    project = workdir / ".lash-temporal"
    assert (project / "temporal.db").is_file() and (project / "store.db").is_file()
    second = Background(*args, cwd=workdir, env=env, name="dev2")
    try:
        second.wait_for(READY)
        again = run_cli("chat", session_id, "still there?", cwd=workdir, env=env)
        assert again.code == 0, again.err
        assert "(turn 2 ·" in again.err
        shown = run_cli("show", session_id, "--json", cwd=workdir, env=env)
        assert shown.code == 0, shown.err
        data = json.loads(shown.out)
        assert data["turn_index"] == 2
        assert data["store"] == "sqlite:///.lash-temporal/store.db"
        assert _listed_by_search_attribute(f"{HOST}:{port}", session_id) == [
            f"lash-session/{session_id}"
        ]
        assert second.interrupt() == 0, second.err
    finally:
        second.kill()


def _listed_by_search_attribute(address: str, session_id: str) -> list[str]:
    """Workflow ids ``temporal workflow list`` finds by LashSessionId (visibility may lag)."""
    query = f"LashSessionId = '{session_id}'"
    found: list[str] = []
    for _ in range(40):  # visibility is eventually consistent: up to ~10 s
        listed = subprocess.run(
            [str(TEMPORAL), "workflow", "list", "--address", address, "--query", query,
             "--output", "json"],
            capture_output=True, text=True, timeout=60, check=True,
        )
        text = listed.stdout.strip()
        rows = json.loads(text) if text.startswith("[") else [
            json.loads(line) for line in text.splitlines() if line.strip()
        ]
        found = [row["execution"]["workflowId"] for row in rows]
        if found:
            break
        time.sleep(0.25)
    return found


def test_dev_refuses_a_port_in_use(dev_stack: DevStack, workdir: Path) -> None:
    """The frontend port is taken: exit 1 at once with the port named, nothing started."""
    port = dev_stack.address.rsplit(":", 1)[1]
    result = run_cli("dev", "--dir", "p", "--port", port, "--ui-port", str(free_port()),
                     cwd=workdir, env=cli_env(), timeout=60)
    assert result.code == 1
    assert f"port {HOST}:{port} is in use" in result.error_line()
    assert not (workdir / "p").exists()


def test_a_second_dev_on_the_same_directory_refuses_naming_the_first(
    dev_stack: DevStack, workdir: Path
) -> None:
    """The shared stack's directory is locked: exit 1 at once, one line with its PID and ports."""
    lock = json.loads((dev_stack.directory / "dev.lock").read_text())
    result = run_cli("dev", "--dir", str(dev_stack.directory), "--port", str(free_port()),
                     "--ui-port", str(free_port()), cwd=workdir, env=cli_env(), timeout=60)
    assert result.code == 1
    assert result.error_line() == (
        f"lash-temporal: error: `lash-temporal dev` is already running on "
        f"{dev_stack.directory} (PID {lock['pid']}: Temporal {dev_stack.address}, UI "
        f"http://{HOST}:{dev_stack.ui_port}); use that one, or another --dir"
    )


def test_dev_banner_prints_the_exports_other_commands_need(
    dev_stack: DevStack, workdir: Path
) -> None:
    """The export line of the banner, run in a shell, lets `show` find the stack and its store."""
    banner = (dev_stack.directory.parent / "dev.out").read_text()
    [export] = [ln.strip() for ln in banner.splitlines() if "LASH_TEMPORAL_ADDRESS=" in ln]
    assert export == (f"export LASH_TEMPORAL_ADDRESS={dev_stack.address} "
                      f"LASH_TEMPORAL_STORE={dev_stack.store_url}")
    script = f"{export}\nexec {' '.join(CLI)} show no-such-session"
    env = {k: v for k, v in cli_env().items() if not k.startswith("LASH_TEMPORAL_")}
    shown = subprocess.run(["sh", "-c", script], cwd=workdir, env=env, capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 1
    assert f"no session 'no-such-session' (no workflow lash-session/no-such-session at " \
           f"{dev_stack.address})" in shown.stderr
