"""A store as an older release left it, for the migration tests: the released schema steps up
to a version, built by hand with rows written as that release wrote them, then opened by
today's code (which applies the missing steps)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from checkpoint.store import MIGRATIONS, CheckpointStore, make_store
from checkpoint.store._schema import MIGRATIONS_TABLE

Statements = list[tuple[str, list[tuple[Any, ...]]]]
"""SQL texts, each with the parameter rows to run it with (``[()]``: once, no parameters)."""


def released_schema(upto: int, dialect: str, mark: str) -> Statements:
    """Migrations 1 to ``upto`` in ``dialect`` ("sqlite" or "postgres"), recorded as applied;
    ``mark`` is the dialect's parameter placeholder."""
    statements: Statements = [(MIGRATIONS_TABLE, [()])]
    for m in MIGRATIONS[:upto]:
        statements += [(s, [()]) for s in (m.sqlite if dialect == "sqlite" else m.postgres)]
        statements.append((
            f"INSERT INTO lash_schema_migrations VALUES ({mark},{mark},{mark})",
            [(m.version, m.name, m.checksum())],
        ))
    return statements


@asynccontextmanager
async def upgraded_sqlite(path: Path, statements: Statements) -> AsyncIterator[CheckpointStore]:
    """A SQLite file built by ``statements``, opened (and so upgraded) by today's store."""
    with sqlite3.connect(path) as conn:
        for sql, rows in statements:
            conn.executemany(sql, rows)
    store = await make_store(f"sqlite:///{path}").setup()
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def upgraded_postgres(url: str, statements: Statements) -> AsyncIterator[CheckpointStore]:
    """A PostgreSQL schema built by ``statements``, opened (and so upgraded) by today's store."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(url) as conn, conn.cursor() as cur:
        for sql, rows in statements:
            await cur.executemany(sql, rows)
    store = await make_store(url).setup()
    try:
        yield store
    finally:
        await store.close()
