"""Conformance: session meta is written once (first write wins) and lists a session's children."""

from __future__ import annotations

import pytest
from conformance_base import StoreHarness
from store_fixtures import commit

from checkpoint.errors import HeadRevisionConflict
from checkpoint.model import ChildRelation, RootRelation, SessionMeta
from checkpoint.store import CheckpointStore


def root_meta(session_id: str, name: str = "demo") -> SessionMeta:
    return SessionMeta(
        session_id=session_id, session_name=name, created_at="unix:1", model="m",
        relation=RootRelation(),
    )


def child_meta(session_id: str, parent: str, call: str | None = "call-1") -> SessionMeta:
    return SessionMeta(
        session_id=session_id, session_name=f"task of {session_id}", created_at="unix:2",
        model="m", relation=ChildRelation(parent_session_id=parent, originating_tool_call_id=call),
    )


class MetaConformance(StoreHarness):
    """Rules every backend keeps for ``SessionMeta`` rows."""

    async def test_session_meta_round_trips(self, store: CheckpointStore) -> None:
        """save/load_session_meta keep the meta as written, serde fields included."""
        meta = SessionMeta.model_validate({
            "session_id": "s", "session_name": "demo", "created_at": "unix:1",
            "model": "m", "cwd": None, "parent_session_id": None, "relation": {"kind": "root"},
        })
        assert await store.load_session_meta("s") is None
        assert await store.save_session_meta(meta) == meta
        assert await store.load_session_meta("s") == meta

    async def test_session_meta_first_write_wins(self, store: CheckpointStore) -> None:
        """A second save (a retried activity) never overwrites the meta; it gets the first back."""
        first = child_meta("c", "p", "call-1")
        assert await store.save_session_meta(first) == first
        again = child_meta("c", "other", "call-9")
        assert await store.save_session_meta(again) == first
        assert await store.load_session_meta("c") == first
        assert [m.session_id for m in await store.list_child_sessions("other")] == []

    async def test_commit_carries_meta_in_its_transaction(self, store: CheckpointStore) -> None:
        """Metas ride a commit that lands; a replayed commit or a later one writes none again."""
        meta = root_meta("s")
        await store.commit_runtime_state(commit("s", "op1", None), metas=[meta])
        assert await store.load_session_meta("s") == meta
        renamed = root_meta("s", "renamed")
        await store.commit_runtime_state(commit("s", "op1", None), metas=[renamed])
        await store.commit_runtime_state(commit("s", "op2", 1), metas=[renamed])
        assert await store.load_session_meta("s") == meta

    async def test_refused_commit_writes_no_meta(self, store: CheckpointStore) -> None:
        """A commit refused for its head revision leaves no meta behind."""
        await store.commit_runtime_state(commit("s", "op1", None))
        with pytest.raises(HeadRevisionConflict):
            await store.commit_runtime_state(commit("s", "op2", 7), metas=[child_meta("c", "s")])
        assert await store.load_session_meta("c") is None

    async def test_list_child_sessions_by_parent_in_creation_order(
        self, store: CheckpointStore
    ) -> None:
        """Children are listed by parent, oldest first (also those one commit creates, in
        its order); grandchildren under their own parent."""
        await store.save_session_meta(root_meta("root"))
        for name in ("zeta", "alpha"):
            await store.save_session_meta(child_meta(name, "root"))
        await store.commit_runtime_state(
            commit("root", "op1", None), metas=[child_meta("mid", "root"), child_meta("b", "root")]
        )
        await store.save_session_meta(child_meta("grand", "alpha", "call-2"))
        children = await store.list_child_sessions("root")
        assert [m.session_id for m in children] == ["zeta", "alpha", "mid", "b"]
        assert children[0].relation == ChildRelation(
            parent_session_id="root", originating_tool_call_id="call-1"
        )
        grand = await store.list_child_sessions("alpha")
        assert [(m.session_id, m.parent_session_id) for m in grand] == [("grand", "alpha")]
        assert await store.list_child_sessions("grand") == []
        assert await store.list_child_sessions("nobody") == []

    async def test_deleting_a_session_removes_its_meta(self, store: CheckpointStore) -> None:
        """delete_session takes the meta row with it, so the parent no longer lists it."""
        await store.commit_runtime_state(commit("c", "op1", None), metas=[child_meta("c", "p")])
        assert await store.delete_session("c")
        assert await store.load_session_meta("c") is None
        assert await store.list_child_sessions("p") == []
