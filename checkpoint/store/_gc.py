"""Garbage collection: which blobs a store keeps (spec §12.7, fixed for workflow histories).

Roots are every session's head checkpoint, every checkpoint a session committed within the
retention (default: all of them, for as long as the session exists), and every blob a session
explicitly rooted with ``put_blob(..., session_id=...)`` or ``put_payload`` within the same
retention, counted from the last time it was put (a history that refers to it again puts it
again). A root checkpoint keeps its manifest's tool-state, plugin-snapshot and execution-state
blobs. So an older ``checkpoint_ref`` that a workflow history still holds keeps resolving; lash
kept only the current head's (spec §16.6). Everything else is deleted. GC runs in one
transaction that no commit can interleave with, so it never deletes a blob that a commit is
about to reference.
A dry run marks and counts the same way in the same kind of transaction, and deletes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from checkpoint.blobs import open_blob
from checkpoint.store._backend import Backend

_MANIFEST_REFS = ("tool_state_ref", "plugin_snapshot_ref", "execution_state_ref")


@dataclass(frozen=True, slots=True)
class GcReport:
    """What one GC pass found: blobs kept (rooted and present) and blobs deleted (in a dry run:
    that would be), with the stored bytes they held."""

    kept: int
    deleted: int
    freed_bytes: int = 0
    dry_run: bool = False


GcProgress = Callable[[int, int], None]
"""Called with (checkpoint manifests read, how many there are) while GC marks."""

PROGRESS_EVERY = 1000
"""Manifests read between two progress calls (marking reads one per rooted checkpoint)."""


async def collect_garbage(
    backend: Backend, retention: timedelta | None, now: float, *, dry_run: bool = False,
    progress: GcProgress | None = None,
) -> GcReport:
    """Mark from the roots, sweep the rest (unless ``dry_run``), in one exclusive transaction."""
    since = None if retention is None else now - retention.total_seconds()
    async with backend.gc_tx() as tx:
        checkpoints = await tx.head_checkpoint_refs() | await tx.receipt_checkpoint_refs(since)
        live = checkpoints | await tx.blob_root_refs(since)
        for done, ref in enumerate(sorted(checkpoints), 1):
            manifest = open_blob(ref, await tx.read_blob(ref))
            live.update(manifest[k] for k in _MANIFEST_REFS if manifest.get(k) is not None)
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, len(checkpoints))
        stored = await tx.all_blob_refs()
        dead = sorted(stored - live)
        freed = await tx.blob_bytes(dead) if dead else 0
        deleted = len(dead) if dry_run or not dead else await tx.delete_blobs(dead)
    return GcReport(kept=len(stored & live), deleted=deleted, freed_bytes=freed, dry_run=dry_run)


__all__ = ["PROGRESS_EVERY", "GcProgress", "GcReport", "collect_garbage"]
