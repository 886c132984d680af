"""The PostgreSQL backend (``postgresql://...``), shared by many workers: psycopg 3, async, pooled.

The schema is created on first use, under an advisory lock so that workers starting together do
not race, and versioned in ``lash_schema_migrations``. A commit is one transaction: it inserts a
placeholder head row if none exists (``INSERT ... ON CONFLICT DO NOTHING``) and then takes
``SELECT ... FOR UPDATE`` on it, so racing writers of one session serialise and the loser sees
the winner's revision. Commits also hold a shared advisory lock that GC takes exclusively, so GC
never deletes a blob that an in-flight commit is about to reference.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from checkpoint.blobs import SealedBlob
from checkpoint.store._backend import (
    Backend,
    GcTx,
    HeadRow,
    HeadRows,
    ReceiptRow,
    SessionRows,
    TurnRows,
    UsageRow,
    WriteTx,
)
from checkpoint.store._schema import MIGRATIONS_TABLE, pending
from checkpoint.store._sql import (
    EFFECTS_SQL,
    HEAD_SQL,
    RECEIPT_SQL,
    SqlDialect,
    SqlGc,
    SqlReads,
    SqlWrites,
    turn_rows,
)

_DIALECT = SqlDialect(param="%s")
_SCHEMA_LOCK = 0x6C617368  # "lash": serialises schema setup across processes
_GC_LOCK = 0x6C617367  # commits hold it shared, GC exclusive


class _Runner:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def fetch(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        cur = await self._conn.execute(sql, tuple(args))
        return await cur.fetchall() if cur.description else []

    async def execute(self, sql: str, args: Iterable[Any] = ()) -> int:
        cur = await self._conn.execute(sql, tuple(args))
        return cur.rowcount

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            async with self._conn.cursor() as cur:
                await cur.executemany(sql, rows)


class PostgresBackend(Backend):
    """A psycopg AsyncConnectionPool; each operation borrows one connection."""

    def __init__(
        self, url: str, conninfo: str, max_size: int = 10, open_timeout: float = 10.0
    ) -> None:
        self.url = url
        self._open_timeout = open_timeout
        self._pool = AsyncConnectionPool(
            conninfo, min_size=1, max_size=max_size, open=False,
            kwargs={"autocommit": True}, timeout=30.0,
        )

    async def setup(self) -> None:
        await self._pool.open(wait=True, timeout=self._open_timeout)
        async with self._conn() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            await conn.execute(MIGRATIONS_TABLE)
            cur = await conn.execute("SELECT version, checksum FROM lash_schema_migrations")
            applied = {int(v): str(c) for v, c in await cur.fetchall()}
            for migration in pending(applied):
                for statement in migration.postgres:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO lash_schema_migrations (version, name, checksum) "
                    "VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum()),
                )

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[AsyncConnection[Any]]:
        async with self._pool.connection() as conn:
            yield conn

    @asynccontextmanager
    async def _tx(self, gc_lock: str) -> AsyncIterator[AsyncConnection[Any]]:
        async with self._conn() as conn, conn.transaction():
            await conn.execute(f"SELECT {gc_lock}(%s)", (_GC_LOCK,))
            yield conn

    @asynccontextmanager
    async def write_tx(self) -> AsyncIterator[WriteTx]:
        async with self._tx("pg_advisory_xact_lock_shared") as conn:
            yield _PgWrites(_DIALECT, _Runner(conn))

    @asynccontextmanager
    async def gc_tx(self) -> AsyncIterator[GcTx]:
        async with self._tx("pg_advisory_xact_lock") as conn:
            yield SqlGc(_DIALECT, _Runner(conn))

    @asynccontextmanager
    async def _reads(self) -> AsyncIterator[SqlReads]:
        async with self._conn() as conn:
            yield SqlReads(_DIALECT, _Runner(conn))

    @asynccontextmanager
    async def _writes(self) -> AsyncIterator[SqlWrites]:
        async with self._tx("pg_advisory_xact_lock_shared") as conn:
            yield SqlWrites(_DIALECT, _Runner(conn))

    async def read_head(self, session_id: str) -> HeadRow | None:
        async with self._reads() as r:
            return await r.read_head(session_id)

    async def read_head_totals(self, session_id: str) -> HeadRows | None:
        async with self._reads() as r:
            return await r.read_head_totals(session_id)

    async def read_session(
        self, session_id: str, path_from: str | None, active_path: bool
    ) -> SessionRows | None:
        async with self._conn() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            reads = SqlReads(_DIALECT, _Runner(conn))
            return await reads.read_session(session_id, path_from, active_path)

    async def read_usage(self, session_id: str) -> list[UsageRow]:
        async with self._reads() as r:
            return await r.read_usage(session_id)

    async def read_path(self, session_id: str, leaf_node_id: str, any_node: bool) -> list[str]:
        async with self._reads() as r:
            return await r.read_path(session_id, leaf_node_id, any_node)

    async def read_node(self, session_id: str, node_id: str) -> str | None:
        async with self._reads() as r:
            return await r.read_node(session_id, node_id)

    async def read_blob(self, ref: str) -> bytes | None:
        async with self._reads() as r:
            return await r.read_blob(ref)

    async def put_blob(self, blob: SealedBlob, root_session_id: str | None, now: float) -> None:
        async with self._writes() as w:
            await w.put_rooted_blob(blob, root_session_id, now)

    async def read_receipt(self, session_id: str, operation_id: str) -> ReceiptRow | None:
        async with self._reads() as r:
            return await r.read_receipt(session_id, operation_id)

    async def list_sessions(self) -> list[str]:
        async with self._reads() as r:
            return await r.list_sessions()

    async def insert_meta(
        self, session_id: str, parent_session_id: str | None, meta_json: str, now: float
    ) -> str:
        async with self._writes() as w:
            return await w.insert_meta(session_id, parent_session_id, meta_json, now)

    async def read_meta(self, session_id: str) -> str | None:
        async with self._reads() as r:
            return await r.read_meta(session_id)

    async def read_child_metas(self, parent_session_id: str) -> list[str]:
        async with self._reads() as r:
            return await r.read_child_metas(parent_session_id)

    async def tombstone(self, session_id: str, node_ids: list[str]) -> int:
        async with self._writes() as w:
            return await w.tombstone(session_id, node_ids)

    async def vacuum(self, session_id: str | None, detached: bool) -> int:
        async with self._writes() as w:
            return await w.vacuum(session_id, detached)

    async def delete_session(self, session_id: str) -> bool:
        async with self._writes() as w:
            return await w.delete_session(session_id)

    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: str, now: float
    ) -> str:
        async with self._writes() as w:
            return await w.record_effect(session_id, turn_id, key, outcome_json, now)

    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, str]:
        async with self._reads() as r:
            return await r.load_effects(session_id, turn_id)

    async def read_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnRows:
        """The three selects sent as one pipeline: one network round trip, in order."""
        q = _DIALECT.q
        async with self._conn() as conn:
            async with conn.pipeline():
                head = await conn.execute(q(HEAD_SQL), (session_id,))
                receipt = await conn.execute(q(RECEIPT_SQL), (session_id, operation_id))
                effects = await conn.execute(q(EFFECTS_SQL), (session_id, turn_id))
            return turn_rows(
                await head.fetchall(), await receipt.fetchall(), await effects.fetchall()
            )


class _PgWrites(SqlWrites):
    async def lock_head(self, session_id: str) -> HeadRow | None:
        """Placeholder head (revision 0, empty JSON) so even a first commit has a row to lock."""
        await self.execute(
            "INSERT INTO lash_sessions (session_id, head_revision, head_json, node_count, "
            "next_seq, updated_at) VALUES (?, 0, '', 0, 0, 0) ON CONFLICT (session_id) DO NOTHING",
            session_id,
        )
        rows = await self.fetch(
            "SELECT session_id, head_revision, head_json, checkpoint_ref, leaf_node_id, "
            "node_count, next_seq FROM lash_sessions WHERE session_id = ? FOR UPDATE",
            session_id,
        )
        head = HeadRow(*rows[0])
        return None if head.head_json == "" else head


__all__ = ["PostgresBackend"]
