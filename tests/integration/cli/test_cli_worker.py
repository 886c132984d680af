"""``lash-temporal worker``: serves a queue until SIGINT; a bad address or store fails fast."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_harness import Background, DevStack, run_cli, sqlite_url

from workflows.host.devserver import HOST, free_port

pytestmark = pytest.mark.temporal


def test_worker_serves_its_queue_and_stops_cleanly_on_sigint(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """A chat on the worker's own task queue is answered; Ctrl-C stops it with exit 0."""
    queue = f"q-{session_id}"
    store = sqlite_url(workdir / "worker-store.db")
    worker = Background("--task-queue", queue, "--store", store, "worker", cwd=workdir,
                        env=dev_stack.env(), name="worker")
    try:
        worker.wait_for("lash-temporal worker: serving task queue")
        assert f"{queue!r} at {dev_stack.address}" in worker.out
        result = run_cli("--task-queue", queue, "--store", store, "chat", "--provider", "scripted",
                         session_id, "hi",
                         cwd=workdir, env=dev_stack.env())
        assert result.code == 0, result.err
        assert result.out.strip() == "Your sentence has 4 words."
        shown = run_cli("--store", store, "show", session_id, "--json", cwd=workdir,
                        env=dev_stack.env())
        assert shown.code == 0, shown.err
        assert '"turn_index": 1' in shown.out
        assert worker.interrupt() == 0, worker.err
        assert worker.out.rstrip().endswith("lash-temporal worker: stopped")
        assert "Traceback" not in worker.err
    finally:
        worker.kill()
    # No worker left: show still answers from describe and the store, and says what is missing.
    later = run_cli("--store", store, "show", session_id, cwd=workdir, env=dev_stack.env())
    assert later.code == 0, later.err
    assert "  turns          1\n" in later.out
    assert "  note: no worker " in later.out
    assert "● agent: Your sentence has 4 words." in later.out


def test_worker_with_unreachable_server_is_one_line(workdir: Path, dev_stack: DevStack) -> None:
    """No Temporal at the address: exit 1, the address named, no traceback."""
    address = f"{HOST}:{free_port()}"
    result = run_cli("--address", address, "worker", cwd=workdir, env=dev_stack.env(),
                     timeout=60)
    assert result.code == 1
    assert f"cannot reach Temporal at {address}" in result.error_line()


@pytest.mark.parametrize("key", ["", "short"])
def test_worker_without_a_signing_key_refuses_to_start(
    workdir: Path, dev_stack: DevStack, key: str
) -> None:
    """No (or a too short) LASH_EXECUTION_STATE_KEY: exit 1 before connecting, naming the
    variable and how to make one; a worker with a key anyone knows would unpickle forged state."""
    result = run_cli("worker", cwd=workdir, env=dev_stack.env(LASH_EXECUTION_STATE_KEY=key),
                     timeout=60)
    assert result.code == 1
    line = result.error_line()
    assert line.startswith("lash-temporal: error: LASH_EXECUTION_STATE_KEY ")
    assert "secrets.token_hex" in line
    assert "serving task queue" not in result.out


def test_worker_with_unreachable_store_is_one_line_naming_it(
    dev_stack: DevStack, workdir: Path
) -> None:
    """A PostgreSQL store nobody listens on: exit 1, its URL named with the password masked."""
    url = f"postgresql://lash:s3cret@{HOST}:{free_port()}/lash"
    result = run_cli("--store", url, "worker", cwd=workdir, env=dev_stack.env(), timeout=90)
    assert result.code == 1
    line = result.error_line()
    assert line.startswith(f"lash-temporal: error: store 'postgresql://lash:***@{HOST}:")
    assert "is unavailable" in line
    assert "s3cret" not in result.err + result.out


def test_chat_prints_a_long_answer_whole_from_the_store(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """An answer longer than the outcome's excerpt is read back from the store in full."""
    answer = " ".join(f"word{i}" for i in range(300))  # ~2,600 characters
    script = workdir / "long.json"
    script.write_text(json.dumps({"turns": [[{"text": answer}]]}))
    queue = f"q-{session_id}"
    store = sqlite_url(workdir / "long-store.db")
    worker = Background("--task-queue", queue, "--store", store, "worker", cwd=workdir,
                        env=dev_stack.env(LASH_SCRIPTED_SCRIPT=str(script)), name="worker")
    try:
        worker.wait_for("lash-temporal worker: serving task queue")
        result = run_cli("--task-queue", queue, "--store", store, "chat", "--provider", "scripted",
                         session_id, "talk",
                         cwd=workdir, env=dev_stack.env())
        assert result.code == 0, result.err
        assert result.out == answer + "\n"
        cut = run_cli("--task-queue", queue, "--store", sqlite_url(workdir / "none.db"), "chat",
                      session_id, "again", cwd=workdir, env=dev_stack.env())
        assert cut.code == 0, cut.err
        assert len(cut.out.strip()) == 400 and cut.out.strip().endswith("…")
        assert "answer cut to 400 characters" in cut.err
        assert worker.interrupt() == 0, worker.err
    finally:
        worker.kill()


@pytest.fixture
def slow_worker(dev_stack: DevStack, session_id: str, workdir: Path) -> Iterator[str]:
    """A worker on its own queue whose model takes 30 s a call; yields the queue; SIGTERM ends."""
    queue = f"q-{session_id}"
    store = sqlite_url(workdir / "slow-store.db")
    worker = Background("--task-queue", queue, "--store", store, "worker", cwd=workdir,
                        env=dev_stack.env(LASH_SCRIPTED_DELAY_S="30"), name="worker")
    try:
        worker.wait_for("lash-temporal worker: serving task queue")
        yield queue
        assert worker.terminate() == 0, worker.err
        assert "SIGTERM, stopping" in worker.out
    finally:
        worker.kill()


def test_chat_gives_up_after_its_timeout_with_one_line(
    dev_stack: DevStack, session_id: str, workdir: Path, slow_worker: str
) -> None:
    """A turn slower than --timeout: exit 1 with what to check, not a hang."""
    result = run_cli("--task-queue", slow_worker, "chat", "--provider", "scripted",
                     session_id, "hi", "--timeout", "2",
                     cwd=workdir, env=dev_stack.env(), timeout=60)
    assert result.code == 1
    line = result.error_line()
    assert f"session {session_id!r}: no answer within 2s" in line
    assert f"lash-temporal show {session_id}" in line


def test_ctrl_c_while_chat_waits_exits_130(
    dev_stack: DevStack, session_id: str, workdir: Path, slow_worker: str
) -> None:
    """SIGINT while a turn runs: exit 130 with one 'interrupted' line, no traceback."""
    chat = Background("--task-queue", slow_worker, "chat", "--provider", "scripted",
                      session_id, "hi", cwd=workdir,
                      env=dev_stack.env(), name="chat")
    try:
        for _ in range(60):  # until the turn is in flight (each look is a ~1 s subprocess)
            shown = run_cli("--task-queue", slow_worker, "show", session_id, "--json",
                            cwd=workdir, env=dev_stack.env(LASH_TEMPORAL_STORE="memory://"))
            if shown.code == 0 and (json.loads(shown.out)["summary"] or {}).get("in_flight"):
                break
            time.sleep(0.25)
        else:
            raise AssertionError("the turn never started")
        assert chat.interrupt() == 130
        assert chat.err.strip() == "lash-temporal: interrupted"
    finally:
        chat.kill()
