"""``lash-temporal approve`` and ``chat --approve`` through the real CLI on the dev stack: the
waiting call is announced with the command that decides it, a terminal is asked, bad decisions
are one line each."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest
from cli_harness import CLI, Background, DevStack, run_cli

pytestmark = pytest.mark.temporal

COUNT_ASK = "count these four words"


def _wait_err(proc: Background, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in proc.err:
        assert proc.proc.poll() is None, f"exited before {text!r}:\n{proc.out}\n{proc.err}"
        assert time.monotonic() < deadline, f"no {text!r} within {timeout}s:\n{proc.err}"
        time.sleep(0.1)


def test_a_denied_call_is_announced_decided_once_and_seen_by_the_model(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    chat = Background("chat", "--approve", "word_count", session_id, COUNT_ASK, cwd=workdir,
                      env=dev_stack.env(), name="chat")
    try:
        _wait_err(chat, "waiting for approval: word_count")
        line = next(ln for ln in chat.err.splitlines() if "waiting for approval" in ln)
        assert f"lash-temporal approve {session_id} call_" in line
        call = line.split(f"approve {session_id} ")[1].split()[0]

        shown = run_cli("show", session_id, cwd=workdir, env=dev_stack.env())
        assert shown.code == 0, shown.err
        assert "  approval       waiting for approval: word_count" in shown.out

        both = run_cli("approve", session_id, call, "--all", cwd=workdir, env=dev_stack.env())
        assert both.code == 2 and "give CALL_ID or --all, not both" in both.error_line()
        unknown = run_cli("approve", session_id, "call_nope", cwd=workdir, env=dev_stack.env())
        assert unknown.code == 1
        assert "has no call 'call_nope' waiting for approval" in unknown.error_line()

        denied = run_cli("approve", session_id, "--deny", "--reason", "not today", cwd=workdir,
                         env=dev_stack.env())
        assert denied.code == 0, denied.err
        assert denied.out.strip() == f"denied call {call}; 0 still waiting"
        assert chat.proc.wait(60) == 0, chat.err
    finally:
        chat.kill()
    assert "denied: not today" in chat.out
    again = run_cli("approve", session_id, call, cwd=workdir, env=dev_stack.env())
    assert again.code == 1
    assert f"call {call!r} was already denied; a decision is made once" in again.error_line()
    nothing = run_cli("approve", session_id, cwd=workdir, env=dev_stack.env())
    assert nothing.code == 1
    assert f"session {session_id!r} has no call waiting for approval" in nothing.error_line()
    other = run_cli("chat", "--approve", "python", session_id, "hi", cwd=workdir,
                    env=dev_stack.env())
    assert other.code == 1 and "keeps the approval rules it started with" in other.error_line()


def test_interactive_chat_asks_at_the_terminal(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """At a terminal, chat shows the waiting call and asks; 'y' approves and the tool runs."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "chat", "--approve", "word_count", session_id], cwd=workdir, env=dev_stack.env(),
        stdin=slave, stdout=subprocess.PIPE, stderr=slave, start_new_session=True,
    )
    os.close(slave)
    seen = ""

    def read_until(text: str, timeout: float = 60) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen:
            assert time.monotonic() < deadline, f"no {text!r}; the terminal showed:\n{seen}"
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                seen += os.read(master, 4096).decode(errors="replace")

    try:
        read_until("you> ")
        os.write(master, f"{COUNT_ASK}\n".encode())
        read_until("approve word_count? [y/N] ")
        assert "waiting for approval: word_count" in seen
        os.write(master, b"y\n")
        read_until("(turn 1 ")
        os.write(master, b"/exit\n")
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert proc.returncode == 0, seen
    assert "(counted by word_count)" in out.decode()
