"""Migration v3 copies each stored meta's parent into its own indexed column, so a store written
before it lists the children it already knew about."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from checkpoint.model import ChildRelation, SessionMeta
from checkpoint.store import MIGRATIONS, CheckpointStore, make_store
from checkpoint.store._schema import MIGRATIONS_TABLE

_PARENT = SessionMeta(session_id="p", session_name="p", created_at="unix:1", model="m")
_CHILD = SessionMeta(
    session_id="c", session_name="task", created_at="unix:2", model="m",
    relation=ChildRelation(parent_session_id="p", originating_tool_call_id="call-1"),
)


def _v2_statements(dialect: str, mark: str) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Schema v1 and v2 built by hand, holding two meta rows as v2 wrote them."""
    statements: list[tuple[str, list[tuple[Any, ...]]]] = [(MIGRATIONS_TABLE, [()])]
    for m in MIGRATIONS[:2]:
        statements += [(s, [()]) for s in (m.sqlite if dialect == "sqlite" else m.postgres)]
        statements.append((
            f"INSERT INTO lash_schema_migrations VALUES ({mark},{mark},{mark})",
            [(m.version, m.name, m.checksum())],
        ))
    statements.append((
        f"INSERT INTO lash_session_meta VALUES ({mark},{mark})",
        [(m.session_id, m.model_dump_json()) for m in (_PARENT, _CHILD)],
    ))
    return statements


async def _check_upgrade(store: CheckpointStore) -> None:
    assert await store.list_child_sessions("p") == [_CHILD]
    assert await store.list_child_sessions("c") == []
    assert await store.load_session_meta("p") == _PARENT


async def test_a_sqlite_store_from_v2_lists_children_it_knew(tmp_path: Path) -> None:
    """A v2 SQLite store's meta rows are listed under their parent after the upgrade."""
    path = tmp_path / "v2.db"
    with sqlite3.connect(path) as conn:
        for sql, rows in _v2_statements("sqlite", "?"):
            conn.executemany(sql, rows)
    store = await make_store(f"sqlite:///{path}").setup()
    try:
        await _check_upgrade(store)
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_postgres_store_from_v2_lists_children_it_knew(postgres_schema_url: str) -> None:
    """A v2 PostgreSQL store's meta rows are listed under their parent after the upgrade."""
    import psycopg

    connect = psycopg.AsyncConnection.connect
    async with await connect(postgres_schema_url) as conn, conn.cursor() as cur:
        for sql, rows in _v2_statements("postgres", "%s"):
            await cur.executemany(sql, rows)
    store = await make_store(postgres_schema_url).setup()
    try:
        await _check_upgrade(store)
    finally:
        await store.close()
