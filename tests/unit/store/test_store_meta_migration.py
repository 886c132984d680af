"""Migration v3 copies each stored meta's parent into its own indexed column, so a store written
before it lists the children it already knew about."""

from __future__ import annotations

from pathlib import Path

import pytest
from released_schema import Statements, released_schema, upgraded_postgres, upgraded_sqlite

from checkpoint.model import ChildRelation, SessionMeta
from checkpoint.store import CheckpointStore

_PARENT = SessionMeta(session_id="p", session_name="p", created_at="unix:1", model="m")
_CHILD = SessionMeta(
    session_id="c", session_name="task", created_at="unix:2", model="m",
    relation=ChildRelation(parent_session_id="p", originating_tool_call_id="call-1"),
)


def _v2_statements(dialect: str, mark: str) -> Statements:
    """Schema v1 and v2 built by hand, holding two meta rows as v2 wrote them."""
    statements = released_schema(2, dialect, mark)
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
    async with upgraded_sqlite(tmp_path / "v2.db", _v2_statements("sqlite", "?")) as store:
        await _check_upgrade(store)


@pytest.mark.postgres
async def test_a_postgres_store_from_v2_lists_children_it_knew(postgres_schema_url: str) -> None:
    """A v2 PostgreSQL store's meta rows are listed under their parent after the upgrade."""
    statements = _v2_statements("postgres", "%s")
    async with upgraded_postgres(postgres_schema_url, statements) as store:
        await _check_upgrade(store)
