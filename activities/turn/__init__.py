"""The durable turn: the ``run_turn`` activity and everything that makes a retry safe.

- ``TurnActivities`` (``_activity``): load the session, run the agent loop, commit, return refs;
- ``ids``: every derived id, operation id and journal key (tests form ids with it too);
- ``_journal``: the effect journal (model calls and tool batches replayed, never re-run);
- ``_cache``: the worker's open sessions, trusted while the store's head agrees;
- ``_heartbeat``: progress beats, so a new attempt resumes where a dead worker stopped;
- ``_usage``: which model calls a commit counts, exactly once;
- ``_metas``: the ``SessionMeta`` a turn records for sessions it creates.

``TurnActivities`` is imported on first use, so the agent loop can use the journal and ids
without importing the activity that runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activities.turn._heartbeat import HEARTBEAT_EVERY

if TYPE_CHECKING:
    from activities.turn._activity import TurnActivities, session_policy


def __getattr__(name: str) -> Any:
    """``TurnActivities`` and ``session_policy``, imported when first asked for."""
    if name not in ("TurnActivities", "session_policy"):
        raise AttributeError(f"module 'activities.turn' has no attribute {name!r}")
    from activities.turn import _activity

    return getattr(_activity, name)


__all__ = ["HEARTBEAT_EVERY", "TurnActivities", "session_policy"]
