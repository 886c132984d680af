"""``lash-temporal gc`` and ``vacuum``: the store's maintenance, run by an operator.

Both go through ``StoreMaintenance`` and are safe while workers run: GC excludes commits while
it marks and sweeps, and never deletes what a head or a retained checkpoint references. Progress
goes to stderr on long runs; the summary (sessions, nodes, blobs, bytes) to stdout.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Protocol, TextIO, cast

from checkpoint.store import SessionStore, StoreMaintenance, redact_url
from workflows.host.cli._access import open_store_at
from workflows.host.cli._config import PROG
from workflows.host.cli._durations import duration_text
from workflows.host.cli._errors import CliError
from workflows.host.cli._render import count, plural

VACUUM_PROGRESS_EVERY = 100
"""Sessions vacuumed between two progress lines."""


class MaintainedStore(SessionStore, StoreMaintenance, Protocol):
    """What the operator commands type against: both protocols."""


@asynccontextmanager
async def maintained_store(url: str) -> AsyncIterator[MaintainedStore]:
    """The store at ``url`` (which must exist), closed afterwards."""
    store = await open_store_at(url, must_exist=True)
    try:
        if not isinstance(store, StoreMaintenance):
            raise CliError(f"store {redact_url(url)} offers no maintenance")
        yield cast(MaintainedStore, store)
    finally:
        await store.close()


def _say(err: TextIO, text: str) -> None:
    err.write(f"{PROG}: {text}\n")
    err.flush()


def _kept(retention: timedelta | None) -> str:
    if retention is None:
        return "every checkpoint of every session kept (no --retention)"
    return f"checkpoints older than {duration_text(retention)} dropped unless a head holds them"


async def run_gc(
    url: str, retention: timedelta | None, *, dry_run: bool, err: TextIO = sys.stderr
) -> str:
    """Collect garbage (or only count it); the summary."""
    async with maintained_store(url) as store:
        sessions = len(await store.list_sessions())
        _say(err, f"gc: marking from {plural(sessions, 'session')}…")
        report = await store.gc(
            retention, dry_run=dry_run,
            progress=lambda done, total: _say(
                err, f"gc: read {count(done)} of {count(total)} checkpoints"
            ),
        )
    rows = [
        ("sessions", sessions),
        ("blobs kept", report.kept),
        ("blobs to delete" if dry_run else "blobs deleted", report.deleted),
        ("bytes to free" if dry_run else "bytes freed", report.freed_bytes),
    ]
    title = "gc (dry run, nothing deleted)" if dry_run else "gc"
    return "\n".join([
        f"{title} on {redact_url(url)}: {_kept(retention)}",
        *(f"  {name:<17}{count(value)}" for name, value in rows),
    ])


async def run_vacuum(
    url: str, session_id: str | None, *, detached: bool, err: TextIO = sys.stderr
) -> str:
    """Delete tombstoned (and, with ``detached``, rewritten-away) nodes; the summary."""
    async with maintained_store(url) as store:
        if session_id is not None:
            if await store.load_head_revision(session_id) is None:
                raise CliError(f"no session {session_id!r} in the store {redact_url(url)}")
            sessions = [session_id]
        else:
            sessions = await store.list_sessions()
        nodes = 0
        for done, sid in enumerate(sessions, 1):
            nodes += await store.vacuum(sid, detached=detached)
            if done % VACUUM_PROGRESS_EVERY == 0:
                _say(err, f"vacuum: {count(done)} of {count(len(sessions))} sessions, "
                     f"{plural(nodes, 'node')} deleted")
        if session_id is None:  # rows of sessions whose head went meanwhile
            nodes += await store.vacuum(None, detached=detached)
    which = "tombstoned" if not detached else "tombstoned and rewritten-away"
    return "\n".join([
        f"vacuum on {redact_url(url)}: {which} nodes deleted",
        f"  {'sessions':<17}{count(len(sessions))}",
        f"  {'nodes deleted':<17}{count(nodes)}",
    ])


__all__ = ["VACUUM_PROGRESS_EVERY", "MaintainedStore", "maintained_store", "run_gc", "run_vacuum"]
