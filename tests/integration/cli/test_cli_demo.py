"""``lash-temporal demo``: the README's first command, with no key and no running services."""

from __future__ import annotations

import re
import socket
import urllib.request
from pathlib import Path

import pytest
from cli_harness import Background, cli_env, run_cli

pytestmark = pytest.mark.temporal

TURN = re.compile(r"^turn (\d) · you: ", re.MULTILINE)
HISTORY = re.compile(
    r"^ {9}history ([\d,]+) events, ([\d,]+) bytes \(this turn \+([\d,]+) events, "
    r"\+([\d,]+) bytes\)$",
    re.MULTILINE,
)


def test_demo_runs_a_scripted_session_end_to_end(workdir: Path) -> None:
    """Five turns with their tools and history figures, the usage report, the UI address."""
    # An unreachable address in the environment proves the demo needs no running server.
    result = run_cli("demo", cwd=workdir, env=cli_env(LASH_TEMPORAL_ADDRESS="127.0.0.1:1"),
                     timeout=120)
    assert result.code == 0, result.out + result.err
    out = result.out
    assert [int(n) for n in TURN.findall(out)] == [1, 2, 3, 4, 5]
    for tools in ("word_count", "python", "remember, python", "spawn_agent", "none"):
        assert f"\n         tools: {tools}\n" in out
    figures = [[int(n.replace(",", "")) for n in row] for row in HISTORY.findall(out)]
    assert len(figures) == 5
    totals = [row[0] for row in figures]
    assert totals == sorted(totals) and totals[0] > 0
    # Each turn's increment is the difference of the running totals.
    before = [0, *totals[:-1]]
    assert [row[2] for row in figures] == [b - a for a, b in zip(before, totals, strict=True)]
    assert "\nusage\n" in out
    assert "  subagent  scripted-demo" in out, "the sub-agent's usage must reach the parent"
    assert re.search(r"^Temporal UI: http://127\.0\.0\.1:\d+$", out, re.MULTILINE)
    assert "/namespaces/default/workflows/lash-session%2Fdemo-" in out
    assert "Traceback" not in result.err and "WARNING" not in result.err
    assert list(workdir.iterdir()) == []  # nothing left behind in the current directory


def test_demo_keep_serves_the_ui_until_sigint(workdir: Path) -> None:
    """With --keep the dev server stays up after the last turn; Ctrl-C stops it, exit 0."""
    demo = Background("demo", "--keep", cwd=workdir, env=cli_env(), name="demo")
    try:
        demo.wait_for("the dev server stays up; Ctrl-C stops it")
        ui = re.search(r"^Temporal UI: (http://\S+)$", demo.out, re.MULTILINE)
        assert ui is not None
        with urllib.request.urlopen(ui.group(1), timeout=30) as page:
            assert page.status == 200
        assert demo.interrupt() == 0, demo.err
    finally:
        demo.kill()


def test_demo_with_openai_and_no_key_fails_before_starting_anything(workdir: Path) -> None:
    """--provider openai without OPENAI_API_KEY: one line naming the variable, exit 1."""
    result = run_cli("demo", "--provider", "openai", cwd=workdir, env=cli_env(), timeout=60)
    assert result.code == 1
    assert "needs OPENAI_API_KEY" in result.error_line()
    assert result.out == ""


def test_ctrl_c_during_the_demo_stops_its_server_and_exits_130(workdir: Path) -> None:
    """SIGINT mid-conversation: exit 130, one 'interrupted' line, the dev server is gone."""
    demo = Background("demo", cwd=workdir, env=cli_env(LASH_SCRIPTED_DELAY_S="5"), name="demo")
    try:
        demo.wait_for("session demo-")
        address = re.search(r"^Temporal (127\.0\.0\.1):(\d+) ", demo.out, re.MULTILINE)
        assert address is not None
        assert demo.interrupt() == 130
        assert demo.err.strip() == "lash-temporal: interrupted"
        with socket.socket() as sock:
            assert sock.connect_ex((address.group(1), int(address.group(2)))) != 0
    finally:
        demo.kill()
