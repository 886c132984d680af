"""Conformance: commits (spec §12.2 with the §16 fixes), exactly-once, concurrency, nodes."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from conformance_base import StoreHarness
from store_fixtures import append, chain, commit, ledger, message_node, replace_full

from checkpoint.errors import (
    BlobMissingError,
    HeadRevisionConflict,
    NodeConflictError,
    NodeNotFoundError,
    OperationConflictError,
    SessionBindingMismatch,
)
from checkpoint.model import ActivePath, Unchanged
from checkpoint.store import CheckpointStore


class CommitConformance(StoreHarness):
    """Rules every backend keeps when committing."""

    async def test_first_commit_on_empty_store_may_omit_expected_revision(
        self, store: CheckpointStore
    ) -> None:
        """Spec §15.9: the first commit works with expected_head_revision=None."""
        receipt = await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 2))))
        assert receipt.head_revision == 1
        assert await store.load_head_revision("s") == 1

    async def test_missing_session_loads_as_none(self, store: CheckpointStore) -> None:
        """A session without a head loads as None, and has no revision."""
        assert await store.load_session("nobody") is None
        assert await store.load_head_revision("nobody") is None

    async def test_bound_handle_refuses_a_commit_for_another_session(
        self, store: CheckpointStore
    ) -> None:
        """Spec §15.8: a store bound to `alpha` refuses a commit for `beta`, writing nothing."""
        alpha = store.session("alpha")
        await alpha.commit_runtime_state(commit("alpha", "op1", None))
        with pytest.raises(SessionBindingMismatch, match="bound to session `alpha`"):
            await alpha.commit_runtime_state(commit("beta", "op1", None))
        assert await store.load_head_revision("beta") is None

    async def test_append_commit_writes_only_the_new_tail_nodes(
        self, store: CheckpointStore
    ) -> None:
        """Spec §15.4: a prepared checkpoint stores exactly the in-memory node count."""
        nodes = chain("m", 3)
        await store.commit_runtime_state(commit("s", "op1", None, append(nodes[:2])))
        receipt = await store.commit_runtime_state(commit("s", "op2", 1, append(nodes[2:])))
        read = await store.load_session("s")
        assert read is not None and receipt.head_revision == read.head_revision == 2
        assert [n.node_id for n in read.graph.nodes] == ["m0", "m1", "m2"]
        assert read.graph.leaf_node_id == "m2"

    async def test_usage_deltas_become_store_rows_merged_on_load(
        self, store: CheckpointStore
    ) -> None:
        """Spec §15.6-7: each usage delta is a row; the loaded ledger has one "turn" row."""
        await store.commit_runtime_state(commit("s", "op1", None, usage_deltas=[ledger()]))
        read = await store.load_session("s")
        assert read is not None and len(read.token_ledger) == 1
        row = read.token_ledger[0]
        assert (row.source, row.usage.input_tokens, row.usage.output_tokens) == ("turn", 12, 4)
        assert (row.usage.cached_input_tokens, row.usage.reasoning_tokens) == (1, 2)

    async def test_cached_only_usage_is_kept_in_the_loaded_ledger(
        self, store: CheckpointStore
    ) -> None:
        """Spec §16.11 fixed: a cached-only row survives the load-time merge."""
        cached_only = ledger("child", input_tokens=0, output=0, cached=5, reasoning=0)
        await store.commit_runtime_state(commit("s", "op1", None, usage_deltas=[cached_only]))
        read = await store.load_session("s")
        assert read is not None
        kept = [(e.source, e.usage.cached_input_tokens) for e in read.token_ledger]
        assert kept == [("child", 5)]

    async def test_retried_operation_returns_the_first_receipt(
        self, store: CheckpointStore
    ) -> None:
        """A commit retried with its operation id returns the same receipt, writes nothing."""
        c = commit("s", "op1", None, append(chain("m", 2)), usage_deltas=[ledger(), ledger("x")])
        first = await store.commit_runtime_state(c)
        again = await store.commit_runtime_state(c)
        assert again == first
        read = await store.load_session("s")
        assert read is not None and read.head_revision == 1 and len(read.graph.nodes) == 2
        assert [e.usage.input_tokens for e in read.token_ledger] == [12, 12]

    async def test_retry_after_the_head_moved_still_returns_the_first_receipt(
        self, store: CheckpointStore
    ) -> None:
        """Exactly-once wins over the revision check: a late retry is not a conflict."""
        c1 = commit("s", "op1", None, usage_deltas=[ledger()])
        first = await store.commit_runtime_state(c1)
        await store.commit_runtime_state(commit("s", "op2", 1, turn_index=2))
        assert await store.commit_runtime_state(c1) == first
        read = await store.load_session("s")
        assert read is not None and read.token_ledger[0].usage.input_tokens == 12

    async def test_retry_that_reloaded_the_head_still_gets_the_first_receipt(
        self, store: CheckpointStore
    ) -> None:
        """A retry expecting the revision its own first attempt created is the same payload."""
        first = await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 1))))
        retry = commit("s", "op1", first.head_revision, append(chain("m", 1)))
        assert await store.commit_runtime_state(retry) == first
        assert await store.load_head_revision("s") == 1

    async def test_operation_id_reused_with_another_payload_is_refused(
        self, store: CheckpointStore
    ) -> None:
        """The same operation id with a different payload raises, and writes nothing."""
        await store.commit_runtime_state(commit("s", "op1", None))
        with pytest.raises(OperationConflictError, match="op1"):
            await store.commit_runtime_state(commit("s", "op1", 1, turn_index=7))
        assert await store.load_head_revision("s") == 1

    async def test_load_receipt_returns_the_landed_receipt(self, store: CheckpointStore) -> None:
        """load_receipt gives the commit's receipt, or None for an unknown operation."""
        receipt = await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 1))))
        assert await store.load_receipt("s", "op1") == receipt
        assert receipt.leaf_node_id == "m0" and receipt.operation_id == "op1"
        assert await store.load_receipt("s", "nope") is None

    async def test_stale_expected_revision_conflicts_and_writes_nothing(
        self, store: CheckpointStore
    ) -> None:
        """A stale expected revision raises HeadRevisionConflict and writes nothing."""
        await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 1))))
        await store.commit_runtime_state(commit("s", "op2", 1))
        with pytest.raises(HeadRevisionConflict) as info:
            await store.commit_runtime_state(
                commit("s", "op3", 1, append([message_node("x", "m0")]), usage_deltas=[ledger()])
            )
        assert (info.value.expected, info.value.actual) == (1, 2)
        read = await store.load_session("s")
        assert read is not None and [n.node_id for n in read.graph.nodes] == ["m0"]
        assert read.token_ledger == [] and await store.load_receipt("s", "op3") is None

    async def test_existing_head_refuses_a_blind_write(self, store: CheckpointStore) -> None:
        """Spec §16.2 fixed: once a head exists, omitting the revision is a conflict."""
        await store.commit_runtime_state(commit("s", "op1", None))
        with pytest.raises(HeadRevisionConflict) as info:
            await store.commit_runtime_state(commit("s", "op2", None))
        assert (info.value.expected, info.value.actual) == (None, 1)

    async def test_new_session_with_a_nonzero_expected_revision_conflicts(
        self, store: CheckpointStore
    ) -> None:
        """Spec §16.15: expecting revision 3 of a session that has no head is a conflict."""
        with pytest.raises(HeadRevisionConflict):
            await store.commit_runtime_state(commit("s", "op1", 3))
        assert await store.load_head_revision("s") is None

    async def test_concurrent_commits_have_one_winner_per_revision(
        self, store: CheckpointStore
    ) -> None:
        """Writers racing on one revision: exactly one wins, the rest conflict."""
        await store.commit_runtime_state(commit("s", "op0", None))
        results = await asyncio.gather(
            *(store.commit_runtime_state(commit("s", f"op{i}", 1, turn_index=i + 1))
              for i in range(1, 6)),
            return_exceptions=True,
        )
        wins = [r for r in results if not isinstance(r, BaseException)]
        assert len(wins) == 1 and wins[0].head_revision == 2
        assert all(isinstance(r, HeadRevisionConflict) for r in results if r not in wins)

    async def test_a_cancelled_commit_lands_whole_or_not_at_all(
        self, store: CheckpointStore
    ) -> None:
        """A commit cancelled mid-flight (a timed-out activity) leaves all or nothing, and its
        retry applies it exactly once."""
        await store.commit_runtime_state(commit("s", "op0", None))
        big = commit("s", "op1", 1, append(chain("m", 3000)), usage_deltas=[ledger()])
        task = asyncio.create_task(store.commit_runtime_state(big))
        await asyncio.sleep(0.005)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        read = await store.load_session("s")
        assert read is not None
        assert (read.head_revision, len(read.graph.nodes)) in {(1, 0), (2, 3000)}
        assert (await store.commit_runtime_state(big)).head_revision == 2
        read = await store.load_session("s")
        assert read is not None and len(read.graph.nodes) == 3000
        assert [e.usage.input_tokens for e in read.token_ledger] == [12]

    async def test_identical_append_of_an_existing_node_is_a_no_op(
        self, store: CheckpointStore
    ) -> None:
        """Appending a stored node again with identical content changes nothing."""
        nodes = chain("m", 2)
        await store.commit_runtime_state(commit("s", "op1", None, append(nodes)))
        await store.commit_runtime_state(commit("s", "op2", 1, append(nodes)))
        read = await store.load_session("s")
        assert read is not None and [n.node_id for n in read.graph.nodes] == ["m0", "m1"]

    async def test_append_of_an_existing_id_with_other_content_is_refused(
        self, store: CheckpointStore
    ) -> None:
        """Nodes are immutable: a different node under a stored id raises, nothing written."""
        await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 2))))
        changed = message_node("m1", "m0", "something else")
        with pytest.raises(NodeConflictError, match="m1"):
            await store.commit_runtime_state(
                commit("s", "op2", 1, append([message_node("m2", "m1"), changed]))
            )
        read = await store.load_session("s")
        assert read is not None and read.head_revision == 1 and len(read.graph.nodes) == 2
        node = await store.load_node("s", "m1")
        assert node == chain("m", 2)[1]

    async def test_replace_full_keeps_the_nodes_it_leaves_out(
        self, store: CheckpointStore
    ) -> None:
        """Spec §16.8 fixed: a full rewrite leaves old branches stored, unloaded."""
        old = chain("m", 3)
        await store.commit_runtime_state(commit("s", "op1", None, append(old)))
        new = [old[0], message_node("n1", "m0")]
        await store.commit_runtime_state(commit("s", "op2", 1, replace_full(new)))
        read = await store.load_session("s")
        assert read is not None and [n.node_id for n in read.graph.nodes] == ["m0", "n1"]
        assert await store.load_node("s", "m2") == old[2]
        graph = await store.load_graph_at("s", "m2")
        assert [n.node_id for n in graph.nodes] == ["m0", "m1", "m2"]
        assert graph.leaf_node_id == "m2"

    async def test_a_receipts_node_window_reads_back_that_heads_full_graph(
        self, store: CheckpointStore
    ) -> None:
        """After a rewind (the leaf moves back) and a new branch, each receipt's window and
        leaf give the full graph ``load_session`` read right after that commit, old branch
        included; a later tombstone does not change what a commit wrote; a retried operation
        gets the window back from the stored receipt."""
        nodes = chain("m", 3)
        steps = [
            commit("s", "op1", None, append(nodes)),
            commit("s", "op2", 1, Unchanged(leaf_node_id="m1")),
            commit("s", "op3", 2, append([message_node("b2", "m1")])),
        ]
        seen = []
        for step in steps:
            receipt = await store.commit_runtime_state(step)
            read = await store.load_session("s")
            assert read is not None and read.node_window == receipt.node_window
            seen.append((receipt, [n.node_id for n in read.graph.nodes], read.graph.leaf_node_id))
        await store.tombstone_nodes("s", ["b2"])
        for receipt, ids, leaf in seen:
            assert receipt.node_window is not None
            graph = await store.load_graph_window("s", receipt.node_window, leaf)
            assert ([n.node_id for n in graph.nodes], graph.leaf_node_id) == (ids, leaf)
        assert seen[2][1] == ["m0", "m1", "m2", "b2"]
        again = await store.commit_runtime_state(steps[0])
        assert again.node_window == seen[0][0].node_window == (0, 3)
        head = await store.load_head("s")
        assert head is not None and head.node_window == (0, 4)
        back = await store.commit_runtime_state(
            commit("s", "op4", 3, append([message_node("b2", "m1")])))
        assert back.node_window == (0, 4), "a tombstoned node comes back at its own number"
        graph = await store.load_graph_window("s", (0, 4), "b2")
        assert [n.node_id for n in graph.nodes] == ["m0", "m1", "m2", "b2"]

    async def test_a_window_a_later_full_rewrite_renumbered_names_the_missing_node(
        self, store: CheckpointStore
    ) -> None:
        """A full rewrite renumbers the nodes it keeps: an earlier window no longer holds them,
        which is a ``NodeNotFoundError`` naming one, never a graph with a hole; the rewrite's
        own window starts where it began."""
        old = chain("m", 3)
        first = await store.commit_runtime_state(commit("s", "op1", None, append(old)))
        second = await store.commit_runtime_state(
            commit("s", "op2", 1, replace_full([*old[:2], message_node("n2", "m1")]))
        )
        assert second.node_window == (3, 6)
        graph = await store.load_graph_window("s", (3, 6), "n2")
        assert [n.node_id for n in graph.nodes] == ["m0", "m1", "n2"]
        assert first.node_window is not None
        with pytest.raises(NodeNotFoundError, match="'m1'"):
            await store.load_graph_window("s", first.node_window, "m2")

    async def test_vacuum_deletes_the_nodes_a_full_rewrite_left_out(
        self, store: CheckpointStore
    ) -> None:
        """Left-out nodes stay until an explicit vacuum; vacuum(detached=False) keeps them."""
        old = chain("m", 3)
        await store.commit_runtime_state(commit("s", "op1", None, append(old)))
        await store.commit_runtime_state(commit("s", "op2", 1, replace_full(old[:1])))
        assert await store.vacuum("s", detached=False) == 0
        assert await store.vacuum("s") == 2
        assert await store.load_node("s", "m2") is None
        read = await store.load_session("s")
        assert read is not None and [n.node_id for n in read.graph.nodes] == ["m0"]

    async def test_unchanged_delta_moves_only_the_leaf(self, store: CheckpointStore) -> None:
        """Unchanged writes no nodes; the head's leaf becomes the delta's leaf."""
        await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 3))))
        await store.commit_runtime_state(commit("s", "op2", 1, Unchanged(leaf_node_id="m1")))
        read = await store.load_session("s")
        assert read is not None and len(read.graph.nodes) == 3
        assert read.graph.leaf_node_id == "m1"

    async def test_active_path_scope_reads_only_the_branch(self, store: CheckpointStore) -> None:
        """Spec §15.15: ActivePath returns root-first the path to the leaf, nothing else."""
        nodes = [*chain("m", 3), message_node("b1", "m0")]
        await store.commit_runtime_state(commit("s", "op1", None, append(nodes)))
        read = await store.load_session("s", ActivePath(leaf_node_id=None))
        assert read is not None and [n.node_id for n in read.graph.nodes] == ["m0", "b1"]
        other = await store.load_session("s", ActivePath(leaf_node_id="m2"))
        assert other is not None and [n.node_id for n in other.graph.nodes] == ["m0", "m1", "m2"]

    async def test_commit_reusing_a_missing_blob_ref_is_refused(
        self, store: CheckpointStore
    ) -> None:
        """A commit never publishes a dangling ref: an unknown reused ref raises, naming it."""
        missing = "ab" * 32
        with pytest.raises(BlobMissingError, match=missing):
            await store.commit_runtime_state(commit("s", "op1", None, tool_state_ref=missing))
        assert await store.load_head_revision("s") is None

    async def test_sessions_are_independent(self, store: CheckpointStore) -> None:
        """One store serves many sessions; revisions, nodes and ledgers do not mix."""
        await store.commit_runtime_state(commit("a", "op1", None, append(chain("m", 2))))
        await store.commit_runtime_state(commit("b", "op1", None, append(chain("m", 1)),
                                                usage_deltas=[ledger()]))
        a, b = await store.load_session("a"), await store.load_session("b")
        assert a is not None and b is not None
        assert (len(a.graph.nodes), len(b.graph.nodes)) == (2, 1)
        assert (a.token_ledger, len(b.token_ledger)) == ([], 1)
        assert await store.list_sessions() == ["a", "b"]
