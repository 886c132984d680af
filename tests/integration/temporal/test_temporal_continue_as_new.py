"""Continue-as-new forced by a low server threshold loses nothing queued or committed."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporal_harness import TEST_KEY, ledger_sum, store_view, user_texts
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.store import CheckpointStore
from workflows.contract import SessionInput
from workflows.host import client as lash
from workflows.host.devserver import DevServerOptions, dev_server
from workflows.host.worker import build_worker
from workflows.session import SessionWorkflow

SUGGEST_AT = 40
"""History events after which the server suggests continue-as-new (its default is 4,096)."""
TURNS = 30


@pytest.fixture(scope="module")
async def low_threshold_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of its own that suggests continue-as-new after a few turns."""
    options = DevServerOptions(
        dynamic_config={"limit.historyCount.suggestContinueAsNew": SUGGEST_AT}
    )
    async with dev_server(options) as env:
        yield env


async def _converse(client: Client, session_id: str, task_queue: str) -> None:
    """30 messages: mostly updates, and a burst of posts before every fifth one."""
    n = 0
    while n < TURNS:
        n += 1
        if n % 5 == 0 and n + 2 <= TURNS:
            for _ in range(2):
                await lash.post(client, session_id, f"message {n}", task_queue=task_queue)
                n += 1
        outcome = await lash.send(client, session_id, f"message {n}", task_queue=task_queue)
        assert outcome.turn_index == n


def _worker(client: Client, store: CheckpointStore, task_queue: str, call_log: Path) -> Worker:
    providers = ProviderRegistry.of(ScriptedProvider(None, call_log=call_log))
    return build_worker(
        client, store, task_queue=task_queue, providers=providers, execution_state_key=TEST_KEY
    )


async def test_thirty_turns_span_several_runs_and_end_like_one_run(
    low_threshold_env: WorkflowEnvironment, client: Client, store: CheckpointStore,
    task_queue: str, tmp_path: Path,
) -> None:
    """With CAN every few turns, 30 turns end in the same store state, ledger and summary as
    the same 30 turns in one run; queued posts survive the hand-over."""
    chained = f"can-{uuid.uuid4().hex[:8]}"
    single = f"one-{uuid.uuid4().hex[:8]}"
    low_client = low_threshold_env.client
    async with (
        _worker(low_client, store, task_queue, tmp_path / "a.jsonl"),
        _worker(client, store, f"{task_queue}-b", tmp_path / "b.jsonl"),
    ):
        await _converse(low_client, chained, task_queue)
        await _converse(client, single, f"{task_queue}-b")
        await _compare(low_client, client, store, chained, single)


async def _compare(
    low_client: Client, client: Client, store: CheckpointStore, chained: str, single: str
) -> None:
    chained_summary = await lash.summary(low_client, chained)
    single_summary = await lash.summary(client, single)
    assert single_summary.run_count == 1
    assert chained_summary.run_count >= 4, "the low threshold should force several runs"
    runs = [
        w async for w in low_client.list_workflows(f"WorkflowId = 'lash-session/{chained}'")
    ]
    assert len(runs) == chained_summary.run_count
    carried = 0
    for run in runs:
        history = await low_client.get_workflow_handle(run.id, run_id=run.run_id).fetch_history()
        for event in history.events:
            if event.HasField("workflow_execution_continued_as_new_event_attributes"):
                payload = event.workflow_execution_continued_as_new_event_attributes.input
                carry = json.loads(payload.payloads[0].data)["start"]["carry"]
                carried += len(carry.get("queued", []))  # left out when empty
                # Refs and figures only: the carry never holds the conversation.
                assert len(payload.payloads[0].data) < 4096
    print(f"runs={len(runs)} carried_posts={carried}")

    a, b = await store_view(store, chained), await store_view(store, single)
    assert a.turn_index == b.turn_index == TURNS
    assert user_texts(a) == [f"message {n}" for n in range(1, TURNS + 1)]
    assert a == b
    for field in ("turn_index", "head_revision", "model_calls", "tool_calls",
                  "last_answer_excerpt"):
        assert getattr(chained_summary, field) == getattr(single_summary, field), field
    usage_a = await lash.usage(low_client, chained)
    usage_b = await lash.usage(client, single)
    assert usage_a == usage_b
    assert ledger_sum(a.ledger) == ledger_sum(b.ledger)


async def test_a_run_continues_as_new_before_its_update_budget_runs_out(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path
) -> None:
    """The server allows 2,000 updates per run; the workflow moves on at its own budget."""
    sid = f"budget-{uuid.uuid4().hex[:8]}"
    async with _worker(client, store, task_queue, tmp_path / "c.jsonl"):
        await client.start_workflow(
            SessionWorkflow.run,
            SessionInput(session_id=sid, max_updates_per_run=3),
            id=f"lash-session/{sid}",
            task_queue=task_queue,
        )
        for n in range(1, 8):
            reply = await lash.send(client, sid, f"m{n}", task_queue=task_queue)
            assert reply.turn_index == n
            # Turns 3 and 6 end their runs: their answers come from the next run's carry.
            assert reply.answer_excerpt, f"turn {n} came back without its answer"
        summary = await lash.summary(client, sid)
    assert summary.run_count == 3  # updates 1-3, 4-6, 7
    assert user_texts(await store_view(store, sid)) == [f"m{n}" for n in range(1, 8)]


async def test_updates_that_never_stop_do_not_keep_a_run_from_continuing_as_new(
    low_threshold_env: WorkflowEnvironment, store: CheckpointStore, task_queue: str,
    tmp_path: Path,
) -> None:
    """Three callers send at once, so a turn is always queued: once the server suggests
    continue-as-new, the run refuses new updates until it has moved on (the client sends them
    again, to the new run), so no run's history outgrows the threshold by more than the turns
    it had already accepted, and every message runs exactly once."""
    client = low_threshold_env.client
    sid = f"busy-{uuid.uuid4().hex[:8]}"
    senders, each = 3, 8

    async def sender(k: int) -> list[int]:
        indexes = []
        for n in range(each):
            text = f"s{k} m{n}"
            if k == 0 and n > 0:  # the plain update to the running workflow resends too
                outcome = await lash.send_to_running(client, sid, text)
            else:
                outcome = await lash.send(client, sid, text, task_queue=task_queue)
            indexes.append(outcome.turn_index)
        return indexes

    async with _worker(client, store, task_queue, tmp_path / "busy.jsonl"):
        indexes = await asyncio.gather(*(sender(k) for k in range(senders)))
        runs = [w async for w in client.list_workflows(f"WorkflowId = 'lash-session/{sid}'")]
        lengths = []
        for run in runs:
            handle = client.get_workflow_handle(run.id, run_id=run.run_id)
            lengths.append(len((await handle.fetch_history()).events))
    assert sorted(i for per in indexes for i in per) == list(range(1, senders * each + 1))
    texts = user_texts(await store_view(store, sid))
    assert sorted(texts) == sorted(f"s{k} m{n}" for k in range(senders) for n in range(each))
    assert len(runs) >= 3
    # A run stops taking updates at the suggestion; the ones it holds (at most one per
    # caller) still run there, about 12 events each.
    assert max(lengths) <= SUGGEST_AT + (senders + 1) * 15, lengths
