"""Where the graph gets the ids and timestamps that lash draws at random (spec §3.2, §16.16).

lash calls ``uuid4()`` and ``Utc::now()`` inside graph operations. Here those calls go through the
current :class:`IdSource`, chosen with :func:`use_id_source`, so an activity can make a retried
turn produce byte-identical nodes (:class:`DerivedIds`) while the method signatures stay lash's.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class IdSource(Protocol):
    """The random draws of the session graph."""

    def fresh_hex(self) -> str:
        """32 lowercase hex characters (lash: ``Uuid::new_v4().simple()``)."""
        ...

    def fresh_uuid(self) -> str:
        """A hyphenated uuid (lash: ``Uuid::new_v4()``, used in ``tool:{key}:{uuid}``)."""
        ...

    def now(self) -> str:
        """An RFC 3339 UTC timestamp like ``2026-05-19T09:12:03.512734+00:00``."""
        ...


def rfc3339(moment: datetime) -> str:
    """Format like chrono's ``to_rfc3339`` for UTC (microsecond precision, ``+00:00``)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class RandomIds:
    """The default: uuid4 and the wall clock, as lash does."""

    def fresh_hex(self) -> str:
        return uuid.uuid4().hex

    def fresh_uuid(self) -> str:
        return str(uuid.uuid4())

    def now(self) -> str:
        return rfc3339(datetime.now(UTC))


class DerivedIds:
    """The n-th draw is derived from ``sha256(f"{seed}:{n}")``; the n-th time is start + n µs.

    Ids and timestamps are counted separately, so a replay that performs the same operations in
    the same order produces the same nodes.
    """

    def __init__(self, seed: str, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("DerivedIds needs a timezone-aware start time")
        self.seed = seed
        self.start = start
        self._ids = 0
        self._ticks = 0

    def _digest(self) -> bytes:
        digest = hashlib.sha256(f"{self.seed}:{self._ids}".encode()).digest()
        self._ids += 1
        return digest

    def fresh_hex(self) -> str:
        return uuid.UUID(bytes=self._digest()[:16], version=4).hex

    def fresh_uuid(self) -> str:
        return str(uuid.UUID(bytes=self._digest()[:16], version=4))

    def now(self) -> str:
        moment = self.start + timedelta(microseconds=self._ticks)
        self._ticks += 1
        return rfc3339(moment)


_DEFAULT = RandomIds()
_CURRENT: ContextVar[IdSource] = ContextVar("lash_id_source", default=_DEFAULT)


def current_id_source() -> IdSource:
    """The id source graph operations use right now (``RandomIds`` unless one is selected)."""
    return _CURRENT.get()


@contextmanager
def use_id_source(source: IdSource) -> Iterator[IdSource]:
    """Route every graph id and timestamp drawn inside the block through ``source``."""
    token = _CURRENT.set(source)
    try:
        yield source
    finally:
        _CURRENT.reset(token)
