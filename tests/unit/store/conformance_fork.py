"""Conformance: a fork shares its source's nodes and blobs; a rewind moves the leaf back."""

from __future__ import annotations

import pytest
from conformance_base import StoreHarness
from store_fixtures import append, chain, commit, config, ledger, message_node, tool_state

from checkpoint.errors import ContractError, HeadRevisionConflict
from checkpoint.model import ActivePath, Append, HandoffRelation
from checkpoint.store import (
    FORK_REASON,
    CheckpointStore,
    fork_session,
    rewind_commit,
    rewind_op,
)


async def _source(store: CheckpointStore) -> list[str]:
    """Session ``src``: turn 1 = nodes a0-a1 (with tool state), turn 2 = nodes a2-a3."""
    nodes = chain("a", 4)
    await store.commit_runtime_state(commit(
        "src", "t1", None, append(nodes[:2]), turn_index=1, tool_state=tool_state(1),
        usage_deltas=[ledger(input_tokens=10)],
    ))
    await store.commit_runtime_state(commit(
        "src", "t2", 1, append(nodes[2:]), turn_index=2, tool_state=tool_state(2),
        usage_deltas=[ledger(input_tokens=5)],
    ))
    return [r.checkpoint_ref for r in [
        await store.load_receipt("src", "t1"), await store.load_receipt("src", "t2")] if r]


async def _fork(store: CheckpointStore, ref: str, new: str = "fk") -> None:
    await fork_session(
        store, source_session_id="src", session_id=new, turn=1, leaf_node_id="a1",
        checkpoint_ref=ref, config=config(), ledger=[ledger(input_tokens=10)],
        created_at="unix:3",
    )


class ForkConformance(StoreHarness):
    """Rules every backend keeps for forks and rewinds (``checkpoint.store._fork``)."""

    async def test_fork_reads_the_source_path_without_copying_it(
        self, store: CheckpointStore
    ) -> None:
        """A fork's graph is the source's path to the fork point; no node row is copied."""
        refs = await _source(store)
        await _fork(store, refs[0])
        read = await store.load_session("fk")
        assert read is not None
        assert [n.node_id for n in read.graph.nodes] == ["a0", "a1"]
        assert read.graph.leaf_node_id == "a1"
        assert read.checkpoint is not None and read.checkpoint.tool_state == tool_state(1)
        assert read.checkpoint.turn_state.turn_index == 1
        head = await store.load_head("fk")
        assert head is not None and head.graph_node_count == 0
        meta = await store.load_session_meta("fk")
        assert meta is not None and isinstance(meta.relation, HandoffRelation)
        assert meta.relation.reason == FORK_REASON and meta.relation.metadata["turn"] == 1
        assert (await store.load_node("fk", "a0")) is not None

    async def test_fork_continues_on_its_own_and_leaves_the_source(
        self, store: CheckpointStore
    ) -> None:
        """Nodes appended to a fork are its own; the source's head and graph do not change."""
        refs = await _source(store)
        await _fork(store, refs[0])
        before = await store.load_session("src")
        mine = message_node("f0", "a1", "forked")
        await store.commit_runtime_state(commit("fk", "f1", 1, Append(
            nodes=[mine], leaf_node_id="f0"), turn_index=2))
        path = await store.load_session("fk", ActivePath())
        assert path is not None
        assert [n.node_id for n in path.graph.active_path()] == ["a0", "a1", "f0"]
        graph = await store.load_graph_at("fk", "f0")
        assert [n.node_id for n in graph.nodes] == ["a0", "a1", "f0"]
        assert await store.load_session("src") == before

    async def test_fork_is_exactly_once_and_refuses_an_existing_session(
        self, store: CheckpointStore
    ) -> None:
        """The same fork again returns its receipt; a fork onto a stored session is refused."""
        refs = await _source(store)
        await _fork(store, refs[0])
        await _fork(store, refs[0])
        with pytest.raises(HeadRevisionConflict):
            await fork_session(
                store, source_session_id="fk", session_id="src", turn=1, leaf_node_id="a1",
                checkpoint_ref=refs[0], config=config(), ledger=[], created_at="unix:4",
            )

    async def test_rewind_moves_the_leaf_back_and_keeps_the_branch(
        self, store: CheckpointStore
    ) -> None:
        """The leaf and the checkpoint go back to turn 1's; the turn index and the ledger stay,
        and every node is still stored."""
        refs = await _source(store)
        head = await store.load_head("src")
        assert head is not None
        op = rewind_op("src", "u1")
        for _ in range(2):  # a retry lands nothing new
            await rewind_commit(store, head, to_turn=1, leaf_node_id="a1",
                                checkpoint_ref=refs[0], operation_id=op)
        read = await store.load_session("src")
        assert read is not None and read.head_revision == 3
        assert read.graph.leaf_node_id == "a1" and len(read.graph.nodes) == 4
        assert [n.node_id for n in read.graph.active_path()] == ["a0", "a1"]
        assert read.checkpoint is not None and read.checkpoint.turn_state.turn_index == 2
        assert read.checkpoint.tool_state == tool_state(1)
        assert read.token_ledger[0].usage.input_tokens == 15

    async def test_rewind_refuses_another_turns_checkpoint(self, store: CheckpointStore) -> None:
        """The checkpoint named must be the turn's; the leaf a stored node."""
        refs = await _source(store)
        head = await store.load_head("src")
        assert head is not None
        with pytest.raises(ContractError, match="turn 2's"):
            await rewind_commit(store, head, to_turn=1, leaf_node_id="a1",
                                checkpoint_ref=refs[1], operation_id="x")
        with pytest.raises(ContractError, match="no node"):
            await rewind_commit(store, head, to_turn=1, leaf_node_id="zz",
                                checkpoint_ref=refs[0], operation_id="y")
