"""``load_session_head``: where a session stands in the store, as refs and small figures.

A session workflow keeps the head, the turn index and the ledger from its turn outcomes, but two
moments leave it unable to know them: a new run of a session the store already holds (the previous
workflow was closed), and a turn that failed for good after its progress commits moved the head
and used the turn's index. Then it asks this read-only activity, once, and goes on from the
store's head. The answer is small whatever the conversation's length: refs, counts, the ledger and
an excerpt, never messages.

Importing this module does no I/O and pulls in no store code, so workflow code may import the
name and the models (the sandbox passes ``activities`` through).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contract import ANSWER_EXCERPT_CHARS, HeadRef, excerpt
from checkpoint.errors import DETERMINISTIC_ERRORS
from checkpoint.model import ActivePath, Message, TokenLedgerEntry

if TYPE_CHECKING:
    from checkpoint.store import CheckpointStore

LOAD_SESSION_HEAD_ACTIVITY = "lash.load_session_head"
"""Stable activity name; renaming it breaks every recorded history."""

_FATAL: tuple[type[Exception], ...] = (*DETERMINISTIC_ERRORS, ValidationError)
"""A missing or damaged blob, or a stored record that does not parse: no retry can fix it."""


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SessionHeadRequest(_Wire):
    """Which session to look up."""

    session_id: str = Field(min_length=1)


class SessionHeadView(_Wire):
    """The store's view of a session; ``head`` is None when the store does not hold it."""

    head: HeadRef | None = None
    turn_index: int = Field(default=0, ge=0)
    """``turn_index`` of the head's checkpoint: the last turn that committed anything (a failed
    turn's progress commits included), so the next turn takes this plus one."""
    ledger: list[TokenLedgerEntry] = Field(default_factory=list)
    last_answer_excerpt: str = Field(default="", max_length=ANSWER_EXCERPT_CHARS)
    """The last final answer on the active path (an assistant message without tool calls)."""
    model_calls: int = Field(default=0, ge=0)
    """Assistant messages on the active path: the model calls of the turns stored so far."""
    tool_calls: int = Field(default=0, ge=0)
    """Tool call parts on the active path."""


def _last_answer(messages: Sequence[Message]) -> str:
    """The text of the latest assistant message that asked for no tools, as turns end."""
    for message in reversed(messages):
        if message.role != "Assistant":
            continue
        if any(part.kind == "ToolCall" for part in message.parts):
            continue
        return "".join(part.content for part in message.parts if part.kind == "Prose")
    return ""


class SessionHeadActivities:
    """The read-only session activity of one worker, over the worker's store."""

    def __init__(self, store: CheckpointStore) -> None:
        self.store = store

    @activity.defn(name=LOAD_SESSION_HEAD_ACTIVITY)
    async def load_session_head(self, request: SessionHeadRequest) -> SessionHeadView:
        """Head ref, turn index, ledger, counts and last answer of the stored session."""
        try:
            return await self._load(request.session_id)
        except _FATAL as exc:
            raise ApplicationError(
                f"cannot load the head of session {request.session_id!r}: {exc}",
                type=type(exc).__name__,
                non_retryable=True,
            ) from exc

    async def _load(self, session_id: str) -> SessionHeadView:
        read = await self.store.load_session(session_id, ActivePath())
        if read is None:
            return SessionHeadView()
        messages = read.graph.messages()
        turn_state = read.checkpoint.turn_state if read.checkpoint is not None else None
        return SessionHeadView(
            head=HeadRef(
                head_revision=read.head_revision,
                checkpoint_ref=read.checkpoint_ref,
                leaf_node_id=read.graph.leaf_node_id,
            ),
            turn_index=turn_state.turn_index if turn_state is not None else 0,
            ledger=list(read.token_ledger),
            last_answer_excerpt=excerpt(_last_answer(messages)),
            model_calls=sum(1 for m in messages if m.role == "Assistant"),
            tool_calls=sum(
                1 for m in messages for part in m.parts if part.kind == "ToolCall"
            ),
        )


__all__ = [
    "LOAD_SESSION_HEAD_ACTIVITY",
    "SessionHeadActivities",
    "SessionHeadRequest",
    "SessionHeadView",
]
