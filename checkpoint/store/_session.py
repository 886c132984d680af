"""A store handle bound to one session: lash's ``RuntimePersistence`` shape (spec §12.1).

lash's store served one session per instance; ours serves many, and this handle restores the
binding: every call targets its session, and a commit for another session id is refused with
``SessionBindingMismatch`` ("bound to session `alpha`", spec §15.8) before anything is read.
"""

from __future__ import annotations

from typing import Any, Protocol

from checkpoint.errors import SessionBindingMismatch
from checkpoint.model import (
    CommitReceipt,
    PersistedSessionHead,
    PersistedSessionRead,
    RuntimeCommit,
    SessionMeta,
    SessionNodeRecord,
    SessionReadScope,
)
from checkpoint.store._effects import TurnEffects, TurnStart
from checkpoint.store._protocol import SessionStore, StoreMaintenance


class _Store(SessionStore, StoreMaintenance, Protocol):
    """What the handle forwards to: the hot path, and tombstones and vacuum of its session."""


class SessionPersistence:
    """One session's view of a store."""

    def __init__(self, store: _Store, session_id: str) -> None:
        self.store = store
        self.session_id = session_id

    async def load_session(
        self, scope: SessionReadScope | None = None
    ) -> PersistedSessionRead | None:
        return await self.store.load_session(self.session_id, scope)

    async def load_head(self) -> PersistedSessionHead | None:
        return await self.store.load_head(self.session_id)

    async def load_node(self, node_id: str) -> SessionNodeRecord | None:
        return await self.store.load_node(self.session_id, node_id)

    async def load_head_revision(self) -> int | None:
        return await self.store.load_head_revision(self.session_id)

    async def load_receipt(self, operation_id: str) -> CommitReceipt | None:
        return await self.store.load_receipt(self.session_id, operation_id)

    async def commit_runtime_state(
        self, commit: RuntimeCommit, *, effects: TurnEffects | None = None
    ) -> CommitReceipt:
        """Commit for this session only (with journal records of one of its turns)."""
        if commit.session_id != self.session_id:
            raise SessionBindingMismatch(self.session_id, commit.session_id)
        return await self.store.commit_runtime_state(commit, effects=effects)

    async def save_session_meta(self, meta: SessionMeta) -> SessionMeta:
        """Insert this session's meta unless it has one; returns the stored meta."""
        if meta.session_id != self.session_id:
            raise SessionBindingMismatch(self.session_id, meta.session_id)
        return await self.store.save_session_meta(meta)

    async def load_session_meta(self) -> SessionMeta | None:
        return await self.store.load_session_meta(self.session_id)

    async def tombstone_nodes(self, node_ids: list[str]) -> int:
        return await self.store.tombstone_nodes(self.session_id, node_ids)

    async def vacuum(self, *, detached: bool = True) -> int:
        return await self.store.vacuum(self.session_id, detached=detached)

    async def record_effect(self, turn_id: str, key: str, outcome_json: Any) -> Any:
        return await self.store.record_effect(self.session_id, turn_id, key, outcome_json)

    async def load_effects(self, turn_id: str) -> dict[str, Any]:
        return await self.store.load_effects(self.session_id, turn_id)

    async def load_turn(self, turn_id: str, operation_id: str) -> TurnStart:
        return await self.store.load_turn(self.session_id, turn_id, operation_id)


__all__ = ["SessionPersistence"]
