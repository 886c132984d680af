"""``LashTurnIndex`` kept current without one search-attribute upsert per turn.

Every upsert is a history event plus a visibility write on the server. On the 2-core dev machine
it measured 1.7 ms of a 22 ms turn, more than a tenth, for a value that only has to be fresh
enough to find sessions by. So, as the SDKs throttle heartbeats, a session upserts the index at
once when the last upsert is at least ``TURN_INDEX_REFRESH`` old, which is every turn of an
interactive session whose turns call a model, and otherwise once, from a timer, when that much
time has passed. Before a run ends (closed, or continued as new) any pending value is upserted,
so a closed session's index is exact. The ``summary`` query and the current details are always
exact; only the search index may trail by at most ``TURN_INDEX_REFRESH``.

Runs recorded before this existed upserted every turn; ``workflow.patched`` keeps them replaying.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

from workflows.sandbox import search as _search

TURN_INDEX_REFRESH = timedelta(seconds=1)
"""Longest time ``LashTurnIndex`` trails the session's turn index."""
COALESCE_PATCH = "lash.coalesce-turn-index"
"""Patch id: runs recorded before coalescing upsert every turn, as they did."""


class TurnIndexPublisher:
    """Upserts ``LashTurnIndex`` at most once per ``TURN_INDEX_REFRESH`` (workflow code)."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._published_at: datetime | None = None
        self._pending: int | None = None
        self._timer: asyncio.Task[None] | None = None

    def published(self) -> None:
        """Note an upsert that carried the index (the run's first, with the other keys)."""
        self._published_at = workflow.now()
        self._pending = None

    def publish(self, index: int) -> None:
        """Upsert ``index`` now, or from a timer once the refresh interval has passed."""
        if not self._enabled:
            return
        last = self._published_at
        if last is None or workflow.now() - last >= TURN_INDEX_REFRESH or not workflow.patched(
            COALESCE_PATCH
        ):
            self._upsert(index)
            return
        self._pending = index
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._upsert_at(last + TURN_INDEX_REFRESH))

    def flush(self) -> None:
        """Upsert a pending index now: the run is about to end."""
        if self._pending is not None:
            self._upsert(self._pending)

    async def _upsert_at(self, due: datetime) -> None:
        await workflow.sleep(
            max(due - workflow.now(), timedelta(milliseconds=1)),
            summary="refresh the LashTurnIndex search attribute",
        )
        self.flush()

    def _upsert(self, index: int) -> None:
        workflow.upsert_search_attributes([_search.TURN_INDEX.value_set(index)])
        self.published()


__all__ = ["COALESCE_PATCH", "TURN_INDEX_REFRESH", "TurnIndexPublisher"]
