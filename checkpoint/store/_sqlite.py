"""The SQLite backend (``sqlite:///path``), the embedded default: one file for many sessions.

The stdlib ``sqlite3`` module runs in a worker thread (``asyncio.to_thread``) on one connection
per store, guarded by one lock. WAL journal, ``synchronous=FULL`` (a commit that returned
survives a power cut too, because Temporal will already have recorded the activity's result),
and ``BEGIN IMMEDIATE`` for commits, so writers in other processes wait on the file's write lock
(busy timeout 30 s) instead of failing.

A commit goes to the thread once, whole: ``BEGIN IMMEDIATE``, its statements and ``COMMIT``
(the store's commit steps are coroutines that never wait on anything but this connection, so
the thread drives them to the end). A thread round trip costs about 0.1 ms, more on a busy
worker; a turn's commit has about ten statements, and hopping for each was most of its time.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from checkpoint.store._backend import (
    GcTx,
    HeadRow,
    SessionRows,
    TurnRows,
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
from checkpoint.store._sql_backend import SqlBackend

T = TypeVar("T")

_DIALECT = SqlDialect(param="?")


class SqliteBackend(SqlBackend):
    """One connection in a worker thread; every use holds the store's lock."""

    def __init__(self, url: str, path: str, synchronous: str = "FULL") -> None:
        self.url = url
        self._path = path
        self._synchronous = synchronous
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._thread_lock = threading.Lock()

    async def setup(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self._path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        self._conn = conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(MIGRATIONS_TABLE)
            applied = dict(conn.execute("SELECT version, checksum FROM lash_schema_migrations"))
            for migration in pending(applied):
                for statement in migration.sqlite:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO lash_schema_migrations (version, name, checksum) VALUES (?,?,?)",
                    (migration.version, migration.name, migration.checksum()),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await asyncio.to_thread(self._locked(conn.close))

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise sqlite3.ProgrammingError("the store is closed")
        return self._conn

    def _locked(self, fn: Callable[[], T]) -> Callable[[], T]:
        """Run ``fn`` holding the connection's thread lock: a statement left running by a
        cancelled task finishes before the next one (e.g. its ROLLBACK) starts."""
        def run() -> T:
            with self._thread_lock:
                return fn()
        return run

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(self._locked(fn))

    async def run_write(self, work: Callable[[WriteTx], Awaitable[T]]) -> T:
        """The whole transaction in one thread hop; it finishes (COMMIT or ROLLBACK) even if
        the awaiting task is cancelled meanwhile."""
        async with self._lock:
            conn = self.conn
            tx = _SqliteWrites(_DIALECT, _Runner(conn, _direct))

            def run() -> T:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = _drive(work(tx))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return result

            return await asyncio.shield(asyncio.to_thread(self._locked(run)))

    async def _call(self, fn: Callable[[], T]) -> T:
        async with self._lock:
            return await self._run(fn)

    async def _sql(self, conn: sqlite3.Connection, statement: str) -> None:
        await self._run(lambda: conn.execute(statement))

    async def _finish(self, conn: sqlite3.Connection, statement: str) -> None:
        """COMMIT or ROLLBACK even if this task is cancelled meanwhile; a failed COMMIT rolls
        back, so the connection never stays inside a transaction."""
        def finish() -> None:
            try:
                conn.execute(statement)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        await asyncio.shield(asyncio.to_thread(self._locked(finish)))

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[sqlite3.Connection]:
        async with self._lock:
            conn = self.conn
            await self._sql(conn, "BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await self._finish(conn, "ROLLBACK")
                raise
            await self._finish(conn, "COMMIT")

    @asynccontextmanager
    async def _writes(self) -> AsyncIterator[SqlWrites]:
        async with self._tx() as conn:
            yield _SqliteWrites(_DIALECT, _Runner(conn, self._run))

    @asynccontextmanager
    async def gc_tx(self) -> AsyncIterator[GcTx]:
        async with self._tx() as conn:
            yield SqlGc(_DIALECT, _Runner(conn, self._run))

    @asynccontextmanager
    async def _reads(self) -> AsyncIterator[SqlReads]:
        """Each statement takes the store's lock for its own thread hop."""
        yield SqlReads(_DIALECT, _Runner(self.conn, self._call))

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[SqlReads]:
        async with self._lock:
            conn = self.conn
            await self._sql(conn, "BEGIN")
            try:
                yield SqlReads(_DIALECT, _Runner(conn, self._run))
            finally:
                await self._finish(conn, "COMMIT")

    async def read_session(
        self, session_id: str, path_from: str | None, active_path: bool
    ) -> SessionRows | None:
        """The same statements as every SQL backend, in one read transaction and one thread
        hop: the five hops (BEGIN, head, nodes, totals, COMMIT) cost about 1 ms of a 1,000-turn
        load on a busy worker."""
        conn = self.conn

        def read() -> SessionRows | None:
            reads = SqlReads(_DIALECT, _Runner(conn, _direct))
            conn.execute("BEGIN")
            try:
                return _drive(reads.read_session(session_id, path_from, active_path))
            finally:
                conn.execute("COMMIT")

        return await self._call(read)

    async def read_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnRows:
        """Three selects in one read transaction and one thread hop (a turn's only read when
        its session is cached)."""
        conn = self.conn

        def read() -> TurnRows:
            conn.execute("BEGIN")
            try:
                return turn_rows(
                    conn.execute(HEAD_SQL, (session_id,)).fetchall(),
                    conn.execute(RECEIPT_SQL, (session_id, operation_id)).fetchall(),
                    conn.execute(EFFECTS_SQL, (session_id, turn_id)).fetchall(),
                )
            finally:
                conn.execute("COMMIT")

        return await self._call(read)


async def _direct(fn: Callable[[], T]) -> T:
    """No hop: the caller already runs in the connection's thread, holding its lock."""
    return fn()


def _drive(step: Awaitable[T]) -> T:
    """Run a coroutine that never suspends (every await it makes is ``_direct``) to its end,
    outside any event loop; one that does suspend is a bug and is refused."""
    coro = step.__await__()
    try:
        coro.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coro.close()
    raise RuntimeError("a SQLite commit step waited on something other than its connection")


class _Runner:
    """Runs SQL on one sqlite3 connection through the given thread hop."""

    def __init__(
        self, conn: sqlite3.Connection, hop: Callable[[Callable[[], Any]], Any]
    ) -> None:
        self._conn, self._hop = conn, hop

    async def fetch(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        conn, params = self._conn, tuple(args)
        rows: list[tuple[Any, ...]] = await self._hop(lambda: conn.execute(sql, params).fetchall())
        return rows

    async def execute(self, sql: str, args: Iterable[Any] = ()) -> int:
        conn, params = self._conn, tuple(args)
        count: int = await self._hop(lambda: conn.execute(sql, params).rowcount)
        return count

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        conn = self._conn
        if rows:
            await self._hop(lambda: conn.executemany(sql, rows))


class _SqliteWrites(SqlWrites):
    """SQLite's commit lock is the file write lock taken by BEGIN IMMEDIATE."""

    async def lock_head(self, session_id: str) -> HeadRow | None:
        return await self.read_head(session_id)


__all__ = ["SqliteBackend"]
