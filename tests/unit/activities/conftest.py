"""Stores for the run_turn tests (memory, SQLite and PostgreSQL, each fresh per test), and the
fake OpenAI-compatible endpoint the provider tests share.

PostgreSQL runs when LASH_TEST_POSTGRES_URL is set (each test in a fresh schema); otherwise it
skips, or fails under CI=true (see tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from checkpoint.store import CheckpointStore, open_store
from tests.unit.activities._openai_fake import FakeEndpoint


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_schema_url"))
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return "memory://"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[CheckpointStore]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()


@pytest.fixture
def endpoint() -> Iterator[FakeEndpoint]:
    """A fake OpenAI-compatible endpoint on 127.0.0.1, closed after the test."""
    server = FakeEndpoint()
    yield server
    server.close()
