"""The conformance suite against PostgreSQL (a fresh schema per test; skips without a server,
fails under CI=true, see tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from store_conformance import StoreConformance

from checkpoint.store import CheckpointStore, make_store


@pytest.mark.postgres
class TestPostgresStore(StoreConformance):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_schema_url: str) -> None:
        self.url = postgres_schema_url

    async def open(self, **options: Any) -> CheckpointStore:
        return await make_store(self.url, **options).setup()

    async def damage_blob(self, store: CheckpointStore, ref: str, index: int) -> None:
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            cur = await conn.execute("SELECT content FROM lash_blobs WHERE ref = %s", (ref,))
            row = await cur.fetchone()
            assert row is not None
            data = bytearray(row[0])
            data[index] ^= 0x01
            await conn.execute(
                "UPDATE lash_blobs SET content = %s WHERE ref = %s", (bytes(data), ref)
            )
