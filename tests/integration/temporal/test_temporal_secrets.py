"""A provider key configured on the worker never reaches history, the store or the logs."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from temporal_harness import WorkerProcess, history_json
from temporalio.client import Client, WorkflowUpdateFailedError

from activities.contract import TurnPolicy
from workflows.contract import TurnTimeouts
from workflows.host import client as lash


class _ErrorsOnly(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that only fails, and echoes the auth header when it does."""

    seen_keys: list[str] = []

    def do_POST(self) -> None:
        auth = self.headers.get("Authorization", "")
        self.seen_keys.append(auth)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        # First a retryable 500, then a 401: both bodies repeat the header, as careless
        # gateways do, so only redaction keeps the key out of error messages.
        status = 500 if len(self.seen_keys) == 1 else 401
        body = json.dumps({"error": {"message": f"rejected credentials {auth}"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        return


@pytest.fixture
def error_endpoint() -> Iterator[tuple[str, list[str]]]:
    _ErrorsOnly.seen_keys = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ErrorsOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", _ErrorsOnly.seen_keys
    finally:
        server.shutdown()
        server.server_close()


async def test_a_canary_key_never_appears_in_history_store_or_worker_logs(
    client: Client, store_url: str, task_queue: str, tmp_path: Path,
    error_endpoint: tuple[str, list[str]],
) -> None:
    """The worker holds the key and uses it; the failed turn leaves no trace of it anywhere."""
    base_url, seen = error_endpoint
    canary = f"sk-canary-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    env = {"OPENAI_API_KEY": canary, "OPENAI_BASE_URL": base_url, "LASH_LOG_LEVEL": "DEBUG"}
    target = client.service_client.config.target_host
    worker = WorkerProcess(target, task_queue, store_url, log, env).start()
    sid = f"secret-{uuid.uuid4().hex[:8]}"
    try:
        await lash.send(client, sid, "hello", task_queue=task_queue)  # scripted: fills the store
        policy = TurnPolicy(provider="openai", model="gpt-canary")
        with pytest.raises(WorkflowUpdateFailedError):
            await lash.send(
                client, f"{sid}-openai", "please answer", task_queue=task_queue, policy=policy,
                timeouts=TurnTimeouts(max_attempts=3, retry_initial=timedelta(milliseconds=100)),
            )
        summary = await lash.summary(client, f"{sid}-openai")
    finally:
        worker.stop()

    assert seen and all(header == f"Bearer {canary}" for header in seen), "key was not used"
    assert len(seen) == 2, "the 500 was retried once, the 401 was not retried"
    assert summary.last_error and "<redacted>" in summary.last_error
    needle = canary.encode()
    for session in (sid, f"{sid}-openai"):
        assert needle.decode() not in await history_json(client, session)
    store_files = list(tmp_path.glob("store.db*"))
    assert store_files
    for path in store_files:
        assert needle not in path.read_bytes(), f"key found in {path.name}"
    logged = log.read_bytes()
    assert b"rejected credentials" in logged or b"ProviderError" in logged, "nothing was logged"
    assert needle not in logged
