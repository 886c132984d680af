"""Conformance: ``load_head`` says where a session stands, as ``load_session`` would, without
reading its graph; both ledgers (from running totals) equal the usage rows merged."""

from __future__ import annotations

import pytest
from conformance_base import StoreHarness
from store_fixtures import (
    append,
    chain,
    commit,
    ledger,
    message_node,
    plugin_snapshot,
    replace_full,
    tool_state,
)

from checkpoint.errors import BlobCorruptError
from checkpoint.model import PersistedSessionHead, RuntimeCommit
from checkpoint.store import CheckpointStore, merge_usage_rows


def _mixed_commits() -> list[RuntimeCommit]:
    """Usage from several sources and models (an empty row that must not place its key, a
    cached-only row, two deltas for one key in one commit), a branch, a full rewrite."""
    nodes = chain("m", 3)
    return [
        commit("s", "op1", None, append(nodes[:2]), usage_deltas=[
            ledger("child", "b", input_tokens=0, output=0, cached=0, reasoning=0),
            ledger("turn", "a"),
        ], tool_state=tool_state(3), execution_state=b"\x01\x02"),
        commit("s", "op2", 1, append(nodes[2:]), turn_index=2, usage_deltas=[
            ledger("child", "b", input_tokens=0, output=0, cached=7, reasoning=0),
            ledger("turn", "z", input_tokens=5), ledger("turn", "a", output=9),
            ledger("turn", "a", input_tokens=1),
        ], plugin_snapshot=plugin_snapshot(), plugin_snapshot_revision=4),
        commit("s", "op3", 2, append([message_node("b0", "m0", "branch")]), turn_index=3,
               usage_deltas=[ledger("title", "c", reasoning=40)]),
        commit("s", "op4", 3, replace_full([*nodes[:2], message_node("r2", "m1")]),
               turn_index=4, usage_deltas=[ledger("turn", "z", cached=0)]),
    ]


class HeadConformance(StoreHarness):
    """Rules every backend keeps when loading only a session's head."""

    async def _agrees(self, store: CheckpointStore, session_id: str) -> PersistedSessionHead:
        head = await store.load_head(session_id)
        read = await store.load_session(session_id)
        assert head is not None and read is not None
        assert head.session_id == read.session_id == session_id
        assert head.head_revision == read.head_revision
        assert head.config == read.config
        assert head.checkpoint_ref == read.checkpoint_ref
        assert head.checkpoint == read.checkpoint
        assert head.leaf_node_id == read.graph.leaf_node_id
        assert head.graph_node_count == len(read.graph.nodes)
        rows = await store.backend.read_usage(session_id)
        assert head.token_ledger == read.token_ledger == merge_usage_rows(rows)
        return head

    async def test_load_head_agrees_with_load_session_after_every_commit(
        self, store: CheckpointStore
    ) -> None:
        """Head fields, hydrated checkpoint and ledger equal the full load's and the merged usage
        rows', after every commit of a mix (and after a retried operation)."""
        commits = _mixed_commits()
        for c in commits:
            await store.commit_runtime_state(c)
            await self._agrees(store, "s")
        await store.commit_runtime_state(commits[1])
        head = await self._agrees(store, "s")
        assert head.head_revision == 4
        keys = [(e.source, e.model) for e in head.token_ledger]
        assert keys == [("turn", "a"), ("child", "b"), ("turn", "z"), ("title", "c")]
        assert head.token_ledger[0].usage.input_tokens == 12 + 12 + 1
        assert head.token_ledger[1].usage.cached_input_tokens == 7

    async def test_load_head_counts_only_visible_nodes_after_a_tombstone(
        self, store: CheckpointStore
    ) -> None:
        """A tombstoned node leaves the head's node count as it leaves the loaded graph."""
        await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 3))))
        await store.tombstone_nodes("s", ["m2"])
        assert (await self._agrees(store, "s")).graph_node_count == 2

    async def test_load_head_of_an_unknown_session_is_none(self, store: CheckpointStore) -> None:
        """A session without a head has no head to load."""
        await store.commit_runtime_state(commit("other", "op1", None, usage_deltas=[ledger()]))
        assert await store.load_head("nobody") is None

    async def test_sessions_keep_their_own_ledgers(self, store: CheckpointStore) -> None:
        """Usage totals are per session; deleting one session leaves the other's ledger whole."""
        await store.commit_runtime_state(commit("a", "op1", None, usage_deltas=[ledger()]))
        await store.commit_runtime_state(commit("b", "op1", None, usage_deltas=[ledger("x")]))
        await store.delete_session("a")
        assert await store.load_head("a") is None
        await store.commit_runtime_state(commit("a", "op2", None, usage_deltas=[ledger("y")]))
        assert [e.source for e in (await self._agrees(store, "a")).token_ledger] == ["y"]
        assert [e.source for e in (await self._agrees(store, "b")).token_ledger] == ["x"]

    async def test_load_head_reads_no_node_and_no_usage_row(
        self, store: CheckpointStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """load_head never asks the backend for nodes or usage rows (both grow with length)."""
        await store.commit_runtime_state(commit(
            "s", "op1", None, append(chain("m", 3)), usage_deltas=[ledger()]
        ))

        def refuse(*args: object) -> None:
            raise AssertionError("load_head read rows that grow with the session")

        for name in ("read_session", "read_path", "read_node", "read_usage"):
            monkeypatch.setattr(store.backend, name, refuse)
        head = await store.load_head("s")
        assert head is not None and head.graph_node_count == 3 and head.leaf_node_id == "m2"
        assert [e.usage.input_tokens for e in head.token_ledger] == [12]

    async def test_damaged_checkpoint_blob_fails_load_head_naming_its_ref(
        self, store: CheckpointStore
    ) -> None:
        """A flipped byte in the head's manifest or a blob it hydrates names that ref."""
        receipt = await store.commit_runtime_state(
            commit("s", "op1", None, tool_state=tool_state())
        )
        tool_ref = receipt.manifest.tool_state_ref
        assert tool_ref is not None
        await self.damage_blob(store, tool_ref, -3)
        with pytest.raises(BlobCorruptError, match=tool_ref):
            await store.load_head("s")
        await self.damage_blob(store, tool_ref, -3)
        await self.damage_blob(store, receipt.checkpoint_ref, -2)
        with pytest.raises(BlobCorruptError, match=receipt.checkpoint_ref):
            await store.load_head("s")


__all__ = ["HeadConformance"]
