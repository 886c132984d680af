"""Which graph a rebuild reads: the turn's node window while it still names the turn's graph,
else the path from the root to the turn's leaf (immutable nodes always give that)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from store_fixtures import append, chain, commit, message_node, replace_full

from checkpoint.errors import NodeNotFoundError
from checkpoint.history import SessionHistory, TurnRecord, rebuild_state
from checkpoint.model import CommitReceipt
from checkpoint.store import CheckpointStore, make_store


def _record(turn: int, receipt: CommitReceipt) -> TurnRecord:
    return TurnRecord(
        turn_index=turn, status="completed", run_id="run", event_id=turn, event_time="",
        head_revision=receipt.head_revision, checkpoint_ref=receipt.checkpoint_ref,
        leaf_node_id=receipt.leaf_node_id, node_window=receipt.node_window,
        provider="scripted", model="scripted-demo",
    )


def _history(*records: TurnRecord) -> SessionHistory:
    return SessionHistory(workflow_id="lash-session/s", session_id="s", runs=[],
                          turns=list(records))


@pytest.fixture
async def store() -> AsyncIterator[CheckpointStore]:
    async with make_store("memory://") as opened:
        yield opened


async def test_a_turn_before_a_full_rewrite_rebuilds_its_path(store: CheckpointStore) -> None:
    """Turn 1's window lost the nodes turn 2's full rewrite kept (renumbered): with turn 2 in
    the history the rebuild reads turn 1's path instead; without it (a history that read no
    head since), the window's hole shows in the read, and the path is read too, never a graph
    with a hole. A window read that finds no path to fall back to names the node."""
    old = chain("m", 3)
    first = await store.commit_runtime_state(commit("s", "op1", None, append(old)))
    second = await store.commit_runtime_state(
        commit("s", "op2", 1, replace_full([old[0], message_node("n1", "m0")]), turn_index=2)
    )
    history = _history(_record(1, first), _record(2, second))
    rebuilt = await rebuild_state(store, history, 1)
    assert [n.node_id for n in rebuilt.session_graph.nodes] == ["m0", "m1", "m2"]
    latest = await rebuild_state(store, history)
    assert [n.node_id for n in latest.session_graph.nodes] == ["m0", "n1"]
    unaware = await rebuild_state(store, _history(_record(1, first)), 1)
    assert unaware.model_dump() == rebuilt.model_dump()
    with pytest.raises(NodeNotFoundError, match="'m0'"):
        await store.load_graph_window("s", first.node_window or (0, 0), first.leaf_node_id)


async def test_the_newest_heads_window_alone_says_a_rewrite_came_since(
    store: CheckpointStore,
) -> None:
    """A read for turn 1 may skip the turns in between: the newest head's window (here a later
    run's carry, which holds no turn) is enough to know that turn 1's window no longer holds."""
    old = chain("m", 3)
    first = await store.commit_runtime_state(commit("s", "op1", None, append(old)))
    await store.commit_runtime_state(
        commit("s", "op2", 1, replace_full([old[0], message_node("n1", "m0")]), turn_index=2)
    )
    third = await store.commit_runtime_state(
        commit("s", "op3", 2, append([message_node("n2", "n1")]), turn_index=3)
    )
    assert third.node_window is not None and first.node_window is not None
    assert third.node_window[0] > first.node_window[0]
    history = SessionHistory(workflow_id="lash-session/s", session_id="s", runs=[],
                             turns=[_record(1, first)], window_start=third.node_window[0])
    rebuilt = await rebuild_state(store, history, 1)
    assert [n.node_id for n in rebuilt.session_graph.nodes] == ["m0", "m1", "m2"]


async def test_a_rewound_turns_window_holds_the_old_branch(store: CheckpointStore) -> None:
    """A turn after a rewind rebuilds the whole graph (the old branch too), not its path."""
    await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 3))))
    await store.commit_runtime_state(commit("s", "op2", 1, append([message_node("b2", "m1")])))
    receipt = await store.commit_runtime_state(
        commit("s", "op3", 2, append([message_node("b3", "b2")]), turn_index=2)
    )
    rebuilt = await rebuild_state(store, _history(_record(2, receipt)))
    assert [n.node_id for n in rebuilt.session_graph.nodes] == ["m0", "m1", "m2", "b2", "b3"]
    assert rebuilt.session_graph.leaf_node_id == "b3"
