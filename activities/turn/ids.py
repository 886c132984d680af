"""Every id a turn derives, in one place: message ids, node id sources, child session ids,
commit operation ids and effect journal keys.

Each is a pure function of (session, turn id, ordinal), so a retried or resumed attempt forms
the same ids as the first one, and the store's exactly-once rules (a receipt per operation id,
the first write per journal key) can recognise it. Tests form ids here too, never by hand.
Changing any format orphans what stored sessions and journals already hold.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from checkpoint.model import DerivedIds

# --- graph ids -----------------------------------------------------------------------------------


def message_id(session_id: str, turn_id: str, ordinal: str) -> str:
    """``"m" + 32 hex`` like lash's ``fresh_message_id``, but derived, not random. Ordinals:
    ``"user"``, ``f"a{step}"`` (a model reply), ``f"r{step}"`` (its tool results)."""
    digest = hashlib.sha256(f"{session_id}:{turn_id}:{ordinal}".encode()).hexdigest()
    return "m" + digest[:32]


def id_source(
    session_id: str, turn_id: str, ordinal: str, started_at: datetime, offset_ms: int
) -> DerivedIds:
    """Node ids and timestamps for what one step appends: seeded by the turn and ``ordinal``,
    times from the turn's start plus ``offset_ms``."""
    start = started_at + timedelta(milliseconds=offset_ms)
    return DerivedIds(seed=f"{session_id}:{turn_id}:{ordinal}", start=start)


def child_session_id(session_id: str, turn_id: str, tool_call_id: str) -> str:
    """A sub-agent's session id, so a retried turn asks for the same child."""
    digest = hashlib.sha256(f"{turn_id}:{tool_call_id}".encode()).hexdigest()[:12]
    return f"{session_id}.child-{digest}"


# --- commit operation ids ----------------------------------------------------------------------


def final_op(session_id: str, turn_id: str) -> str:
    """The final commit's operation id: once per turn, whatever the attempt."""
    return f"{session_id}:{turn_id}:final"


def progress_op(session_id: str, turn_id: str, step: int) -> str:
    """The progress commit after tool round ``step``."""
    return f"{session_id}:{turn_id}:progress:{step}"


def await_op(session_id: str, turn_id: str, step: int) -> str:
    """The commit that hands sub-agent requests back to the workflow at ``step``."""
    return f"{progress_op(session_id, turn_id, step)}:await"


def approval_op(session_id: str, turn_id: str, step: int) -> str:
    """The commit that hands calls waiting for approval back to the workflow at ``step`` (a
    step may hand back approvals, then sub-agents: each has its own commit)."""
    return f"{progress_op(session_id, turn_id, step)}:approval"


# --- effect journal keys (per session and turn id) ---------------------------------------------

OUTCOME_KEY = "outcome"
"""The turn's summary, journaled by its final commit."""
CHILD_PREFIX = "child:"


def model_key(step: int) -> str:
    """A model reply."""
    return f"model:{step}"


def tools_key(step: int) -> str:
    """A tool batch."""
    return f"tools:{step}"


def usage_key(step: int) -> str:
    """The mark that a commit counted step ``step``'s model usage."""
    return f"usage:{step}"


def child_key(tool_call_id: str) -> str:
    """A child's result, by the ``spawn_agent`` call that made it."""
    return f"{CHILD_PREFIX}{tool_call_id}"


def call_started_key(step: int, call_id: str) -> str:
    """The mark that an attempt began running an approved call (run at most once)."""
    return f"started:{step}:{call_id}"


def call_key(step: int, call_id: str) -> str:
    """An approved call's result, journaled as soon as it completes."""
    return f"call:{step}:{call_id}"


__all__ = [
    "CHILD_PREFIX",
    "OUTCOME_KEY",
    "approval_op",
    "await_op",
    "call_key",
    "call_started_key",
    "child_key",
    "child_session_id",
    "final_op",
    "id_source",
    "message_id",
    "model_key",
    "progress_op",
    "tools_key",
    "usage_key",
]

