"""Code mode on a real worker: a runaway python call fails alone, and no secret leaks out."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from temporal_harness import WorkerProcess, history_json
from temporalio.client import Client

from activities.agent.tools import load_signed
from checkpoint.model import OutcomeFailure, OutcomeSuccess
from checkpoint.store import load_persisted_session_state, open_store
from workflows.host import client as lash

ENV_CODE = "import os\nseen = dict(os.environ)\nprint(seen)"
SCRIPT = [
    [{"tool_calls": [{"name": "python", "args": {"code": ENV_CODE}}]}, {"text": "env shown"}],
    [{"tool_calls": [{"name": "python", "args": {"code": "len(seen)"}}]}, {"text": "counted"}],
    [{"tool_calls": [{"name": "python", "args": {"code": "while True: pass"}}]},
     {"text": "the loop was stopped"}],
]
WALL_S = 6


async def test_a_runaway_call_fails_alone_and_no_secret_leaves_the_worker(
    client: Client, store_url: str, task_queue: str, tmp_path: Path
) -> None:
    """Session A's python loop hits the wall-time limit while session B's turns complete on the
    same worker; the provider and signing keys appear in no tool output, stored globals,
    store file, workflow history or worker log."""
    api_key = f"sk-canary-{uuid.uuid4().hex}"
    signing_key = f"sign-canary-{uuid.uuid4().hex}"
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    log = tmp_path / "worker.log"
    env = {
        "OPENAI_API_KEY": api_key, "LASH_EXECUTION_STATE_KEY": signing_key,
        "LASH_SCRIPTED_SCRIPT": str(script), "LASH_CODE_TIMEOUT_S": str(WALL_S),
        "LASH_LOG_LEVEL": "DEBUG",
    }
    target = client.service_client.config.target_host
    worker = WorkerProcess(target, task_queue, store_url, log, env).start()
    a, b = (f"code-{name}-{uuid.uuid4().hex[:8]}" for name in "ab")
    try:
        for text in ("show env", "count"):
            await lash.send(client, a, text, task_queue=task_queue)
        looping = asyncio.create_task(lash.send(client, a, "loop", task_queue=task_queue))
        await asyncio.sleep(0.5)
        for text in ("show env", "count"):
            assert (await lash.send(client, b, text, task_queue=task_queue)).status == "completed"
        assert not looping.done(), "session B waited for session A's runaway call"
        stopped = await asyncio.wait_for(looping, WALL_S * 5)
    finally:
        worker.stop()

    assert stopped.status == "completed" and stopped.answer_excerpt == "the loop was stopped"
    store = await open_store(store_url)
    try:
        state = await load_persisted_session_state(store, a)
    finally:
        await store.close()
    shown, counted, loop = (record.output.outcome for record in state.session_graph.tool_calls())
    assert isinstance(shown, OutcomeSuccess) and "'HOME'" in json.dumps(shown.payload)
    assert isinstance(counted, OutcomeSuccess)
    assert isinstance(loop, OutcomeFailure)
    # A busy loop spends CPU as fast as wall time (the CPU limit defaults to the wall limit):
    # whichever the child meets first names the failure.
    assert any(f"exceeded the {WALL_S} s {kind} limit" in loop.payload.message
               for kind in ("wall-time", "CPU-time")), loop.payload.message
    assert state.execution_state_snapshot is not None
    seen = load_signed(state.execution_state_snapshot, signing_key.encode())["seen"]
    assert "PATH" in seen and "OPENAI_API_KEY" not in seen

    for secret in (api_key, signing_key):
        for session in (a, b):
            assert secret not in await history_json(client, session)
        store_files = list(tmp_path.glob("store.db*"))
        assert store_files
        for path in store_files:
            assert secret.encode() not in path.read_bytes(), f"secret found in {path.name}"
        assert secret.encode() not in log.read_bytes()
