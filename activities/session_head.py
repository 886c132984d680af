"""``load_session_head``: where a session stands in the store, as refs and small figures.

A session workflow keeps the head, the turn index and the ledger from its turn outcomes, but two
moments leave it unable to know them: a new run of a session the store already holds (the previous
workflow was closed), and a turn that failed for good after its progress commits moved the head
and used the turn's index. Then it asks this read-only activity, once, and goes on from the
store's head. The answer is small whatever the conversation's length: refs, counts, the ledger and
an excerpt, never messages. So is the read when the call counts are not asked for (after a failed
turn): the head (``load_head``) and the few nodes back to the last answer.

Its name and its request and view models are in ``activities.contract``, which is all workflow
code imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from temporalio import activity

from activities.contract import (
    LOAD_SESSION_HEAD_ACTIVITY,
    HeadRef,
    SessionHeadRequest,
    SessionHeadView,
    answer_text,
    excerpt,
    last_answer,
)
from activities.failures import final_failures
from checkpoint.model import (
    ActivePath,
    HydratedSessionCheckpoint,
    TokenLedgerEntry,
)

if TYPE_CHECKING:
    from checkpoint.store import SessionStore

_WALK_LIMIT = 256
"""Nodes a head load without counts reads back from the leaf for the last answer before it
reads the whole active path instead (a failed turn leaves a few nodes after its last answer)."""


def _view(
    head: HeadRef,
    checkpoint: HydratedSessionCheckpoint | None,
    ledger: Sequence[TokenLedgerEntry],
    answer: str,
    *,
    model_calls: int = 0,
    tool_calls: int = 0,
) -> SessionHeadView:
    """The view of a stored head, whichever read found it."""
    return SessionHeadView(
        head=head,
        turn_index=checkpoint.turn_state.turn_index if checkpoint is not None else 0,
        ledger=list(ledger),
        last_answer_excerpt=excerpt(answer),
        model_calls=model_calls,
        tool_calls=tool_calls,
    )


async def last_answer_near(store: SessionStore, session_id: str, leaf: str | None) -> str | None:
    """``last_answer`` of the active path, reading at most ``_WALK_LIMIT`` nodes back from
    the leaf ("" when the path has no answer; None when the walk gave up)."""
    node_id = leaf
    for _ in range(_WALK_LIMIT):
        if node_id is None:
            return ""
        node = await store.load_node(session_id, node_id)
        if node is None:
            return ""  # a dangling parent ends the active path
        message = node.message()
        if message is not None and not message.is_transient():
            answer = answer_text(message)
            if answer is not None:
                return answer
        node_id = node.parent_node_id
    return None


class SessionHeadActivities:
    """The read-only session activity of one worker, over the worker's store."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    @activity.defn(name=LOAD_SESSION_HEAD_ACTIVITY)
    async def load_session_head(self, request: SessionHeadRequest) -> SessionHeadView:
        """Head ref, turn index, ledger, counts and last answer of the stored session."""
        with final_failures(f"cannot load the head of session {request.session_id!r}"):
            return await self._load(request.session_id, request.counts)

    async def _load(self, session_id: str, counts: bool) -> SessionHeadView:
        if not counts:
            view = await self._load_without_counts(session_id)
            if view is not None:
                return view
        read = await self.store.load_session(session_id, ActivePath())
        if read is None:
            return SessionHeadView()
        messages = read.graph.messages()
        return _view(
            HeadRef(
                head_revision=read.head_revision,
                checkpoint_ref=read.checkpoint_ref,
                leaf_node_id=read.graph.leaf_node_id,
                node_window=read.node_window,
            ),
            read.checkpoint,
            read.token_ledger,
            last_answer(messages),
            model_calls=sum(1 for m in messages if m.role == "Assistant"),
            tool_calls=sum(1 for m in messages for part in m.parts if part.kind == "ToolCall"),
        )

    async def _load_without_counts(self, session_id: str) -> SessionHeadView | None:
        """The head (no node read), and the last answer found by walking back from the leaf,
        which is a few nodes at most after a failed turn; None if the walk runs long."""
        head = await self.store.load_head(session_id)
        if head is None:
            return SessionHeadView()
        answer = await last_answer_near(self.store, session_id, head.leaf_node_id)
        if answer is None:
            return None
        ref = HeadRef(
            head_revision=head.head_revision,
            checkpoint_ref=head.checkpoint_ref,
            leaf_node_id=head.leaf_node_id,
            node_window=head.node_window,
        )
        return _view(ref, head.checkpoint, head.token_ledger, answer)


__all__ = ["SessionHeadActivities", "last_answer_near"]
