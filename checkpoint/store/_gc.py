"""Garbage collection: which blobs a store keeps (spec §12.7, fixed for workflow histories).

Roots are every session's head checkpoint, every checkpoint a session committed within the
retention (default: all of them, for as long as the session exists), and every blob a session
explicitly rooted with ``put_blob(..., session_id=...)`` within the same retention. A root
checkpoint keeps its manifest's tool-state, plugin-snapshot and execution-state blobs. So an
older ``checkpoint_ref`` that a workflow history still holds keeps resolving; lash kept only the
current head's (spec §16.6). Everything else is deleted. GC runs in one transaction that no
commit can interleave with, so it never deletes a blob that a commit is about to reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from checkpoint.blobs import open_blob
from checkpoint.store._backend import Backend

_MANIFEST_REFS = ("tool_state_ref", "plugin_snapshot_ref", "execution_state_ref")


@dataclass(frozen=True, slots=True)
class GcReport:
    """What one GC pass found: blobs kept (rooted and present) and blobs deleted."""

    kept: int
    deleted: int


async def collect_garbage(backend: Backend, retention: timedelta | None, now: float) -> GcReport:
    """Mark from the roots, sweep the rest, in one exclusive transaction."""
    since = None if retention is None else now - retention.total_seconds()
    async with backend.gc_tx() as tx:
        checkpoints = await tx.head_checkpoint_refs() | await tx.receipt_checkpoint_refs(since)
        live = checkpoints | await tx.blob_root_refs(since)
        for ref in sorted(checkpoints):
            manifest = open_blob(ref, await tx.read_blob(ref))
            live.update(manifest[k] for k in _MANIFEST_REFS if manifest.get(k) is not None)
        stored = await tx.all_blob_refs()
        dead = sorted(stored - live)
        deleted = await tx.delete_blobs(dead) if dead else 0
    return GcReport(kept=len(stored & live), deleted=deleted)


__all__ = ["GcReport", "collect_garbage"]
