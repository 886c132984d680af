"""The ``SessionMeta`` a turn records for the sessions it creates (spec §9, §13).

A root session's meta rides the commit that creates its head; a sub-agent's is written by its
parent's turn, in the commit that hands the child back to the workflow, because only the parent
knows the tool call that made it. Both are insert-if-absent in the store, so a retried turn
never rewrites who a session is.
"""

from __future__ import annotations

import time

from activities.contract import ChildRequest, TurnRequest, task_title
from checkpoint.model import ChildRelation, RootRelation, SessionMeta


def created_at(now: float | None = None) -> str:
    """lash's format (its SQLite factory): ``unix:{seconds}``."""
    return f"unix:{int(time.time() if now is None else now)}"


def root_meta(request: TurnRequest, now: float | None = None) -> SessionMeta:
    """A root session, named by its title or else its id."""
    return SessionMeta(
        session_id=request.session_id,
        session_name=request.title or request.session_id,
        created_at=created_at(now),
        model=request.policy.model,
        relation=RootRelation(),
    )


def child_meta(
    parent_session_id: str, child: ChildRequest, now: float | None = None
) -> SessionMeta:
    """A sub-agent of ``parent_session_id``, made by the tool call ``child.tool_call_id``."""
    return SessionMeta(
        session_id=child.child_session_id,
        session_name=task_title(child.task) or child.child_session_id,
        created_at=created_at(now),
        model=child.policy.model,
        relation=ChildRelation(
            parent_session_id=parent_session_id, originating_tool_call_id=child.tool_call_id
        ),
    )


__all__ = ["child_meta", "created_at", "root_meta"]
