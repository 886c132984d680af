"""Store doubles for the turn tests: ``SessionStore`` implemented whole, forwarding to a real store.

A double overrides ``around`` (count, hold or fail a call by name and arguments) instead of
proxying a concrete store with ``__getattr__``: a method added to the protocol fails here, at
once, rather than slipping past the double untested.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from checkpoint.blobs import BlobKind, BlobRef
from checkpoint.model import (
    CommitReceipt,
    HydratedSessionCheckpoint,
    NodeWindow,
    PersistedSessionHead,
    PersistedSessionRead,
    RuntimeCommit,
    SessionGraph,
    SessionMeta,
    SessionNodeRecord,
    SessionReadScope,
)
from checkpoint.store import SessionStore, TurnEffects, TurnStart

T = TypeVar("T")


class ForwardingStore(SessionStore):
    """Every ``SessionStore`` call goes to ``inner`` through ``around``."""

    def __init__(self, inner: SessionStore) -> None:
        self.inner = inner

    async def around(self, name: str, args: tuple[Any, ...], call: Callable[[], Awaitable[T]]) -> T:
        """Run one store call; ``args`` are its arguments in the protocol's order."""
        return await call()

    async def load_session(
        self, session_id: str, scope: SessionReadScope | None = None
    ) -> PersistedSessionRead | None:
        return await self.around(
            "load_session", (session_id, scope), lambda: self.inner.load_session(session_id, scope)
        )

    async def load_head(self, session_id: str) -> PersistedSessionHead | None:
        return await self.around(
            "load_head", (session_id,), lambda: self.inner.load_head(session_id)
        )

    async def load_head_revision(self, session_id: str) -> int | None:
        return await self.around(
            "load_head_revision", (session_id,), lambda: self.inner.load_head_revision(session_id)
        )

    async def load_node(self, session_id: str, node_id: str) -> SessionNodeRecord | None:
        return await self.around(
            "load_node", (session_id, node_id), lambda: self.inner.load_node(session_id, node_id)
        )

    async def load_graph_at(self, session_id: str, leaf_node_id: str) -> SessionGraph:
        return await self.around(
            "load_graph_at", (session_id, leaf_node_id),
            lambda: self.inner.load_graph_at(session_id, leaf_node_id),
        )

    async def load_graph_window(
        self, session_id: str, window: NodeWindow, leaf_node_id: str | None
    ) -> SessionGraph:
        return await self.around(
            "load_graph_window", (session_id, window, leaf_node_id),
            lambda: self.inner.load_graph_window(session_id, window, leaf_node_id),
        )

    async def load_checkpoint(self, checkpoint_ref: BlobRef) -> HydratedSessionCheckpoint:
        return await self.around(
            "load_checkpoint", (checkpoint_ref,),
            lambda: self.inner.load_checkpoint(checkpoint_ref),
        )

    async def load_receipt(self, session_id: str, operation_id: str) -> CommitReceipt | None:
        return await self.around(
            "load_receipt", (session_id, operation_id),
            lambda: self.inner.load_receipt(session_id, operation_id),
        )

    async def load_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnStart:
        return await self.around(
            "load_turn", (session_id, turn_id, operation_id),
            lambda: self.inner.load_turn(session_id, turn_id, operation_id),
        )

    async def commit_runtime_state(
        self,
        commit: RuntimeCommit,
        *,
        effects: TurnEffects | None = None,
        metas: Sequence[SessionMeta] = (),
    ) -> CommitReceipt:
        return await self.around(
            "commit_runtime_state", (commit, effects, metas),
            lambda: self.inner.commit_runtime_state(commit, effects=effects, metas=metas),
        )

    async def put_blob(
        self, value: Any, *, kind: BlobKind = "GenericBlob", session_id: str | None = None
    ) -> BlobRef:
        return await self.around(
            "put_blob", (value, kind, session_id),
            lambda: self.inner.put_blob(value, kind=kind, session_id=session_id),
        )

    async def get_blob(self, ref: BlobRef) -> Any:
        return await self.around("get_blob", (ref,), lambda: self.inner.get_blob(ref))

    async def put_payload(self, data: bytes, *, root: str) -> BlobRef:
        return await self.around(
            "put_payload", (data, root), lambda: self.inner.put_payload(data, root=root)
        )

    async def get_payload(self, ref: BlobRef) -> bytes:
        return await self.around("get_payload", (ref,), lambda: self.inner.get_payload(ref))

    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: Any
    ) -> Any:
        return await self.around(
            "record_effect", (session_id, turn_id, key, outcome_json),
            lambda: self.inner.record_effect(session_id, turn_id, key, outcome_json),
        )

    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, Any]:
        return await self.around(
            "load_effects", (session_id, turn_id),
            lambda: self.inner.load_effects(session_id, turn_id),
        )

    async def save_session_meta(self, meta: SessionMeta) -> SessionMeta:
        return await self.around(
            "save_session_meta", (meta,), lambda: self.inner.save_session_meta(meta)
        )

    async def load_session_meta(self, session_id: str) -> SessionMeta | None:
        return await self.around(
            "load_session_meta", (session_id,), lambda: self.inner.load_session_meta(session_id)
        )

    async def list_child_sessions(self, parent_session_id: str) -> list[SessionMeta]:
        return await self.around(
            "list_child_sessions", (parent_session_id,),
            lambda: self.inner.list_child_sessions(parent_session_id),
        )

    async def close(self) -> None:
        await self.around("close", (), self.inner.close)


class CountingStore(ForwardingStore):
    """Records the name of every store call."""

    def __init__(self, inner: SessionStore) -> None:
        super().__init__(inner)
        self.calls: list[str] = []

    async def around(self, name: str, args: tuple[Any, ...], call: Callable[[], Awaitable[T]]) -> T:
        self.calls.append(name)
        return await call()


__all__ = ["CountingStore", "ForwardingStore"]
