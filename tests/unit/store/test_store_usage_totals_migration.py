"""Migration v2 backfills the running usage totals of a store written by v1 only, so a head
loaded after the upgrade carries the same ledger as the usage rows merged."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from released_schema import Statements, released_schema, upgraded_postgres, upgraded_sqlite
from store_fixtures import commit, config, ledger

from checkpoint.model import SessionHeadMeta
from checkpoint.store import MIGRATIONS, CheckpointStore, merge_usage_rows
from checkpoint.store._backend import UsageRow

# (session, operation, ordinal, revision, source, model, input, output, cached, reasoning)
_ROWS = [
    ("s", "op1", 0, 1, "child", "b", 0, 0, 0, 0),
    ("s", "op1", 1, 1, "turn", "a", 12, 4, 1, 2),
    ("s", "op2", 0, 2, "child", "b", 0, 0, 5, 0),
    ("s", "op2", 1, 2, "turn", "a", 1, 0, 0, 0),
    ("s", "op2", 2, 2, "turn", "z", 3, 3, 0, 0),
    ("s", "op3", 0, 3, "turn", "z", 0, 0, 0, 0),
    ("s", "op3", 1, 3, "title", "c", 0, 0, 0, 40),
    ("t", "op1", 0, 1, "turn", "a", 7, 7, 7, 7),
]
_HEADS = {"s": 3, "t": 1}


def _head_row(session_id: str, revision: int) -> tuple[Any, ...]:
    meta = SessionHeadMeta(session_id=session_id, head_revision=revision, config=config())
    return (session_id, revision, meta.model_dump_json(), None, None, 0, 0, 0.0)


def _v1_statements(dialect: str, mark: str) -> Statements:
    """The v1 schema built by hand from MIGRATIONS[0], holding heads and usage rows."""
    statements = released_schema(1, dialect, mark)
    statements.append((
        f"INSERT INTO lash_sessions VALUES ({','.join([mark] * 8)})",
        [_head_row(s, r) for s, r in _HEADS.items()],
    ))
    statements.append((
        f"INSERT INTO lash_usage VALUES ({','.join([mark] * 10)})", list(_ROWS)
    ))
    return statements


def _merged(session_id: str) -> list[Any]:
    rows = [UsageRow(*r[1:]) for r in _ROWS if r[0] == session_id]
    return merge_usage_rows(sorted(rows, key=lambda r: (r.head_revision, r.ordinal)))


async def _check_upgrade(store: CheckpointStore) -> None:
    for session_id in _HEADS:
        head = await store.load_head(session_id)
        read = await store.load_session(session_id)
        assert head is not None and read is not None
        assert head.token_ledger == read.token_ledger == _merged(session_id)
        assert merge_usage_rows(await store.backend.read_usage(session_id)) == _merged(session_id)
    keys = [(e.source, e.model) for e in _merged("s")]
    assert keys == [("turn", "a"), ("child", "b"), ("turn", "z"), ("title", "c")]
    await store.commit_runtime_state(commit("s", "op4", 3, usage_deltas=[ledger("child", "b")]))
    head, read = await store.load_head("s"), await store.load_session("s")
    assert head is not None and read is not None and head.token_ledger == read.token_ledger
    assert head.token_ledger[1].usage.input_tokens == 12


async def test_a_sqlite_store_from_v1_backfills_its_usage_totals(tmp_path: Path) -> None:
    """A v1-only SQLite store with usage rows opens, and its heads carry the merged ledger."""
    path = tmp_path / "v1.db"
    async with upgraded_sqlite(path, _v1_statements("sqlite", "?")) as store:
        await _check_upgrade(store)
    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT version FROM lash_schema_migrations ORDER BY 1").fetchall()
    assert versions == [(m.version,) for m in MIGRATIONS]


@pytest.mark.postgres
async def test_a_postgres_store_from_v1_backfills_its_usage_totals(
    postgres_schema_url: str,
) -> None:
    """A v1-only PostgreSQL store with usage rows opens, and its heads carry the merged ledger."""
    statements = _v1_statements("postgres", "%s")
    async with upgraded_postgres(postgres_schema_url, statements) as store:
        await _check_upgrade(store)
