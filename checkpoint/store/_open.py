"""``open_store(url)``: ``memory://``, ``sqlite:///path`` or ``postgresql://...``.

SQLite paths: ``sqlite:///relative/file.db``, ``sqlite:////absolute/file.db`` and
``sqlite:///:memory:``; the query ``?synchronous=normal`` trades power-loss durability for speed.
PostgreSQL URLs go to psycopg as they are, except ``?pool_max=N`` (pool size, default 10) and
``?open_timeout=S`` (seconds to wait for the server on first use, default 10). ``open_store``
first makes one plain connection: a server that refuses, a host that does not resolve or a
refused login is reported with that cause after ``PROBE_S``, instead of the pool's "pool
initialization incomplete" after the whole ``open_timeout``.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
from datetime import timedelta
from typing import TypedDict
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from checkpoint.blobs import CompressionProfile
from checkpoint.errors import StoreUnavailableError
from checkpoint.store._base import CheckpointStore
from checkpoint.store._memory import MemoryBackend
from checkpoint.store._sqlite import SqliteBackend
from checkpoint.store._url import redact_url, store_scheme

_SYNCHRONOUS = {"full", "normal", "extra", "off"}
PROBE_S = 1.0
"""How long ``open_store`` retries a first PostgreSQL connection that fails at once (a server
restarting refuses for a moment) before it reports the cause."""


class _Options(TypedDict):
    retention: timedelta | None
    auto_gc_every: int | None
    node_cache_size: int


async def open_store(
    url: str, *, retention: timedelta | None = None, auto_gc_every: int | None = None,
    node_cache_size: int = 20_000,
) -> CheckpointStore:
    """Open (and set up) the store at ``url``. Unknown schemes or bad URLs raise
    ``StoreUnavailableError`` naming the URL (password masked).

    ``retention``: GC keeps checkpoints committed within it (default: all, see ``_gc``).
    ``auto_gc_every``: run GC after every N commits of this store object (default: never).
    ``node_cache_size``: parsed nodes kept to speed up loads (0: none, see ``_node_cache``).
    """
    store = make_store(
        url, retention=retention, auto_gc_every=auto_gc_every, node_cache_size=node_cache_size
    )
    if store_scheme(url) in ("postgresql", "postgres"):
        await _probe_postgres(url)
    return await store.setup()


def make_store(
    url: str, *, retention: timedelta | None = None, auto_gc_every: int | None = None,
    node_cache_size: int = 20_000,
) -> CheckpointStore:
    """The store for ``url``, not yet connected (it connects on first use)."""
    parts = urlsplit(url)
    scheme = store_scheme(url)
    options = _Options(
        retention=retention, auto_gc_every=auto_gc_every, node_cache_size=node_cache_size
    )
    if scheme == "memory":
        return CheckpointStore(
            MemoryBackend(url), profile=CompressionProfile.LOW_LATENCY, **options
        )
    if scheme == "sqlite":
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if parts.netloc or not path:
            raise StoreUnavailableError(url, "expected sqlite:///path/to/file.db")
        query = dict(parse_qsl(parts.query))
        synchronous = query.pop("synchronous", "full").lower()
        if synchronous not in _SYNCHRONOUS or query:
            raise StoreUnavailableError(url, f"unsupported sqlite options {parts.query!r}")
        return CheckpointStore(
            SqliteBackend(url, path, synchronous.upper()),
            driver_errors=(sqlite3.Error,), **options,
        )
    return _postgres(url, options)


def _postgres_conninfo(url: str) -> tuple[str, int, float]:
    """psycopg's conninfo (our options taken out), the pool size and the open timeout."""
    split = urlsplit(url)
    query = dict(parse_qsl(split.query))
    try:
        pool_max = int(query.pop("pool_max", "10"))
        open_timeout = float(query.pop("open_timeout", "10"))
    except ValueError as exc:
        raise StoreUnavailableError(
            redact_url(url), "pool_max and open_timeout must be numbers"
        ) from exc
    return urlunsplit(split._replace(query=urlencode(query))), pool_max, open_timeout


async def _probe_postgres(url: str) -> None:
    """One plain connection. A quick failure (refused, unknown host, bad password) is tried
    again for ``PROBE_S``, then reported with the driver's reason; no answer at all is reported
    after ``open_timeout``, as the pool would."""
    import psycopg

    conninfo, _, open_timeout = _postgres_conninfo(url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PROBE_S
    while True:
        try:
            async with asyncio.timeout(open_timeout):
                # libpq counts connect_timeout in whole seconds, and less than 2 means 2.
                conn = await psycopg.AsyncConnection.connect(
                    conninfo, connect_timeout=max(2, math.ceil(open_timeout))
                )
        except TimeoutError as exc:
            raise StoreUnavailableError(
                redact_url(url), f"no answer within {open_timeout:g} s"
            ) from exc
        except (psycopg.OperationalError, OSError) as exc:
            if loop.time() < deadline:
                await asyncio.sleep(0.2)
                continue
            raise StoreUnavailableError(redact_url(url), _cause(exc)) from exc
        await conn.close()
        return


def _cause(exc: BaseException) -> str:
    """The driver's reason, one line: ``connection to server at ... failed: Connection refused``."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    return redact_url(text.removeprefix("connection failed: "))


def _postgres(url: str, options: _Options) -> CheckpointStore:
    import psycopg

    from checkpoint.store._postgres import PostgresBackend

    conninfo, pool_max, open_timeout = _postgres_conninfo(url)
    return CheckpointStore(
        PostgresBackend(url, conninfo, max_size=pool_max, open_timeout=open_timeout),
        unavailable=(psycopg.OperationalError, psycopg.errors.ConnectionTimeout,
                     TimeoutError),
        driver_errors=(psycopg.Error,),
        **options,
    )


__all__ = ["make_store", "open_store"]
