"""Schema migrations are append-only: released ones are pinned, edited or unknown ones refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkpoint.errors import StoreError
from checkpoint.store import MIGRATIONS, make_store
from checkpoint.store._schema import pending

RELEASED = {
    1: "34b30095d20d61f8909d31a65d29d1ea898c8b8a137d4027201a75e9b5ec4944",
    2: "0576500e2995040a0e8d133fb6168094371558368828183b73d99d43595d15aa",
    3: "73a852c900a1685265b44174ab15fdc63d12be61a4c413bd85f129efa79a08e4",
    4: "1581ce73cb1cef9a740a3d0fed64056c377fa2866cf8e0d8346af61fa2a6a6d5",
    5: "2e3775c00ebf50d7e9050eba203242f582fef2dad489d69d9aa6c7ac825f1bd2",
}


def test_released_migrations_never_change() -> None:
    """Each released migration keeps its checksum; new ones are only appended."""
    assert {m.version: m.checksum() for m in MIGRATIONS[: len(RELEASED)]} == RELEASED
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_a_store_with_an_edited_migration_is_refused() -> None:
    """A store whose recorded checksum differs from the released migration is refused."""
    with pytest.raises(StoreError, match="differs"):
        pending({1: "0" * 64})


def test_a_store_from_newer_code_is_refused() -> None:
    """A store with a schema version this code does not know is refused, not downgraded."""
    with pytest.raises(StoreError, match="newer"):
        pending({1: MIGRATIONS[0].checksum(), 99: "x"})


async def test_reopening_a_store_applies_nothing_twice(tmp_path: Path) -> None:
    """Opening an existing SQLite store again finds every migration applied."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    for _ in range(2):
        store = await make_store(url).setup()
        await store.close()
    import sqlite3

    with sqlite3.connect(tmp_path / "store.db") as conn:
        rows = conn.execute("SELECT version FROM lash_schema_migrations").fetchall()
    assert rows == [(m.version,) for m in MIGRATIONS]
