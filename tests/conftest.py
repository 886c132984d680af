"""Shared fixtures: the PostgreSQL test server, Chromium, and the rule that CI never skips them.

Tests that need PostgreSQL take ``postgres_url`` (the server from ``LASH_TEST_POSTGRES_URL``) or
``postgres_schema_url`` (a fresh schema on it, dropped afterwards, so each test starts empty).
Tests that drive a browser take ``chromium_path`` (``LASH_TEST_CHROMIUM``, else ``chromium`` on
PATH). Without them they skip with that reason; with ``CI=true`` they fail instead, so a CI run
can never pass while silently skipping the PostgreSQL or browser suite.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from typing import NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

POSTGRES_ENV = "LASH_TEST_POSTGRES_URL"
CHROMIUM_ENV = "LASH_TEST_CHROMIUM"


def missing(what: str, how: str) -> NoReturn:
    """Skip the test because ``what`` is unavailable; under CI=true fail instead."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true but {what}, and these tests must run in CI: {how}", pytrace=False)
    pytest.skip(f"{what}: {how} to run this test")


def postgres_url_or_skip() -> str:
    """The test server's URL; skip (or, under CI=true, fail) when none is configured."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    missing("no PostgreSQL", f"set {POSTGRES_ENV}=postgresql://...")


def chromium_path_or_skip() -> str:
    """A Chromium to drive with Playwright; skip (or, under CI=true, fail) when there is none."""
    path = os.environ.get(CHROMIUM_ENV, "").strip() or shutil.which("chromium")
    if not path or not os.path.isfile(path):
        missing("no Chromium", f"install it (apt-get install chromium) or set {CHROMIUM_ENV}")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing("no Playwright", "install the dev extra (pip install -e '.[dev]')")
    return path


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


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium executable for browser tests (skips or fails as the module docstring says)."""
    return chromium_path_or_skip()


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
