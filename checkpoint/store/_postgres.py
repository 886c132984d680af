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

from checkpoint.store._backend import (
    GcTx,
    HeadRow,
    TurnRows,
)
from checkpoint.store._schema import MIGRATIONS_TABLE, pending
from checkpoint.store._sql import (
    EFFECTS_SQL,
    HEAD_COLUMNS,
    HEAD_SQL,
    RECEIPT_SQL,
    SqlDialect,
    SqlGc,
    SqlReads,
    SqlWrites,
    turn_rows,
)
from checkpoint.store._sql_backend import SqlBackend

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


class PostgresBackend(SqlBackend):
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
    async def _writes(self) -> AsyncIterator[SqlWrites]:
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
    async def _snapshot(self) -> AsyncIterator[SqlReads]:
        async with self._conn() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield SqlReads(_DIALECT, _Runner(conn))

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
            f"SELECT {HEAD_COLUMNS} FROM lash_sessions WHERE session_id = ? FOR UPDATE",
            session_id,
        )
        head = HeadRow(*rows[0])
        return None if head.head_json == "" else head


__all__ = ["PostgresBackend"]
