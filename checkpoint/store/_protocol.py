"""The store protocol: what the turn activity, history rebuild and operators rely on.

``CheckpointStore`` is the one implementation (over three backends); the protocol is what
callers type against, so a test double or a future backend only has to match it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from checkpoint.blobs import BlobKind, BlobRef
from checkpoint.model import (
    CommitReceipt,
    HydratedSessionCheckpoint,
    PersistedSessionHead,
    PersistedSessionRead,
    RuntimeCommit,
    SessionGraph,
    SessionMeta,
    SessionNodeRecord,
    SessionReadScope,
)
from checkpoint.store._effects import TurnEffects, TurnStart
from checkpoint.store._gc import GcReport


@runtime_checkable
class SessionStore(Protocol):
    """An async checkpoint store serving many sessions."""

    async def load_session(
        self, session_id: str, scope: SessionReadScope | None = None
    ) -> PersistedSessionRead | None: ...

    async def load_head(self, session_id: str) -> PersistedSessionHead | None: ...

    async def load_node(self, session_id: str, node_id: str) -> SessionNodeRecord | None: ...

    async def load_head_revision(self, session_id: str) -> int | None: ...

    async def load_receipt(self, session_id: str, operation_id: str) -> CommitReceipt | None: ...

    async def load_checkpoint(self, checkpoint_ref: BlobRef) -> HydratedSessionCheckpoint: ...

    async def load_graph_at(self, session_id: str, leaf_node_id: str) -> SessionGraph: ...

    async def commit_runtime_state(
        self,
        commit: RuntimeCommit,
        *,
        effects: TurnEffects | None = None,
        metas: Sequence[SessionMeta] = (),
    ) -> CommitReceipt: ...

    async def put_blob(
        self, value: Any, *, kind: BlobKind = "GenericBlob", session_id: str | None = None
    ) -> BlobRef: ...

    async def get_blob(self, ref: BlobRef) -> Any: ...

    async def save_session_meta(self, meta: SessionMeta) -> SessionMeta: ...

    async def load_session_meta(self, session_id: str) -> SessionMeta | None: ...

    async def list_child_sessions(self, parent_session_id: str) -> list[SessionMeta]: ...

    async def tombstone_nodes(self, session_id: str, node_ids: list[str]) -> int: ...

    async def vacuum(self, session_id: str | None = None, *, detached: bool = True) -> int: ...

    async def gc(self, retention: timedelta | None = None) -> GcReport: ...

    async def list_sessions(self) -> list[str]: ...

    async def delete_session(self, session_id: str) -> bool: ...

    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: Any
    ) -> Any: ...

    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, Any]: ...

    async def load_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnStart: ...

    async def close(self) -> None: ...


__all__ = ["SessionStore"]
