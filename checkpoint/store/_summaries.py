"""Listing sessions for operators: one row per session, from one query, without its graph.

``list_session_summaries`` joins each head with its ``SessionMeta`` in one statement (SQL
backends), so listing thousands of sessions costs one round trip. The turn comes from the head
row, written by every commit since schema v4; a head last written before v4 has none, and only
those read their checkpoint manifest once to find it.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkpoint.model import SessionCheckpoint, SessionMeta
from checkpoint.store._backend import SummaryRow


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One session as the store knows it: where its head stands, when it last committed and
    where it came from (``meta`` None: no ``SessionMeta`` was saved)."""

    session_id: str
    turn_index: int
    """The head checkpoint's turn index (0: no checkpoint)."""
    head_revision: int
    node_count: int
    """Visible graph nodes of the head."""
    last_activity: float
    """Unix seconds of the head's latest commit."""
    meta: SessionMeta | None

    @property
    def parent_session_id(self) -> str | None:
        return self.meta.parent_session_id if self.meta is not None else None


def stored_session(row: SummaryRow, turn_index: int) -> StoredSession:
    meta = SessionMeta.model_validate_json(row.meta_json) if row.meta_json else None
    return StoredSession(
        row.session_id, turn_index, row.head_revision, row.node_count, float(row.updated_at),
        meta,
    )


def manifest_turn(value: object) -> int:
    """The turn index of a decoded checkpoint manifest (heads written before schema v4)."""
    return SessionCheckpoint.model_validate(value).turn_state.turn_index


__all__ = ["StoredSession", "manifest_turn", "stored_session"]
