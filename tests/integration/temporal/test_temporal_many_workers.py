"""Many workers on one PostgreSQL store: one dies mid-run, the other finishes every session,
and nothing is lost or counted twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporal_harness import (
    WorkerProcess,
    call_lines,
    demo_shape,
    ledger_sum,
    report_sum,
    shape_of,
    store_view,
    user_texts,
)
from temporalio.client import Client

from checkpoint.store import open_store
from workflows.contract import TurnTimeouts
from workflows.host import client as lash

pytestmark = pytest.mark.postgres

SESSIONS = 20
TURNS = 5
"""Turn 4 of the demo script spawns a sub-agent; the others call tools and run code."""
FAST = TurnTimeouts(
    heartbeat=timedelta(seconds=2),
    retry_initial=timedelta(milliseconds=200),
    retry_maximum=timedelta(seconds=1),
)
"""A dead worker's turns are noticed after 2 s and retried at once."""
KILL_AFTER_CALLS = 60
"""SIGKILL the first worker once this many model calls completed (about a fifth of the run)."""


async def test_two_workers_one_killed_twenty_sessions_finish_exactly_once(
    client: Client, postgres_schema_url: str, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    env = {"LASH_SCRIPTED_CALL_LOG": str(log), "LASH_SCRIPTED_DELAY_S": "0.05"}
    target = client.service_client.config.target_host
    workers = [
        WorkerProcess(target, task_queue, postgres_schema_url, tmp_path / f"w{n}.log", env=env)
        for n in (1, 2)
    ]
    for worker in workers:
        worker.start()
    sids = [f"many-{n}-{uuid.uuid4().hex[:6]}" for n in range(SESSIONS)]
    texts = [f"message {t}" for t in range(1, TURNS + 1)]

    async def converse(sid: str) -> dict[tuple[str, str], tuple[int, ...]]:
        for turn, text in enumerate(texts, start=1):
            reply = await lash.send(client, sid, text, task_queue=task_queue, timeouts=FAST)
            assert reply.turn_index == turn, (sid, turn, reply.turn_index)
        # The ledger the workflow kept from its turns' outcomes (asked while a worker lives).
        return report_sum(await lash.usage(client, sid))

    async def kill_first() -> None:
        while len(call_lines(log)) < KILL_AFTER_CALLS:
            await asyncio.sleep(0.05)
        workers[0].kill()

    try:
        killer = asyncio.create_task(kill_first())
        reported = await asyncio.wait_for(asyncio.gather(*(converse(s) for s in sids)), 600)
        await killer
    finally:
        for worker in workers:
            worker.kill()

    pids = {line["pid"] for line in call_lines(log)}
    assert workers[0].pid in pids and workers[1].pid in pids, "both workers took turns"
    store = await open_store(postgres_schema_url)
    try:
        for sid, session_reported in zip(sids, reported, strict=True):
            view = await store_view(store, sid)
            assert view.turn_index == TURNS, sid
            assert user_texts(view) == texts, sid
            # Every message, tool round and sub-agent answer once, in order.
            assert shape_of(view) == demo_shape(texts), sid
            # The ledger is what the turns reported, each counted once.
            assert ledger_sum(view.ledger) == session_reported, sid
    finally:
        await store.close()
    # No completed model call of a journaled step ran twice.
    keys = [(c["call_key"]) for c in call_lines(log)]
    repeats = len(keys) - len(set(keys))
    print(f"{SESSIONS} sessions x {TURNS} turns on two workers, one killed after "
          f"{KILL_AFTER_CALLS} calls: {len(keys)} model calls, {repeats} repeated")
