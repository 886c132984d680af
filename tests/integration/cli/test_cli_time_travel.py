"""``rewind`` and ``resume`` of a terminated session through the command, as a user meets them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_harness import TEMPORAL, DevStack, run_cli

pytestmark = pytest.mark.temporal


def test_a_terminated_session_is_resumed_and_its_history_reads_past_the_resume(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """Rewind refuses a closed session with the resume to run; resume with no worker fails at
    once naming the queue; resume then goes on, and history lists the turns on both sides and
    the rewind to turn 1 that ``--at-turn 1`` made."""
    env = dev_stack.env()
    for text in ("one", "two"):
        assert run_cli("chat", "--provider", "scripted", session_id, text,
                       cwd=workdir, env=env).code == 0
    subprocess.run([str(TEMPORAL), "workflow", "terminate", "--address", dev_stack.address,
                    "-w", f"lash-session/{session_id}", "--reason", "test"],
                   capture_output=True, timeout=60, check=True)

    rewind = run_cli("rewind", session_id, "--to-turn", "1", cwd=workdir, env=env)
    assert rewind.code == 1
    assert rewind.error_line() == (
        f"lash-temporal: error: session {session_id!r} is not running (its workflow "
        f"terminated); `lash-temporal resume {session_id} --at-turn 1` goes on from there")

    queue = f"nobody-{session_id}"
    nobody = run_cli("--task-queue", queue, "resume", session_id, cwd=workdir, env=env,
                     timeout=60)
    assert nobody.code == 1
    assert f"no worker is polling task queue {queue!r}" in nobody.error_line()

    resumed = run_cli("resume", session_id, "--at-turn", "1", cwd=workdir, env=env)
    assert resumed.code == 0, resumed.err
    assert resumed.out.startswith(
        f"session {session_id}: resumed from turn 1; the next message is turn 3 ")
    assert run_cli("chat", session_id, "three", cwd=workdir, env=env).code == 0
    history = run_cli("history", session_id, cwd=workdir, env=env)
    assert history.code == 0, history.err
    head, *lines = history.out.splitlines()
    assert head == f"session {session_id}: 3 turns in 2 runs, 1 rewind"
    assert lines[2].endswith("rewound to turn 1: turn 3 branches from there"), "resume --at-turn"
    turns = lines[:2] + lines[3:]
    assert [line.split()[0] for line in turns] == ["1", "2", "3"]
    assert [line.split('"')[1] for line in turns] == ["one", "two", "three"]
