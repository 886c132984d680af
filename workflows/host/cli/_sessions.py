"""``lash-temporal sessions``: the sessions a store holds, newest activity first.

One store query (``list_session_summaries``) however many sessions there are; no Temporal call,
so it lists sessions whose workflows are long gone too.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from checkpoint.store import StoredSession
from workflows.host.cli._maintain import maintained_store
from workflows.host.cli._render import count


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace(
        "+00:00", "Z"
    )


def session_json(s: StoredSession) -> dict[str, Any]:
    """One listed session as JSON."""
    return {
        "session_id": s.session_id,
        "turn_index": s.turn_index,
        "head_revision": s.head_revision,
        "node_count": s.node_count,
        "last_activity": _when(s.last_activity),
        "parent_session_id": s.parent_session_id,
        "session_name": s.meta.session_name if s.meta else None,
        "relation": s.meta.relation.kind if s.meta else None,
    }


def sessions_text(found: list[StoredSession]) -> str:
    """A table: session, turns, last activity (UTC), parent, name."""
    if not found:
        return "(no sessions)"
    width = max(len("SESSION"), *(len(s.session_id) for s in found))
    lines = [f"{'SESSION':<{width}}  {'TURNS':>6}  {'LAST ACTIVITY':<20}  PARENT / NAME"]
    for s in found:
        name = (s.meta.session_name or "") if s.meta else ""
        tail = " · ".join(x for x in (s.parent_session_id or "-", name) if x)
        lines.append(f"{s.session_id:<{width}}  {count(s.turn_index):>6}  "
                     f"{_when(s.last_activity):<20}  {tail}")
    return "\n".join(lines)


async def list_sessions(
    url: str, *, parent: str | None, since: timedelta | None, limit: int | None,
    as_json: bool,
) -> str:
    """What ``sessions`` prints."""
    cutoff = time.time() - since.total_seconds() if since is not None else None
    async with maintained_store(url) as store:
        found = await store.list_session_summaries(
            parent_session_id=parent, since=cutoff, limit=limit
        )
    if as_json:
        return json.dumps([session_json(s) for s in found], indent=2, ensure_ascii=False)
    return sessions_text(found)


__all__ = ["list_sessions", "session_json", "sessions_text"]
