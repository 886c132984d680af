"""``rewind_session``: move a session back to the end of an earlier turn, through the store.

The workflow's ``rewind`` update runs it. It is lash's re-branch: one exactly-once commit moves
the leaf (and the tool, plugin and execution state) back to turn N's, nothing is deleted, the
old branch stays in the graph, and the turn counter and the ledger keep their values (the old
branch's usage was spent; the next turn gets the next index). The commit itself is
``checkpoint.store.rewind_commit``; this module only adapts it to the workflow's contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import activity

from activities.contract import (
    REWIND_SESSION_ACTIVITY,
    HeadRef,
    RewindRequest,
    SessionHeadView,
    excerpt,
)
from activities.failures import final_failures
from activities.session_head import last_answer_near
from checkpoint.errors import SessionNotFoundError
from checkpoint.store import rewind_commit, rewind_op

if TYPE_CHECKING:
    from checkpoint.store import SessionStore


class RewindActivities:
    """The rewind activity of one worker, over the worker's store."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    @activity.defn(name=REWIND_SESSION_ACTIVITY)
    async def rewind_session(self, request: RewindRequest) -> SessionHeadView:
        """Commit the rewind (once) and answer the rewound head."""
        context = f"cannot rewind session {request.session_id!r} to turn {request.to_turn}"
        with final_failures(context):
            return await self._rewind(request)

    async def _rewind(self, request: RewindRequest) -> SessionHeadView:
        sid = request.session_id
        head = await self.store.load_head(sid)
        if head is None:
            raise SessionNotFoundError(sid)
        receipt = await rewind_commit(
            self.store, head, to_turn=request.to_turn, leaf_node_id=request.leaf_node_id,
            checkpoint_ref=request.checkpoint_ref,
            operation_id=rewind_op(sid, request.rewind_id),
        )
        answer = await last_answer_near(self.store, sid, receipt.leaf_node_id)
        return SessionHeadView(
            head=HeadRef(head_revision=receipt.head_revision,
                         checkpoint_ref=receipt.checkpoint_ref,
                         leaf_node_id=receipt.leaf_node_id,
                         node_window=receipt.node_window),
            turn_index=receipt.manifest.turn_state.turn_index,
            ledger=list(head.token_ledger),
            last_answer_excerpt=excerpt(answer or ""),
        )


__all__ = ["RewindActivities"]
