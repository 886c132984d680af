"""Shared fixtures: the PostgreSQL test server, and the rule that CI never skips it.

Tests that need PostgreSQL take ``postgres_url`` (the server from ``LASH_TEST_POSTGRES_URL``) or
``postgres_schema_url`` (a fresh schema on it, dropped afterwards, so each test starts empty).
Without the variable they skip with that reason; with ``CI=true`` they fail instead, so a CI run
can never pass while silently skipping the PostgreSQL suite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

POSTGRES_ENV = "LASH_TEST_POSTGRES_URL"


def postgres_url_or_skip() -> str:
    """The test server's URL; skip (or, under CI=true, fail) when none is configured."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(
            f"CI=true but {POSTGRES_ENV} is not set: the PostgreSQL tests must run in CI",
            pytrace=False,
        )
    pytest.skip(f"no PostgreSQL: set {POSTGRES_ENV}=postgresql://... to run this test")


def with_search_path(url: str, schema: str) -> str:
    """``url`` with libpq ``options`` setting the search_path to ``schema``."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"-csearch_path={schema}"
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server for tests (skips or fails as the module docstring says)."""
    return postgres_url_or_skip()


@pytest.fixture
async def postgres_schema_url(postgres_url: str) -> AsyncIterator[str]:
    """A URL whose tables live in a fresh schema, dropped when the test ends."""
    import psycopg

    schema = f"lash_test_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(postgres_url, schema)
    finally:
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
