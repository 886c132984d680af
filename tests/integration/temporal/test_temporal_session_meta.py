"""SessionMeta on a real dev server: the demo's root and its sub-agent, and a grandchild."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporal_harness import TEST_KEY
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.model import ChildRelation, RootRelation
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.host import client as lash
from workflows.host.cli._config import Target
from workflows.host.cli._lineage import lineage
from workflows.host.worker import build_worker

NESTED = {
    "turns": [[
        {"text": "Delegating.", "tool_calls": [{"name": "spawn_agent", "args": {"task": "Dig"}}]},
        {"text": "Done."},
    ]],
    "child_turns": [[
        {"text": "Deeper.", "tool_calls": [{"name": "spawn_agent", "args": {"task": "Dig more"}}]},
        {"text": "Child done."},
    ]],
}
"""The root spawns a child and the child a grandchild, whose own spawn is refused (max depth)."""


def _sid() -> str:
    return f"m-{uuid.uuid4().hex[:10]}"


async def _spawn_call_ids(store: CheckpointStore, session_id: str) -> list[str | None]:
    state = await load_persisted_session_state(store, session_id)
    assert state is not None
    return [c.call_id for c in state.session_graph.tool_calls() if c.tool == "spawn_agent"]


@pytest.fixture
async def nested_worker(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path
) -> AsyncIterator[Worker]:
    script = tmp_path / "nested.json"
    script.write_text(json.dumps(NESTED))
    providers = ProviderRegistry.of(ScriptedProvider(script))
    w = build_worker(
        client, store, task_queue=task_queue, providers=providers, execution_state_key=TEST_KEY
    )
    async with w:
        yield w


async def test_the_demo_root_and_its_sub_agent_have_their_meta(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Turn 1 records the root; turn 4's spawn_agent records the child with its tool call."""
    sid = _sid()
    await lash.send(client, sid, "turn 1", task_queue=task_queue)
    root = await store.load_session_meta(sid)
    assert root is not None and root.relation == RootRelation()
    assert (root.session_name, root.model, root.parent_session_id) == (sid, "scripted-demo", None)
    for n in range(2, 5):
        await lash.send(client, sid, f"turn {n}", task_queue=task_queue)
    [child] = await store.list_child_sessions(sid)
    [call_id] = await _spawn_call_ids(store, sid)
    assert child.relation == ChildRelation(parent_session_id=sid, originating_tool_call_id=call_id)
    assert child.session_name == "Summarise our conversation so far."
    assert child.model == "scripted-demo" and child.session_id.startswith(f"{sid}.child-")
    await lash.handle(client, child.session_id).result()
    assert await store.load_session_meta(child.session_id) == child  # its own turn kept it
    assert await store.load_session_meta(sid) == root
    assert await store.list_child_sessions(child.session_id) == []


async def test_a_grandchild_is_listed_under_its_parent(
    client: Client, store: CheckpointStore, store_url: str, task_queue: str, nested_worker: Worker
) -> None:
    """Root -> child -> grandchild: each meta names its parent and the call that made it, and
    ``show``'s lineage walks both levels with their workflow status and usage."""
    sid = _sid()
    outcome = await lash.send(client, sid, "go", task_queue=task_queue)
    assert outcome.status == "completed"
    [child] = await store.list_child_sessions(sid)
    [grand] = await store.list_child_sessions(child.session_id)
    assert child.relation == ChildRelation(
        parent_session_id=sid, originating_tool_call_id=(await _spawn_call_ids(store, sid))[0]
    )
    assert grand.relation == ChildRelation(
        parent_session_id=child.session_id,
        originating_tool_call_id=(await _spawn_call_ids(store, child.session_id))[0],
    )
    assert (child.session_name, grand.session_name) == ("Dig", "Dig more")
    assert await store.list_child_sessions(grand.session_id) == []
    for meta in (child, grand):
        description = await lash.handle(client, meta.session_id).describe()
        assert description.status == WorkflowExecutionStatus.COMPLETED
    target = Target(client.service_client.config.target_host, client.namespace, task_queue,
                    store_url, True)
    family = await lineage(client, target, store, sid)
    assert family.meta is not None and family.meta.relation == RootRelation()
    assert [(d.meta, d.depth, d.status) for d in family.descendants] == [
        (child, 1, "completed"), (grand, 2, "completed"),
    ]
    assert all(d.usage.total_tokens > 0 for d in family.descendants)
