"""How a parent session's turn becomes child sessions, and a child's end becomes a tool result.

Pure functions, so the workflow keeps only the orchestration (start, wait, gather).
"""

from __future__ import annotations

from activities.contract import ChildRequest, ChildResult, task_title
from workflows.contract import ChildSession, SessionEnd, SessionInput, StartFromSnapshot


def child_input(parent: SessionInput, req: ChildRequest) -> SessionInput:
    """A sub-agent session: starts from the snapshot the turn wrote, runs the task, then ends.

    Raises pydantic's ValidationError when the request cannot make a session (an empty task).
    """
    return SessionInput(
        session_id=req.child_session_id,
        policy=req.policy,
        start=StartFromSnapshot(snapshot_ref=req.snapshot_ref),
        relation=ChildSession(parent_session_id=parent.session_id, tool_call_id=req.tool_call_id),
        first_message=req.task,  # its title is derived from it (``session_title``)
        timeouts=parent.timeouts,
        search_attributes=parent.search_attributes,
    )


def session_title(inp: SessionInput) -> str:
    """A session's title: its own, or a sub-agent's task on one line (not written twice into
    the parent's history, once as title and once as the first message)."""
    if inp.title or inp.first_message is None:
        return inp.title
    return task_title(inp.first_message)


def child_result(req: ChildRequest, end: SessionEnd) -> ChildResult:
    """The parent's view of a finished child: its answer, or, if its turn failed for good, the
    failure (the parent's tool call fails with it). Usage is read from the store by the turn."""
    return ChildResult(
        child_session_id=req.child_session_id,
        tool_call_id=req.tool_call_id,
        answer=end.answer,
        usage=end.ledger,
        error=end.error,
    )


def failed_child(req: ChildRequest, reason: str, *, timed_out: bool = False) -> ChildResult:
    """A child that did not answer still answers its tool call, as a failure, so the parent's
    turn goes on."""
    return ChildResult(
        child_session_id=req.child_session_id,
        tool_call_id=req.tool_call_id,
        answer="",
        error=reason,
        timed_out=timed_out,
    )
