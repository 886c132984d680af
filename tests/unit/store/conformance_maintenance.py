"""Conformance: blobs, checkpoints, loading into a state, GC, tombstones, effects."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
from conformance_base import StoreHarness
from store_fixtures import append, chain, commit, ledger, plugin_snapshot, tool_state

from checkpoint.blobs import blob_ref
from checkpoint.errors import BlobCorruptError, BlobMissingError
from checkpoint.store import (
    CheckpointStore,
    apply_session_checkpoint,
    apply_session_head,
    load_persisted_session_state,
)


class MaintenanceConformance(StoreHarness):
    """Rules every backend keeps for blobs, loading and maintenance."""

    async def test_load_session_hydrates_the_checkpoint(self, store: CheckpointStore) -> None:
        """Spec §15.9: tool generation 9 and plugin revision 12 round-trip as written."""
        await store.commit_runtime_state(commit(
            "s", "op1", None, tool_state=tool_state(9), plugin_snapshot=plugin_snapshot(),
            plugin_snapshot_revision=12, execution_state=b"\x00\x01\xff",
            usage_deltas=[ledger()],
        ))
        read = await store.load_session("s")
        assert read is not None and read.checkpoint is not None
        cp = read.checkpoint
        assert cp.tool_state is not None and cp.tool_state.generation == 9
        assert cp.plugin_snapshot == plugin_snapshot() and cp.plugin_snapshot_revision == 12
        assert cp.execution_state == b"\x00\x01\xff"
        assert cp.execution_state_ref == hashlib.sha256(bytes.fromhex("930001ccff")).hexdigest()
        assert cp.tool_state_ref == blob_ref(tool_state(9)) and len(read.token_ledger) == 1

    async def test_refs_are_reused_when_no_inline_payload_is_given(
        self, store: CheckpointStore
    ) -> None:
        """Spec §12.2 step 4: without an inline payload the commit keeps the given ref."""
        first = await store.commit_runtime_state(commit("s", "op1", None, tool_state=tool_state()))
        ref = first.manifest.tool_state_ref
        second = await store.commit_runtime_state(commit("s", "op2", 1, tool_state_ref=ref))
        assert second.manifest.tool_state_ref == ref
        assert (await store.load_checkpoint(second.checkpoint_ref)).tool_state == tool_state()

    async def test_blob_round_trips_and_a_missing_one_names_its_ref(
        self, store: CheckpointStore
    ) -> None:
        """put_blob/get_blob round-trip; a missing ref raises an error naming it."""
        ref = await store.put_blob({"b": [1, 2], "a": None})
        assert await store.get_blob(ref) == {"b": [1, 2], "a": None}
        with pytest.raises(BlobMissingError, match="f" * 64):
            await store.get_blob("f" * 64)

    async def test_damaged_blob_fails_the_load_naming_its_ref(
        self, store: CheckpointStore
    ) -> None:
        """Flipping one stored byte makes the session load fail with an error naming the ref."""
        receipt = await store.commit_runtime_state(
            commit("s", "op1", None, tool_state=tool_state())
        )
        ref = receipt.manifest.tool_state_ref
        assert ref is not None
        await self.damage_blob(store, ref, -3)
        with pytest.raises(BlobCorruptError, match=ref):
            await store.load_session("s")

    async def test_load_checkpoint_by_ref_after_the_head_moved(
        self, store: CheckpointStore
    ) -> None:
        """An older checkpoint_ref still loads, hydrated, after later commits."""
        old = await store.commit_runtime_state(commit("s", "op1", None, turn_index=1,
                                                      tool_state=tool_state(1)))
        await store.commit_runtime_state(commit("s", "op2", 1, turn_index=2,
                                                tool_state=tool_state(2)))
        cp = await store.load_checkpoint(old.checkpoint_ref)
        assert cp.turn_state.turn_index == 1 and cp.tool_state == tool_state(1)

    async def test_loaded_state_restores_turn_and_policy(self, store: CheckpointStore) -> None:
        """Spec §15.16: turn index 3, token usage and policy.model come back from the store."""
        await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 2)),
                                                turn_index=3, execution_state=b"\x01"))
        state = await load_persisted_session_state(store, "s")
        assert state is not None and state.turn_index == 3
        assert state.policy.model == "scripted-demo" and state.head_revision == 1
        assert state.policy.max_context_tokens == 200_000 and len(state.session_graph.nodes) == 2
        assert state.execution_state_snapshot == b"\x01"

    async def test_refresh_path_hydrates_execution_state_like_the_initial_load(
        self, store: CheckpointStore
    ) -> None:
        """Spec §16.12 fixed: apply_session_checkpoint hydrates execution state too."""
        await store.commit_runtime_state(commit("s", "op1", None, execution_state=b"\x07"))
        state = await load_persisted_session_state(store, "s")
        assert state is not None
        await store.commit_runtime_state(commit("s", "op2", 1, turn_index=2,
                                                execution_state=b"\x08"))
        read = await store.load_session("s")
        assert read is not None
        apply_session_head(state, read)
        apply_session_checkpoint(state, read.checkpoint)
        assert state.execution_state_snapshot == b"\x08" and state.turn_index == 2
        assert state.head_revision == 2

    async def test_gc_keeps_the_rooted_manifest_and_deletes_orphans(
        self, store: CheckpointStore
    ) -> None:
        """Spec §15.10: the head's manifest, tool and plugin blobs survive; an orphan goes."""
        receipt = await store.commit_runtime_state(commit(
            "s", "op1", None, tool_state=tool_state(), plugin_snapshot=plugin_snapshot(),
        ))
        orphan = await store.put_blob({"orphan": True})
        report = await store.gc()
        assert report.deleted == 1 and report.kept == 3
        await store.load_checkpoint(receipt.checkpoint_ref)
        with pytest.raises(BlobMissingError):
            await store.get_blob(orphan)

    async def test_gc_keeps_older_checkpoints_a_history_may_hold(
        self, store: CheckpointStore
    ) -> None:
        """Spec §16.6 fixed: every checkpoint of an existing session survives default GC."""
        old = await store.commit_runtime_state(commit("s", "op1", None, tool_state=tool_state(1)))
        await store.commit_runtime_state(commit("s", "op2", 1, turn_index=2,
                                                tool_state=tool_state(2)))
        await store.gc()
        assert (await store.load_checkpoint(old.checkpoint_ref)).tool_state == tool_state(1)

    async def test_gc_retention_drops_old_checkpoints_but_keeps_heads(
        self, store: CheckpointStore
    ) -> None:
        """With a zero retention only head checkpoints (and their blobs) stay."""
        old = await store.commit_runtime_state(commit("s", "op1", None, tool_state=tool_state(1)))
        head = await store.commit_runtime_state(commit("s", "op2", 1, turn_index=2,
                                                       tool_state=tool_state(2)))
        await store.gc(retention=timedelta(seconds=-60))
        assert (await store.load_checkpoint(head.checkpoint_ref)).tool_state == tool_state(2)
        with pytest.raises(BlobMissingError, match=old.checkpoint_ref):
            await store.load_checkpoint(old.checkpoint_ref)

    async def test_gc_deletes_the_blobs_of_a_deleted_session(
        self, store: CheckpointStore
    ) -> None:
        """A deleted session's checkpoints are no longer roots."""
        receipt = await store.commit_runtime_state(commit("s", "op1", None))
        assert await store.delete_session("s")
        await store.gc()
        with pytest.raises(BlobMissingError):
            await store.load_checkpoint(receipt.checkpoint_ref)
        assert await store.list_sessions() == []

    async def test_blob_rooted_by_a_session_survives_gc(self, store: CheckpointStore) -> None:
        """put_blob(..., session_id=...) keeps a blob (a child snapshot) while the session lives."""
        ref = await store.put_blob({"snapshot": 1}, session_id="parent")
        await store.gc()
        assert await store.get_blob(ref) == {"snapshot": 1}

    async def test_a_payload_round_trips_and_its_root_counts_from_the_last_put(
        self, store: CheckpointStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """put_payload/get_payload round-trip bytes; a root put again gets the newer time, so a
        retention counts from the last history that referred to it, and an old one goes."""
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now - 3_600)
        old = await store.put_payload(b"\x00old payload", root="s")
        kept = await store.put_payload(b"\x01kept payload", root="s")
        monkeypatch.setattr(time, "time", lambda: now)
        assert await store.put_payload(b"\x01kept payload", root="s") == kept
        assert await store.get_payload(kept) == b"\x01kept payload"
        report = await store.gc(retention=timedelta(minutes=30))
        assert report.deleted == 1
        with pytest.raises(BlobMissingError, match=old):
            await store.get_payload(old)
        assert await store.get_payload(kept) == b"\x01kept payload"

    async def test_auto_gc_after_a_commit_deletes_an_orphan(self) -> None:
        """Spec §15.10: with auto-GC every commit, an orphan blob is gone after the next one."""
        store = await self.open(auto_gc_every=1)
        try:
            orphan = await store.put_blob({"orphan": True})
            await store.commit_runtime_state(commit("s", "op1", None))
            with pytest.raises(BlobMissingError):
                await store.get_blob(orphan)
        finally:
            await store.close()

    async def test_tombstoned_nodes_hide_until_vacuum_deletes_them(
        self, store: CheckpointStore
    ) -> None:
        """Spec §12.7: tombstoned nodes disappear from loads; vacuum deletes the rows."""
        await store.commit_runtime_state(commit("s", "op1", None, append(chain("m", 3))))
        assert await store.tombstone_nodes("s", ["m2", "nope"]) == 1
        read = await store.load_session("s")
        assert read is not None and [n.node_id for n in read.graph.nodes] == ["m0", "m1"]
        assert await store.load_node("s", "m2") is None
        assert await store.vacuum("s") == 1
        assert await store.vacuum() == 0

    async def test_effect_journal_keeps_the_first_outcome(self, store: CheckpointStore) -> None:
        """record_effect: first write wins and is returned; load_effects lists a turn's keys."""
        assert await store.record_effect("s", "t1", "llm:1", {"text": "a"}) == {"text": "a"}
        assert await store.record_effect("s", "t1", "llm:1", {"text": "b"}) == {"text": "a"}
        await store.record_effect("s", "t2", "llm:1", "other turn")
        assert await store.load_effects("s", "t1") == {"llm:1": {"text": "a"}}
        assert await store.load_effects("s", "t2") == {"llm:1": "other turn"}
