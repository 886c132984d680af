"""The conformance suite against the SQLite backend (a fresh file per test)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from store_conformance import StoreConformance

from checkpoint.store import CheckpointStore, make_store


class TestSqliteStore(StoreConformance):
    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> None:
        self.path = tmp_path / "store.db"

    async def open(self, **options: Any) -> CheckpointStore:
        return await make_store(f"sqlite:///{self.path}", **options).setup()

    async def damage_blob(self, store: CheckpointStore, ref: str, index: int) -> None:
        with sqlite3.connect(self.path) as conn:
            sql = "SELECT content FROM lash_blobs WHERE ref = ?"
            (content,) = conn.execute(sql, (ref,)).fetchone()
            data = bytearray(content)
            data[index] ^= 0x01
            conn.execute("UPDATE lash_blobs SET content = ? WHERE ref = ?", (bytes(data), ref))
