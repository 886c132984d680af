"""The store contract: what callers type against, in two protocols.

- ``SessionStore``, the hot path: what the turn activity, the head-load activity, history
  rebuild and the CLI use to read and commit sessions, their blobs, receipts, effect journal
  and metadata.
- ``StoreMaintenance``: what an operator runs between turns (GC, vacuum, tombstones, deleting
  and listing sessions). No activity needs it, so a turn can never run it by accident.

``CheckpointStore`` implements both (over the memory, SQLite and PostgreSQL backends); a test
double or a future store implements ``SessionStore`` whole instead of proxying a concrete class.
Every store error is a ``checkpoint.errors.StoreError``; driver failures never leak raw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

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
from checkpoint.store._effects import TurnEffects, TurnStart
from checkpoint.store._gc import GcProgress, GcReport
from checkpoint.store._summaries import StoredSession


@runtime_checkable
class SessionStore(Protocol):
    """The hot path: an async store serving many sessions, read and committed by turns."""

    # -- reads ---------------------------------------------------------------------------------

    async def load_session(
        self, session_id: str, scope: SessionReadScope | None = None
    ) -> PersistedSessionRead | None:
        """Head, graph (whole, or the active path with ``ActivePath``), hydrated head checkpoint
        and merged ledger, from one consistent snapshot; None when the session has no head."""
        ...

    async def load_head(self, session_id: str) -> PersistedSessionHead | None:
        """Where the session stands without its graph (head row, hydrated checkpoint, ledger):
        no node is read, so the cost does not grow with the session. None without a head."""
        ...

    async def load_head_revision(self, session_id: str) -> int | None:
        """The head revision alone (one row), or None without a head."""
        ...

    async def load_node(self, session_id: str, node_id: str) -> SessionNodeRecord | None:
        """One stored node, also one a full rewrite left out; None if absent or tombstoned."""
        ...

    async def load_graph_at(self, session_id: str, leaf_node_id: str) -> SessionGraph:
        """The path from the root to ``leaf_node_id`` as it was when that node was the leaf,
        following hidden nodes until vacuum; raises ``SessionNotFoundError`` or
        ``NodeNotFoundError``, never returns an empty graph."""
        ...

    async def load_graph_window(
        self, session_id: str, window: NodeWindow, leaf_node_id: str | None
    ) -> SessionGraph:
        """The full graph (old branches included) of a past head whose node window and leaf
        were ``window`` and ``leaf_node_id``; ``NodeNotFoundError`` if a node it named is no
        longer in that window (vacuumed, or renumbered by a later full rewrite)."""
        ...

    async def load_checkpoint(self, checkpoint_ref: BlobRef) -> HydratedSessionCheckpoint:
        """A checkpoint manifest with its tool, plugin and execution blobs hydrated; a missing
        or damaged blob raises naming its ref (spec §12.3 returned None)."""
        ...

    async def load_receipt(self, session_id: str, operation_id: str) -> CommitReceipt | None:
        """The first receipt of an operation that landed, or None if it never did."""
        ...

    async def load_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnStart:
        """Head revision, the receipt of ``operation_id`` and the turn's effect journal in one
        read, in that order: a receipt seen implies its commit's journal records are seen."""
        ...

    # -- commits -------------------------------------------------------------------------------

    async def commit_runtime_state(
        self,
        commit: RuntimeCommit,
        *,
        effects: TurnEffects | None = None,
        metas: Sequence[SessionMeta] = (),
    ) -> CommitReceipt:
        """One atomic commit (spec §12.2), exactly once per operation id: a retry with the same
        payload returns the first receipt and writes nothing; another payload under that id is
        ``OperationConflictError``; a stale head revision is ``HeadRevisionConflict``. Nodes are
        never deleted. ``effects`` and ``metas`` land in the same transaction, only with it."""
        ...

    # -- blobs ---------------------------------------------------------------------------------

    async def put_blob(
        self, value: Any, *, kind: BlobKind = "GenericBlob", session_id: str | None = None
    ) -> BlobRef:
        """Store a value content-addressed and return its ref (the same value, the same ref);
        with ``session_id`` GC keeps it as long as a checkpoint of that session."""
        ...

    async def get_blob(self, ref: BlobRef) -> Any:
        """The decoded value, its hash verified; a missing or damaged blob raises naming the
        ref, never returns None."""
        ...

    async def put_payload(self, data: bytes, *, root: str) -> BlobRef:
        """Store a Temporal payload's bytes content-addressed, rooted to session ``root`` as of
        now (storing them again refreshes the time); see ``_payloads`` for the GC rule."""
        ...

    async def get_payload(self, ref: BlobRef) -> bytes:
        """A payload's bytes, hash verified; a missing or damaged blob raises naming ``ref``."""
        ...

    # -- effect journal ------------------------------------------------------------------------

    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: Any
    ) -> Any:
        """Journal one completed effect of a turn in its own transaction; the first write of a
        key wins and is what every writer gets back."""
        ...

    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, Any]:
        """Every journaled outcome of a turn, by key (empty for an unknown turn)."""
        ...

    # -- session metadata ----------------------------------------------------------------------

    async def save_session_meta(self, meta: SessionMeta) -> SessionMeta:
        """Insert the session's metadata unless it has some and return the stored row: the
        first write wins, so a retried activity never rewrites where a session came from."""
        ...

    async def load_session_meta(self, session_id: str) -> SessionMeta | None:
        """The session's metadata, or None if none was saved."""
        ...

    async def list_child_sessions(self, parent_session_id: str) -> list[SessionMeta]:
        """Metadata of the sessions whose parent is this one, oldest first (one level)."""
        ...

    # -- lifecycle -----------------------------------------------------------------------------

    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...


@runtime_checkable
class StoreMaintenance(Protocol):
    """Maintenance between turns: deletes that a turn never makes. Every method keeps what a
    retained workflow history still references, unless its docstring says otherwise."""

    async def list_sessions(self) -> list[str]:
        """Ids of every session with a head, sorted."""
        ...

    async def list_session_summaries(
        self, *, parent_session_id: str | None = None, since: float | None = None,
        limit: int | None = None,
    ) -> list[StoredSession]:
        """Every session with a head, with its turn, last activity and meta, newest activity
        first: only children of ``parent_session_id``, only those that committed at or after
        ``since`` (unix seconds), at most ``limit``. One query in the SQL backends."""
        ...

    async def gc(
        self, retention: timedelta | None = None, *, dry_run: bool = False,
        progress: GcProgress | None = None,
    ) -> GcReport:
        """Delete blobs nothing roots: every head's checkpoint, every checkpoint committed
        within ``retention`` (None: the store's, default all) and session-rooted blobs stay.
        ``dry_run`` reports what would go and deletes nothing; ``progress`` hears how marking
        goes on a large store."""
        ...

    async def tombstone_nodes(self, session_id: str, node_ids: list[str]) -> int:
        """Hide nodes from loads until ``vacuum`` deletes them (spec §12.7); returns how many
        were newly hidden."""
        ...

    async def vacuum(self, session_id: str | None = None, *, detached: bool = True) -> int:
        """Delete tombstoned nodes and (``detached``) those full rewrites left out, of one
        session or all; ``load_graph_at`` no longer finds them afterwards. Returns how many."""
        ...

    async def delete_session(self, session_id: str) -> bool:
        """Remove a session's head, nodes, usage, receipts, journal and metadata (its blobs go
        at the next GC unless something else roots them); False if it had no head."""
        ...


__all__ = ["SessionStore", "StoreMaintenance"]
