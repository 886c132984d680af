"""``SqlBackend``: every ``Backend`` row operation, once, for the SQL backends.

SQLite and PostgreSQL run the same SQL (``_sql``); they differ only in how they get a connection
and a transaction. So a SQL backend fills in three hooks and the lifecycle:

- ``_reads()``: statements outside a transaction, each seeing the latest commit;
- ``_snapshot()``: statements in one read-only transaction, all seeing one snapshot;
- ``_writes()``: one write transaction that holds what a commit holds (SQLite's file write
  lock, PostgreSQL's shared GC lock), yielding the backend's ``SqlWrites`` (its ``lock_head``);
- ``setup``, ``close`` and ``gc_tx`` (GC excludes every commit, each backend its own way).

Everything else (which statements, in which transaction) is here, so a rule about a row never
differs between the two. A backend may still override a method for speed (``read_turn``: one
round trip) as long as it reads the same rows.
"""

from __future__ import annotations

from abc import abstractmethod
from contextlib import AbstractAsyncContextManager

from checkpoint.blobs import SealedBlob
from checkpoint.store._backend import (
    Backend,
    HeadRow,
    HeadRows,
    ReceiptRow,
    SessionRows,
    SummaryRow,
    TurnRows,
    UsageRow,
    WriteTx,
)
from checkpoint.store._sql import SqlReads, SqlWrites


class SqlBackend(Backend):
    """A ``Backend`` over ``_sql``'s statements; subclasses supply connections (see module)."""

    # -- hooks ---------------------------------------------------------------------------------

    @abstractmethod
    def _reads(self) -> AbstractAsyncContextManager[SqlReads]:
        """Reads outside any transaction."""

    @abstractmethod
    def _snapshot(self) -> AbstractAsyncContextManager[SqlReads]:
        """Reads inside one read-only transaction (one consistent snapshot)."""

    @abstractmethod
    def _writes(self) -> AbstractAsyncContextManager[SqlWrites]:
        """One write transaction, committed when the block ends and rolled back if it raises."""

    def write_tx(self) -> AbstractAsyncContextManager[WriteTx]:
        return self._writes()

    # -- reads ---------------------------------------------------------------------------------

    async def read_head(self, session_id: str) -> HeadRow | None:
        async with self._reads() as r:
            return await r.read_head(session_id)

    async def read_head_totals(self, session_id: str) -> HeadRows | None:
        async with self._reads() as r:
            return await r.read_head_totals(session_id)

    async def read_session(
        self, session_id: str, path_from: str | None, active_path: bool
    ) -> SessionRows | None:
        async with self._snapshot() as r:
            return await r.read_session(session_id, path_from, active_path)

    async def read_usage(self, session_id: str) -> list[UsageRow]:
        async with self._reads() as r:
            return await r.read_usage(session_id)

    async def read_path(self, session_id: str, leaf_node_id: str, any_node: bool) -> list[str]:
        async with self._reads() as r:
            return await r.read_path(session_id, leaf_node_id, any_node)

    async def read_node(self, session_id: str, node_id: str) -> str | None:
        async with self._reads() as r:
            return await r.read_node(session_id, node_id)

    async def read_window(self, session_id: str, first_seq: int, next_seq: int) -> list[str]:
        async with self._reads() as r:
            return await r.read_window(session_id, first_seq, next_seq)

    async def read_blob(self, ref: str) -> bytes | None:
        async with self._reads() as r:
            return await r.read_blob(ref)

    async def read_receipt(self, session_id: str, operation_id: str) -> ReceiptRow | None:
        async with self._reads() as r:
            return await r.read_receipt(session_id, operation_id)

    async def list_sessions(self) -> list[str]:
        async with self._reads() as r:
            return await r.list_sessions()

    async def read_session_summaries(
        self, parent_session_id: str | None, since: float | None, limit: int | None
    ) -> list[SummaryRow]:
        async with self._reads() as r:
            return await r.read_session_summaries(parent_session_id, since, limit)

    async def read_meta(self, session_id: str) -> str | None:
        async with self._reads() as r:
            return await r.read_meta(session_id)

    async def read_child_metas(self, parent_session_id: str) -> list[str]:
        async with self._reads() as r:
            return await r.read_child_metas(parent_session_id)

    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, str]:
        async with self._reads() as r:
            return await r.load_effects(session_id, turn_id)

    async def read_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnRows:
        async with self._snapshot() as r:
            return await r.read_turn(session_id, turn_id, operation_id)

    # -- writes outside a commit -----------------------------------------------------------------

    async def put_blob(self, blob: SealedBlob, root_session_id: str | None, now: float) -> None:
        async with self._writes() as w:
            await w.put_rooted_blob(blob, root_session_id, now)

    async def insert_meta(
        self, session_id: str, parent_session_id: str | None, meta_json: str, now: float
    ) -> str:
        async with self._writes() as w:
            return await w.insert_meta(session_id, parent_session_id, meta_json, now)

    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: str, now: float
    ) -> str:
        async with self._writes() as w:
            return await w.record_effect(session_id, turn_id, key, outcome_json, now)

    async def tombstone(self, session_id: str, node_ids: list[str]) -> int:
        async with self._writes() as w:
            return await w.tombstone(session_id, node_ids)

    async def vacuum(self, session_id: str | None, detached: bool) -> int:
        async with self._writes() as w:
            return await w.vacuum(session_id, detached)

    async def delete_session(self, session_id: str) -> bool:
        async with self._writes() as w:
            return await w.delete_session(session_id)


__all__ = ["SqlBackend"]
