"""A PersistedSessionState through the store: RuntimeCommit.persisted_state (spec §12.4), the
commit result applied back, reloads and refreshes (spec §12.3, §14), and the §16 quirks fixed."""

from __future__ import annotations

import pytest
from store_fixtures import ledger, tool_state

from checkpoint.errors import HeadRevisionConflict
from checkpoint.model import (
    Message,
    PersistedSessionState,
    ReplaceFull,
    RuntimeCommit,
    SessionPolicy,
    Unchanged,
)
from checkpoint.store import (
    CheckpointStore,
    load_persisted_session_state,
    open_store,
    refresh_persisted_session_state,
)


def user(message_id: str, text: str) -> Message:
    return Message.model_validate({"id": message_id, "role": "User", "parts": [
        {"id": f"{message_id}.p0", "kind": "Text", "content": text, "prune_state": "Intact"}]})


def new_state(session_id: str = "s") -> PersistedSessionState:
    policy = SessionPolicy.default()
    policy.model = "scripted-demo"
    policy.provider = {"type": "scripted"}
    policy.max_context_tokens = 1000
    return PersistedSessionState(session_id=session_id, policy=policy)


@pytest.fixture
async def store() -> CheckpointStore:
    return await open_store("memory://")


async def commit_state(
    store: CheckpointStore, state: PersistedSessionState, op: str, deltas: list | None = None
) -> None:
    commit = RuntimeCommit.persisted_state(state, deltas or [], operation_id=op)
    state.apply_persisted_commit_result(await store.commit_runtime_state(commit))


async def test_first_persisted_state_commit_is_a_full_write_then_unchanged(
    store: CheckpointStore,
) -> None:
    """Spec §12.4: no head yet means ReplaceFull; after the result is applied, Unchanged."""
    state = new_state()
    state.session_graph.append_message(user("m1", "hello"))
    first = RuntimeCommit.persisted_state(state, [], operation_id="op1")
    assert isinstance(first.graph, ReplaceFull)
    state.apply_persisted_commit_result(await store.commit_runtime_state(first))
    assert state.head_revision == 1
    second = RuntimeCommit.persisted_state(state, [], operation_id="op2")
    assert isinstance(second.graph, Unchanged)


async def test_final_commit_clears_inline_snapshots_and_keeps_refs(
    store: CheckpointStore,
) -> None:
    """Spec §15.6: after the commit the state holds refs, no inline snapshots, the revision."""
    state = new_state()
    state.tool_state_snapshot = tool_state(4)
    state.set_execution_state_snapshot(b"\x01\x02")
    await commit_state(store, state, "op1", [ledger()])
    assert state.tool_state_snapshot is None and state.execution_state_snapshot is None
    assert state.tool_state_ref is not None and state.execution_state_ref is not None
    loaded = await load_persisted_session_state(store, "s")
    assert loaded is not None and loaded.tool_state_snapshot == tool_state(4)
    assert loaded.execution_state_snapshot == b"\x01\x02"
    assert [e.usage.input_tokens for e in loaded.token_ledger] == [12]


async def test_state_that_lost_its_revision_in_json_cannot_blind_write(
    store: CheckpointStore,
) -> None:
    """Spec §16.1-2 fixed: a state through JSON has no revision; its ReplaceFull is refused."""
    state = new_state()
    state.session_graph.append_message(user("m1", "hello"))
    await commit_state(store, state, "op1")
    travelled = PersistedSessionState.model_validate_json(state.model_dump_json())
    assert travelled.head_revision is None
    with pytest.raises(HeadRevisionConflict):
        await commit_state(store, travelled, "op2")
    read = await store.load_session("s")
    assert read is not None and read.head_revision == 1


async def test_full_rewrite_from_an_active_path_state_keeps_other_branches(
    store: CheckpointStore,
) -> None:
    """Spec §16.8 fixed: a ReplaceFull of only the active path leaves the branch stored."""
    state = new_state()
    for i in range(3):
        state.session_graph.append_message(user(f"m{i}", f"text {i}"))
    await commit_state(store, state, "op1")
    state.session_graph.branch_to("m0")
    state.session_graph.append_message(user("b1", "branch"))
    state.session_graph = state.session_graph.fork_current_path()
    state.graph_replace_required = True
    await commit_state(store, state, "op2")
    read = await store.load_session("s")
    assert read is not None and [n.node_id for n in read.graph.nodes] == ["m0", "b1"]
    assert await store.load_node("s", "m2") is not None
    old = await store.load_graph_at("s", "m2")
    assert [n.node_id for n in old.nodes] == ["m0", "m1", "m2"]


async def test_refresh_reloads_only_when_the_head_moved(store: CheckpointStore) -> None:
    """Spec §14 C: refresh does nothing at the same head, and takes another writer's head."""
    state = new_state()
    await commit_state(store, state, "op1")
    assert not await refresh_persisted_session_state(store, state)
    other = await load_persisted_session_state(store, "s")
    assert other is not None
    other.turn_index = 5
    other.set_execution_state_snapshot(b"\x09")
    await commit_state(store, other, "op2")
    assert await refresh_persisted_session_state(store, state)
    assert (state.turn_index, state.head_revision) == (5, 2)
    assert state.execution_state_snapshot == b"\x09" and state.policy.provider == {
        "type": "scripted"
    }
