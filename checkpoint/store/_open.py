"""``open_store(url)``: ``memory://``, ``sqlite:///path`` or ``postgresql://...``.

SQLite paths: ``sqlite:///relative/file.db``, ``sqlite:////absolute/file.db`` and
``sqlite:///:memory:``; the query ``?synchronous=normal`` trades power-loss durability for speed.
PostgreSQL URLs go to psycopg as they are, except ``?pool_max=N`` (pool size, default 10) and
``?open_timeout=S`` (seconds to wait for the server on first use, default 10).
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import TypedDict
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from checkpoint.blobs import CompressionProfile
from checkpoint.errors import StoreUnavailableError
from checkpoint.store._base import CheckpointStore
from checkpoint.store._memory import MemoryBackend
from checkpoint.store._sqlite import SqliteBackend
from checkpoint.store._url import redact_url

_SYNCHRONOUS = {"full", "normal", "extra", "off"}


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
    return await store.setup()


def make_store(
    url: str, *, retention: timedelta | None = None, auto_gc_every: int | None = None,
    node_cache_size: int = 20_000,
) -> CheckpointStore:
    """The store for ``url``, not yet connected (it connects on first use)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
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
    if scheme in ("postgresql", "postgres"):
        return _postgres(url, options)
    raise StoreUnavailableError(
        redact_url(url), "unknown scheme; use memory://, sqlite:///path or postgresql://..."
    )


def _postgres(url: str, options: _Options) -> CheckpointStore:
    import psycopg

    from checkpoint.store._postgres import PostgresBackend

    split = urlsplit(url)
    query = dict(parse_qsl(split.query))
    try:
        pool_max = int(query.pop("pool_max", "10"))
        open_timeout = float(query.pop("open_timeout", "10"))
    except ValueError as exc:
        raise StoreUnavailableError(
            redact_url(url), "pool_max and open_timeout must be numbers"
        ) from exc
    conninfo = urlunsplit(split._replace(query=urlencode(query)))
    return CheckpointStore(
        PostgresBackend(url, conninfo, max_size=pool_max, open_timeout=open_timeout),
        unavailable=(psycopg.OperationalError, psycopg.errors.ConnectionTimeout,
                     TimeoutError),
        driver_errors=(psycopg.Error,),
        **options,
    )


__all__ = ["make_store", "open_store"]
