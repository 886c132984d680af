"""Conformance: the operator's reads and dry runs (listing sessions, GC without deleting)."""

from __future__ import annotations

import asyncio
import time

import pytest
from conformance_base import StoreHarness
from conformance_meta import child_meta, root_meta
from store_fixtures import commit

from checkpoint.errors import BlobMissingError
from checkpoint.store import CheckpointStore


class ListingConformance(StoreHarness):
    """Rules every backend keeps for ``list_session_summaries`` and ``gc(dry_run=True)``."""

    async def test_gc_dry_run_reports_what_gc_deletes_and_deletes_nothing(
        self, store: CheckpointStore
    ) -> None:
        """A dry run counts the orphans and their bytes; every blob still loads afterwards, and
        the real GC then reports the same figures."""
        receipt = await store.commit_runtime_state(commit("s", "op1", None))
        orphans = [await store.put_blob({"orphan": i, "pad": "x" * 100}) for i in range(3)]
        dry = await store.gc(dry_run=True)
        assert dry.dry_run and dry.deleted == 3 and dry.freed_bytes > 300
        for ref in orphans:
            assert (await store.get_blob(ref))["pad"] == "x" * 100
        await store.load_checkpoint(receipt.checkpoint_ref)
        real = await store.gc()
        assert not real.dry_run
        assert (real.kept, real.deleted, real.freed_bytes) == (
            dry.kept, dry.deleted, dry.freed_bytes
        )
        with pytest.raises(BlobMissingError):
            await store.get_blob(orphans[0])

    async def test_gc_reports_progress_while_marking(self, store: CheckpointStore) -> None:
        """The progress callback is optional and never changes what GC keeps."""
        await store.commit_runtime_state(commit("s", "op1", None))
        calls: list[tuple[int, int]] = []
        report = await store.gc(progress=lambda done, total: calls.append((done, total)))
        assert report.deleted == 0 and report.kept >= 1
        assert all(done <= total for done, total in calls)

    async def test_session_summaries_carry_turn_activity_and_meta(
        self, store: CheckpointStore
    ) -> None:
        """Each session with a head is listed once, newest commit first, with the head
        checkpoint's turn index, revision, node count and its meta (None when none was saved)."""
        await store.commit_runtime_state(commit("root", "op1", None, turn_index=1),
                                         metas=[root_meta("root")])
        await store.commit_runtime_state(commit("root", "op2", 1, turn_index=3))
        await asyncio.sleep(0.01)
        await store.commit_runtime_state(commit("kid", "op1", None, turn_index=2),
                                         metas=[child_meta("kid", "root", "call-7")])
        await asyncio.sleep(0.01)
        await store.commit_runtime_state(commit("bare", "op1", None))
        await store.save_session_meta(child_meta("never-committed", "root"))
        listed = await store.list_session_summaries()
        assert [s.session_id for s in listed] == ["bare", "kid", "root"]
        bare, kid, root = listed
        assert (root.turn_index, root.head_revision, root.parent_session_id) == (3, 2, None)
        assert root.meta is not None and root.meta.session_name == "demo"
        assert (kid.turn_index, kid.parent_session_id) == (2, "root")
        assert bare.meta is None and bare.turn_index == 1
        assert root.last_activity <= kid.last_activity <= bare.last_activity <= time.time()

    async def test_session_summaries_filter_by_parent_time_and_limit(
        self, store: CheckpointStore
    ) -> None:
        """``parent_session_id`` keeps direct children, ``since`` the sessions that committed
        at or after it, ``limit`` the newest few; filters combine."""
        await store.commit_runtime_state(commit("root", "op1", None), metas=[root_meta("root")])
        for name in ("a", "b", "c"):
            await asyncio.sleep(0.01)
            await store.commit_runtime_state(commit(name, "op1", None),
                                             metas=[child_meta(name, "root")])
        await store.commit_runtime_state(commit("g", "op1", None), metas=[child_meta("g", "a")])
        children = await store.list_session_summaries(parent_session_id="root")
        assert [s.session_id for s in children] == ["c", "b", "a"]
        newest = await store.list_session_summaries(parent_session_id="root", limit=2)
        assert [s.session_id for s in newest] == ["c", "b"]
        cut = children[1].last_activity
        recent = await store.list_session_summaries(since=cut)
        assert [s.session_id for s in recent] == ["g", "c", "b"]
        assert await store.list_session_summaries(since=time.time() + 60) == []
        assert await store.list_session_summaries(parent_session_id="nobody") == []
        assert await store.list_session_summaries(limit=0) == []
