"""A worker-local cache of open sessions, trusted only while the store's head agrees.

A cached entry holds the state as of its last commit and the live runtime (interpreter globals,
plugins, tools). A turn takes the entry out while it runs and puts it back only on success, so an
attempt that failed half-way never leaves a state that is ahead of (or behind) the store.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from activities.agent._runtime import SessionRuntime
from checkpoint.model import PersistedSessionState


@dataclass
class OpenSession:
    state: PersistedSessionState
    runtime: SessionRuntime


class SessionCache:
    """Least-recently-used, bounded by ``capacity`` sessions."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, OpenSession] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def take(self, session_id: str, head_revision: int | None) -> OpenSession | None:
        """Remove and return the entry if it is at ``head_revision``; drop a stale one."""
        entry = self._entries.pop(session_id, None)
        fresh = entry is not None and head_revision is not None
        if fresh and entry is not None and entry.state.head_revision == head_revision:
            self.hits += 1
            return entry
        self.misses += 1
        return None

    def revision(self, session_id: str) -> int | None:
        """The head revision of the cached entry, without taking it (None: not cached)."""
        entry = self._entries.get(session_id)
        return entry.state.head_revision if entry is not None else None

    def put(self, session_id: str, entry: OpenSession) -> None:
        self._entries[session_id] = entry
        self._entries.move_to_end(session_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
