"""Sub-agents fail honestly: a child that fails or times out is a failed tool call in its parent,
the parent's turn goes on, and what every child committed lands in the parent's ledger once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporal_fakes import TaskScriptProvider
from temporal_harness import TEST_KEY, ledger_sum
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry
from activities.contract import TurnPolicy
from checkpoint.model import TokenLedgerEntry
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.host import client as lash
from workflows.host.worker import build_worker

CHILD_TIMEOUT = timedelta(seconds=8)

ROOT = [
    {"tool_calls": [{"name": "spawn_agent", "args": {"task": task}}
                    for task in ("fail", "slow", "ok")]},
    {"text": "parent done"},
]
TASKS = {
    # A tool round (committed, with its usage), then the model fails for good.
    "fail": [{"tool_calls": [{"name": "word_count", "args": {"text": "a b"}}]}, {"fail": True}],
    # A tool round, then a model call that outlives the parent's patience.
    "slow": [{"tool_calls": [{"name": "word_count", "args": {"text": "c"}}]}, {"sleep": 120}],
    # Spawns a grandchild, then answers.
    "ok": [{"tool_calls": [{"name": "spawn_agent", "args": {"task": "leaf"}}]},
           {"text": "ok done"}],
    "leaf": [{"text": "leaf done"}],
}


@pytest.fixture
def provider() -> TaskScriptProvider:
    return TaskScriptProvider(ROOT, TASKS)


@pytest.fixture
async def task_worker(
    client: Client, store: CheckpointStore, task_queue: str, provider: TaskScriptProvider
) -> AsyncIterator[Worker]:
    w = build_worker(client, store, task_queue=task_queue,
                     providers=ProviderRegistry.of(provider), execution_state_key=TEST_KEY)
    async with w:
        yield w


def _records(state: Any) -> dict[str, dict[str, Any]]:
    """Tool call records of a stored session, by call id."""
    out = {}
    for node in state.session_graph.nodes:
        tool = node.model_dump(mode="json").get("event", {}).get("Tool")
        if tool is not None:
            record = tool["Invocation"]["record"]
            out[record["call_id"]] = record
    return out


async def _ledger(store: CheckpointStore, session_id: str) -> list[TokenLedgerEntry]:
    state = await load_persisted_session_state(store, session_id)
    assert state is not None, session_id
    return list(state.token_ledger)


def _total(entries: list[TokenLedgerEntry]) -> tuple[int, int]:
    return (sum(e.usage.input_tokens for e in entries), sum(e.usage.output_tokens for e in entries))


async def test_failed_and_timed_out_children_are_tool_failures_and_their_usage_counts_once(
    client: Client, store: CheckpointStore, task_queue: str, task_worker: Worker,
    provider: TaskScriptProvider,
) -> None:
    sid = f"kids-{uuid.uuid4().hex[:8]}"
    outcome = await lash.send(client, sid, "go", task_queue=task_queue,
                              policy=TurnPolicy(subagent_timeout=CHILD_TIMEOUT))
    assert outcome.status == "completed"
    assert outcome.answer_excerpt == "parent done"

    parent = await load_persisted_session_state(store, sid)
    assert parent is not None
    spawns = [r for r in _records(parent).values() if r["tool"] == "spawn_agent"]
    by_task = {r["args"]["task"]: r["output"]["outcome"] for r in spawns}
    assert by_task["ok"]["status"] == "success"
    assert by_task["fail"]["status"] == "failure"
    assert by_task["fail"]["payload"]["class"] == "execution"
    assert "scripted failure" in by_task["fail"]["payload"]["message"]
    assert by_task["slow"]["status"] == "failure"
    assert by_task["slow"]["payload"]["class"] == "timeout"

    # Every child session, and the grandchild, as the store holds them.
    children = await store.list_child_sessions(sid)
    assert len(children) == 3
    child_ledgers = {c.session_id: await _ledger(store, c.session_id) for c in children}
    for child_id, ledger in child_ledgers.items():
        assert _total(ledger) != (0, 0), f"{child_id} committed no usage"
    # The parent's "subagent" usage is exactly the sum of what its children committed (their
    # ledgers include the grandchild's), each counted once.
    parent_sub = [e for e in parent.token_ledger if e.source == "subagent"]
    assert _total(parent_sub) == _total([e for led in child_ledgers.values() for e in led])
    parent_turn = [e for e in parent.token_ledger if e.source == "turn"]
    root_calls = sum(1 for s, _d, _st in provider.calls if s == sid)
    assert _total(parent_turn) == (10 * root_calls, 1 * root_calls)
    assert ledger_sum(parent.token_ledger)  # non-empty, comparable

    statuses = {}
    for child in children:
        desc = await lash.describe(client, child.session_id)
        statuses[provider_task(child.session_name)] = desc.status
    assert statuses["slow"] == WorkflowExecutionStatus.CANCELED
    assert statuses["fail"] == WorkflowExecutionStatus.COMPLETED  # its turn failed, noted
    assert statuses["ok"] == WorkflowExecutionStatus.COMPLETED

    # The session goes on.
    again = await lash.send(client, sid, "again", task_queue=task_queue)
    assert again.turn_index == 2


def provider_task(session_name: str) -> str:
    """A child's name is its task."""
    return session_name.strip()
