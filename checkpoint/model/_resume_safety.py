"""The resume-safety predicate that gates every mid-turn commit (spec §4).

An assistant tool-call message may be persisted only once its results exist, because a prompt
resumed from the stored messages must pair every call with exactly one result.
"""

from __future__ import annotations

from collections.abc import Iterable

from checkpoint.errors import ResumeSafetyError

from ._message import Message


def resume_safety_problem(messages: Iterable[Message]) -> str | None:
    """Why the messages are not resume-safe, or None when they are."""
    calls: set[str] = set()
    results: set[str] = set()
    for message in messages:
        for part in message.parts:
            if part.kind not in ("ToolCall", "ToolResult"):
                continue  # Reasoning and prose parts take no part in pairing
            call_id = (part.tool_call_id or "").strip()
            if part.kind == "ToolCall":
                if message.role != "Assistant":
                    return f"tool call part {part.id} is in a {message.role} message"
                if not call_id:
                    return f"tool call part {part.id} has a blank call id"
                if call_id in calls:
                    return f"tool call id {call_id!r} appears twice"
                calls.add(call_id)
            else:
                if message.role != "User":
                    return f"tool result part {part.id} is in a {message.role} message"
                if not call_id:
                    return f"tool result part {part.id} has a blank call id"
                if call_id not in calls:
                    return f"tool result {call_id!r} has no earlier call"
                if call_id in results:
                    return f"tool call {call_id!r} has more than one result"
                results.add(call_id)
    if len(calls) != len(results):
        pending = sorted(calls - results)
        return f"tool calls without results: {', '.join(pending)}"
    return None


def messages_are_prompt_resume_safe(messages: Iterable[Message]) -> bool:
    """lash's predicate: calls in Assistant messages with unique non-blank ids, each answered
    by exactly one later result in a User message, and as many results as calls."""
    return resume_safety_problem(messages) is None


def ensure_prompt_resume_safe(messages: Iterable[Message], *, session_id: str = "") -> None:
    """Raise ResumeSafetyError (naming the problem) unless the messages are resume-safe."""
    problem = resume_safety_problem(messages)
    if problem is not None:
        where = f"session {session_id!r}: " if session_id else ""
        raise ResumeSafetyError(f"{where}messages are not resume-safe: {problem}")
