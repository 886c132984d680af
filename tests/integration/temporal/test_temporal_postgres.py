"""Workers share one PostgreSQL store: a session moves from one worker process to another."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporal_harness import (
    TEST_KEY,
    WorkerProcess,
    demo_shape,
    ledger_sum,
    report_sum,
    shape_of,
    store_view,
    user_texts,
)
from temporalio.client import Client

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.store import open_store
from workflows.host import client as lash
from workflows.host.worker import build_worker

pytestmark = pytest.mark.postgres


async def test_a_session_moves_between_workers_on_one_postgres_store(
    client: Client, postgres_schema_url: str, task_queue: str, tmp_path: Path
) -> None:
    """Five turns on a worker process, five on another worker: the store holds all ten once."""
    store = await open_store(postgres_schema_url)
    sid = f"pg-{uuid.uuid4().hex[:8]}"
    texts = [f"message {n}" for n in range(1, 11)]
    target = client.service_client.config.target_host
    first = WorkerProcess(target, task_queue, postgres_schema_url, tmp_path / "w1.log").start()
    try:
        for n, text in enumerate(texts[:5], start=1):
            outcome = await lash.send(client, sid, text, task_queue=task_queue)
            assert outcome.turn_index == n
    finally:
        first.stop()
    second = build_worker(client, store, task_queue=task_queue, execution_state_key=TEST_KEY,
                          providers=ProviderRegistry.of(ScriptedProvider(None)))
    try:
        async with second:
            for n, text in enumerate(texts[5:], start=6):
                outcome = await lash.send(client, sid, text, task_queue=task_queue)
                assert outcome.turn_index == n
                reported = report_sum(await lash.usage(client, sid))
        view = await store_view(store, sid)
    finally:
        await store.close()
    assert view.turn_index == 10
    assert user_texts(view) == texts
    assert shape_of(view) == demo_shape(texts)
    assert ledger_sum(view.ledger) == reported
