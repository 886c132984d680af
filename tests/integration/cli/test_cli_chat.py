"""``lash-temporal chat``: answers against a real dev stack, and one-line errors without one."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_harness import DevStack, cli_env, run_cli

from workflows.host.devserver import HOST, free_port

pytestmark = pytest.mark.temporal


def test_chat_starts_the_session_and_prints_each_answer(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """The first message starts the session; the next one is its turn 2."""
    first = run_cli("chat", "--provider", "scripted",
                    session_id, "hello there", cwd=workdir, env=dev_stack.env())
    assert first.code == 0, first.err
    assert first.out.strip() == "Your sentence has 4 words."
    assert "(turn 1 · 2 model calls, 1 tool call)" in first.err
    second = run_cli("chat", session_id, "and now?", cwd=workdir, env=dev_stack.env())
    assert second.code == 0, second.err
    assert second.out.strip() == "The running total is stored in the interpreter."
    assert "(turn 2 ·" in second.err


def test_chat_answers_what_it_is_told_by_default(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """A new session's default provider is echo: it answers the message, and counts words with
    the word_count tool when asked to."""
    hello = run_cli("chat", session_id, "hello", cwd=workdir, env=dev_stack.env())
    assert hello.code == 0, hello.err
    assert hello.out == "You said “hello” (1 word).\n"
    count = run_cli("chat", session_id, "count the words in 'durable agents on temporal'",
                    cwd=workdir, env=dev_stack.env())
    assert count.code == 0, count.err
    assert count.out == "“durable agents on temporal” has 4 words (counted by word_count).\n"
    assert "(turn 2 · 2 model calls, 1 tool call)" in count.err


def test_chat_without_message_answers_each_line_until_eof(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """Without MESSAGE, every non-empty stdin line is a turn; EOF ends with exit 0."""
    result = run_cli("chat", "--provider", "scripted", session_id, cwd=workdir, env=dev_stack.env(),
                     stdin="first\n\nsecond\n")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "Your sentence has 4 words.",
        "The running total is stored in the interpreter.",
    ]


def test_chat_with_unreachable_server_is_one_line_naming_the_address(workdir: Path) -> None:
    """No server: exit 1 and one line that names the address and how to start one."""
    address = f"{HOST}:{free_port()}"
    result = run_cli("--address", address, "chat", "s", "hi", cwd=workdir, env=cli_env())
    assert result.code == 1
    assert result.error_line() == (
        f"lash-temporal: error: cannot reach Temporal at {address} "
        "(is `lash-temporal dev` running?): connection refused"
    )


def test_chat_reads_the_address_from_the_environment(workdir: Path) -> None:
    """LASH_TEMPORAL_ADDRESS is used when --address is not given."""
    address = f"{HOST}:{free_port()}"
    result = run_cli("chat", "s", "hi", cwd=workdir,
                     env=cli_env(LASH_TEMPORAL_ADDRESS=address))
    assert result.code == 1
    assert address in result.error_line()


def test_chat_with_no_worker_on_the_queue_fails_instead_of_hanging(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """Nothing polls the task queue: exit 1 at once, naming the queue; no session is started."""
    queue = f"nobody-{session_id}"
    result = run_cli("--task-queue", queue, "chat", session_id, "hi", cwd=workdir,
                     env=dev_stack.env(), timeout=60)
    assert result.code == 1
    waiting, error = result.err.splitlines()  # a word while it looks, then the one error line
    assert waiting == f"lash-temporal: waiting up to 5 s for a worker on task queue {queue!r}…"
    assert error.startswith("lash-temporal: error: ")
    assert f"no worker is polling task queue {queue!r} at {dev_stack.address}" in error
    shown = run_cli("show", session_id, cwd=workdir, env=dev_stack.env())
    assert shown.code == 1
    assert f"no session {session_id!r}" in shown.error_line()


@pytest.mark.parametrize(
    "args",
    [
        ["chat"],
        ["chat", "s", "   "],
        ["chat", "s", "x", "--timeout", "0"],
        ["show", "x" * 300],
        ["nonsense"],
    ],
)
def test_bad_usage_exits_2_before_connecting(args: list[str], workdir: Path) -> None:
    """Missing arguments, a blank message, a bad option or session id: usage error, exit 2."""
    result = run_cli(*args, cwd=workdir, env=cli_env(LASH_TEMPORAL_ADDRESS="127.0.0.1:1"))
    assert result.code == 2
    line = result.error_line()
    assert line.startswith("lash-temporal: error: ") and line.endswith(" --help`)")
    assert "cannot reach" not in result.err


def test_chat_loop_reports_a_bad_line_and_goes_on(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """An oversized line is refused with its reason; the next line still runs; exit 1 at EOF."""
    lines = "first\n" + "x" * 40_000 + "\nsecond\n"
    result = run_cli("chat", "--provider", "scripted", session_id, cwd=workdir,
                     env=dev_stack.env(LASH_MAX_MESSAGE_BYTES="32768"), stdin=lines)
    assert result.code == 1
    assert result.out.splitlines() == [
        "Your sentence has 4 words.",
        "The running total is stored in the interpreter.",
    ]
    assert ("lash-temporal: error: message text is too large (40,000 bytes; at most 32,768)"
            in result.err)
    assert "Traceback" not in result.err


def test_another_provider_for_a_running_session_is_refused_with_what_to_do(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """`--provider` on a running session is refused in one line, not silently ignored; the
    same provider, or none given, goes on."""
    first = run_cli("chat", session_id, "hello", cwd=workdir, env=dev_stack.env())
    assert first.code == 0, first.err
    other = run_cli("chat", "--provider", "scripted", session_id, "again",
                    cwd=workdir, env=dev_stack.env())
    assert other.code == 1
    assert len(other.err.strip().splitlines()) == 1, other.err
    assert "runs on provider 'echo'" in other.err and "new session id" in other.err
    same = run_cli("chat", "--provider", "echo", session_id, "again",
                   cwd=workdir, env=dev_stack.env())
    assert same.code == 0, same.err
    assert "(turn 2 ·" in same.err


def test_a_message_file_past_the_limit_is_one_usage_error_before_anything_is_written(
    tmp_path: Path, workdir: Path
) -> None:
    """``chat --file`` with 11 MiB (the default limit is 10 MiB): exit 2, one line naming the
    size and the limit, found before connecting (the address is unreachable) or opening a
    store (none is created)."""
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (11 * 1024 * 1024))
    store = tmp_path / "store.db"
    result = run_cli("chat", "s1", "--file", str(big), cwd=workdir,
                     env=cli_env(LASH_TEMPORAL_ADDRESS="127.0.0.1:1",
                                 LASH_TEMPORAL_STORE=f"sqlite:///{store}"))
    assert result.code == 2, result.err
    assert result.error_line().startswith(
        "lash-temporal: error: message text is too large (11,534,336 bytes; at most "
        f"10,485,760) in {big}"
    )
    assert "cannot reach" not in result.err and not store.exists()
    low = run_cli("chat", "s1", "x" * 2_000, cwd=workdir,
                  env=cli_env(LASH_TEMPORAL_ADDRESS="127.0.0.1:1", LASH_MAX_MESSAGE_BYTES="1000"))
    assert low.code == 2
    assert "message text is too large (2,000 bytes; at most 1,000)" in low.error_line()


def test_a_message_file_past_the_old_cap_runs_by_reference(
    dev_stack: DevStack, session_id: str, workdir: Path, tmp_path: Path
) -> None:
    """60 KB (twice the old 32 KB cap) from ``--file`` runs a turn: the echo provider saw every
    word of it."""
    text = "word " * 12_000
    message = tmp_path / "message.txt"
    message.write_text(text)
    result = run_cli("chat", session_id, "--file", str(message), cwd=workdir,
                     env=dev_stack.env())
    assert result.code == 0, result.err
    assert result.out.endswith("(12000 words).\n")
