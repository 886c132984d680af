"""A worker pointed at a dead or refusing model endpoint: the user learns why within seconds.

``chat`` says "retrying (attempt N): <cause>" while the turn retries and names the cause when it
gives up waiting; ``show`` prints the in-flight failure; the worker's terminal has one line per
failed attempt and no traceback. A permanent failure (HTTP 401) ends the turn at once.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_harness import Background, DevStack, run_cli, sqlite_url

from tests.unit.activities._openai_fake import FakeEndpoint

pytest.importorskip("openai")
pytestmark = pytest.mark.temporal

KEY = "sk-integration-canary-2718"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def worker_for(dev_stack: DevStack, session_id: str, workdir: Path) -> Iterator[object]:
    """Start ``lash-temporal worker`` on a queue of its own with a given OPENAI_BASE_URL."""
    started: list[Background] = []

    def start(base_url: str) -> Background:
        worker = Background(
            "--task-queue", f"q-{session_id}", "--store", sqlite_url(workdir / "store.db"),
            "worker", cwd=workdir, name="worker",
            env=dev_stack.env(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=base_url),
        )
        started.append(worker)
        worker.wait_for("lash-temporal worker: serving task queue")
        return worker

    yield start
    for worker in started:
        worker.kill()


def _chat(session_id: str, workdir: Path, dev_stack: DevStack, timeout_s: int) -> Background:
    return Background(
        "--task-queue", f"q-{session_id}", "--store", sqlite_url(workdir / "store.db"), "chat",
        "--provider", "openai", "--model", "m", "--timeout", str(timeout_s), session_id, "hi",
        cwd=workdir, env=dev_stack.env(), name="chat",
    )


def _wait_err(proc: Background, text: str, within_s: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < within_s:
        if text in proc.err:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} within {within_s}s:\n{proc.err}")


def test_a_refused_endpoint_is_reported_while_the_turn_retries(
    dev_stack: DevStack, session_id: str, workdir: Path, worker_for: object
) -> None:
    """Within 5 s of a failed attempt chat says retrying and why; show says it; the worker
    logs one line per attempt."""
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    worker = worker_for(url)  # type: ignore[operator]
    chat = _chat(session_id, workdir, dev_stack, timeout_s=12)
    try:
        # Timed from the first failed attempt, not from the start of chat's process, whose
        # start-up on a busy machine says nothing about how fast the cause reaches the user.
        _wait_err(worker, "lash.run_turn failed", 60)
        took = _wait_err(chat, "retrying (attempt 2): provider 'openai': connection refused", 5)
        shown = run_cli("--store", sqlite_url(workdir / "store.db"), "show", session_id,
                        cwd=workdir, env=dev_stack.env())
        assert shown.code == 0, shown.err
        assert re.search(r"  in flight      turn retrying \(attempt \d+\): provider 'openai': "
                         rf"connection refused at {re.escape(url)}\n", shown.out), shown.out
        assert chat.proc.wait(30) == 1
    finally:
        chat.kill()
    lines = [ln for ln in chat.err.splitlines() if ln.strip()]
    assert lines[-1].startswith(f"lash-temporal: error: session {session_id!r}: no answer "
                                "within 12s; the turn is still retrying (attempt ")
    assert lines[-1].endswith(f"provider 'openai': connection refused at {url}")
    failed = re.findall(rf"lash.run_turn failed \(session {session_id}, turn 1, attempt (\d+), "
                        rf"will retry\): provider 'openai': connection refused at {re.escape(url)}",
                        worker.err)
    assert len(failed) >= 2 and [int(a) for a in failed] == list(range(1, len(failed) + 1))
    assert "Traceback" not in worker.err and KEY not in worker.err
    print(f"first retry line after {took:.2f}s; worker lines: {len(failed)}")


def test_a_rejected_key_fails_the_turn_at_once(
    dev_stack: DevStack, session_id: str, workdir: Path, worker_for: object
) -> None:
    """HTTP 401: no retries, chat exits 1 within seconds with the server's reason, no key."""
    endpoint = FakeEndpoint()
    endpoint.status = 401
    endpoint.body = {"error": {"message": f"Incorrect API key provided: {KEY}"}}
    try:
        worker = worker_for(endpoint.url)  # type: ignore[operator]
        started = time.monotonic()
        result = run_cli("--task-queue", f"q-{session_id}", "--store",
                         sqlite_url(workdir / "store.db"), "chat", "--provider", "openai",
                         "--model", "m", "--timeout", "60", session_id, "hi",
                         cwd=workdir, env=dev_stack.env())
        took = time.monotonic() - started
    finally:
        endpoint.close()
    assert result.code == 1
    line = result.error_line()
    assert line == (f"lash-temporal: error: session {session_id!r}: the turn failed: "
                    "ProviderCallError: provider "
                    f"'openai': HTTP 401 unauthorized from {endpoint.url}: Incorrect API key "
                    "provided: <redacted>")
    assert took < 15 and len(endpoint.seen) == 1
    assert "not retryable): " in worker.err and "provider 'openai': HTTP 401" in worker.err
    assert "Traceback" not in worker.err and KEY not in worker.err
