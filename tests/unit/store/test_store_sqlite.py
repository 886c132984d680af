"""The conformance suite against the SQLite backend (a fresh file per test)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from store_conformance import StoreConformance
from store_fixtures import commit

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

    async def test_a_head_from_before_v4_lists_the_turn_of_its_manifest(
        self, store: CheckpointStore
    ) -> None:
        """A head row without a turn index (last written before schema v4) is listed with the
        turn its checkpoint manifest holds; its next commit writes the column."""
        await store.commit_runtime_state(commit("s", "op1", None, turn_index=4))
        with sqlite3.connect(self.path) as conn:
            conn.execute("UPDATE lash_sessions SET turn_index = NULL")
        [listed] = await store.list_session_summaries()
        assert listed.turn_index == 4
        await store.commit_runtime_state(commit("s", "op2", 1, turn_index=5))
        with sqlite3.connect(self.path) as conn:
            assert conn.execute("SELECT turn_index FROM lash_sessions").fetchall() == [(5,)]
