"""SessionWorkflow: one long-running workflow per agent session, id ``lash-session/<session_id>``.

The workflow only orchestrates: it queues messages, runs one ``run_turn`` activity per message in
arrival order, starts sub-agent sessions as child workflows, and keeps refs and small figures (the
head, the turn index, the usage ledger). The conversation itself lives in the checkpoint store, so
history grows by a constant amount per turn, and a run continues as new at a quiet point carrying
refs only. Where the workflow cannot know the store's head (a new run of a session whose previous
workflow was closed; the moment after a turn failed for good, maybe after progress commits), it
reads it with the small ``lash.load_session_head`` activity before going on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)
from temporalio.workflow import ActivityCancellationType, ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.contract import (
        LOAD_SESSION_HEAD_ACTIVITY,
        REWIND_SESSION_ACTIVITY,
        RUN_TURN_ACTIVITY,
        TURN_RETRY_SIGNAL,
        ApprovalDecision,
        ChildRequest,
        ChildResult,
        HeadRef,
        RewindRequest,
        SessionHeadRequest,
        SessionHeadView,
        TurnOutcome,
        TurnRequest,
        TurnRetry,
    )
    from activities.failures import NON_RETRYABLE_ERROR_TYPES
    from checkpoint.model import SessionUsageReport, TokenLedgerEntry
    from workflows.contract import (
        ApprovalReply,
        ApproveInput,
        ChildApprovals,
        ChildSession,
        PendingApproval,
        QueuedMessage,
        RewindInput,
        SendInput,
        SessionCarry,
        SessionEnd,
        SessionInput,
        SessionSummary,
        StartEmpty,
        StartFromCarry,
        StartFromSnapshot,
        TurnAnswer,
        TurnReply,
        check_user_text,
        workflow_id,
    )
    from workflows.sandbox import search as _search
    from workflows.sandbox.children import (
        child_input,
        child_result,
        failed_child,
        session_title,
    )
    from workflows.sandbox.details import (
        SUMMARY_TEXT_CHARS,
        describe_failure,
        render_details,
        turn_summary,
    )
    from workflows.sandbox.ledger import merge_ledger, usage_report
    from workflows.sandbox.turn_index import TurnIndexPublisher

ANSWERS_KEPT = 32
"""Recent turns whose answers the ``answer`` query still gives: a caller asks right after its
update returns, so only a session taking that many turns in between loses one (the whole
answer is in the store either way)."""

ANSWERS_CARRIED = 4
"""Of those, how many the next run takes over on continue-as-new (the carry stays small)."""

MAX_CHILD_ROUNDS = 16
"""A turn that keeps asking for sub-agents past this many rounds fails instead of looping.
Rounds that wait for approvals are not counted: each step asks for a call's decision once."""

HEAD_LOAD_ATTEMPTS = 3
"""Attempts at loading the session head before giving up for now: a caller waits on it, so a
store outage fails fast here and the load is tried again before the next turn."""
HEAD_LOAD_TIMEOUT = timedelta(minutes=2)
"""Longest one head load may take (a new run of a stored session reads its active path; no
heartbeats)."""
HEAD_LOAD_PATCH = "lash.load-session-head"
"""Patch id of the head load: runs recorded before it existed replay (and go on) without it."""
MOVING_TO_NEW_RUN = "SessionMovingToNewRun"
"""Error type of an update refused while a run winds down to continue as new; ``client.send``
sends it again, and it reaches the new run."""
HEAD_UNAVAILABLE = "SessionHeadUnavailable"
"""Error type of a turn refused because the head it must start from could not be loaded."""
SESSION_CANCELLED = "SessionCancelled"
"""Error type a waiting message gets when its session is cancelled before its turn ran."""
CHILD_TIMEOUT_PATCH = "lash.child-timeout"
"""Patch id of the per-child timeout timer: runs recorded before it replay without it."""
CHILD_CLOSE_POLICY = ParentClosePolicy.REQUEST_CANCEL
"""A sub-agent whose parent closes (terminated, timed out, failed) is asked to cancel, so it
stops its own turn at a safe point and cancels its own sub-agents, instead of being cut off
mid-commit (Temporal's default, TERMINATE)."""


def _cancel_requested() -> bool:
    """This session's workflow was asked to cancel (UI, ``temporal workflow cancel``, client)."""
    return workflow.cancellation_reason() is not None


def _evicted() -> bool:
    """Whether this code runs outside the workflow's event loop: the worker dropped the run from
    its cache and Python closes its suspended coroutines (GeneratorExit), where ``finally``
    blocks must make no workflow call (CI logged "Not in workflow event loop" from one)."""
    return not workflow.in_workflow()


def _uncancel() -> None:
    """Clear a caught cancellation, so the awaits that stop the session cleanly can run."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


def _is_head_unavailable(err: BaseException) -> bool:
    return isinstance(err, ApplicationError) and err.type == HEAD_UNAVAILABLE


@dataclass
class _Queued:
    """A message waiting for its turn; ``ticket`` is set when an update waits for the outcome."""

    text: str
    ticket: int | None


@workflow.defn(name="lash.session")
class SessionWorkflow:
    """A durable agent session: an update per message, a turn activity per message."""

    @workflow.init
    def __init__(self, inp: SessionInput) -> None:
        self._input = inp
        carry = inp.start.carry if isinstance(inp.start, StartFromCarry) else None
        self._head: HeadRef | None = carry.head if carry else None
        self._turn_index = carry.turn_index if carry else 0
        self._ledger: list[TokenLedgerEntry] = list(carry.ledger) if carry else []
        self._last_excerpt = carry.last_excerpt if carry else ""
        self._answers: dict[int, TurnAnswer] = dict(carry.answers) if carry else {}
        """Recent turns' answers by turn index (the ``answer`` query); at most ANSWERS_KEPT."""
        self._run_count = carry.run_count if carry else 1
        self._model_calls = carry.model_calls if carry else 0
        self._tool_calls = carry.tool_calls if carry else 0
        if carry:
            self._snapshot_ref = carry.snapshot_ref
        elif isinstance(inp.start, StartFromSnapshot):
            self._snapshot_ref = inp.start.snapshot_ref
        else:
            self._snapshot_ref = None
        self._queue: deque[_Queued] = deque(
            _Queued(m.text, None) for m in (carry.queued if carry else [])
        )
        if inp.first_message is not None and carry is None:
            self._queue.append(_Queued(inp.first_message, None))
        self._results: dict[int, TurnReply | BaseException] = {}
        self._next_ticket = 0
        self._updates_this_run = 0
        self._in_flight = False
        self._closing = False
        self._last_error: str | None = None
        # A run that starts empty may belong to a session the store already holds (its previous
        # workflow was closed); after a failed turn the store may be ahead. Either way the
        # workflow's figures are a guess until it has read the store's head.
        self._needs_head = carry.needs_head if carry else isinstance(inp.start, StartEmpty)
        # Call counts come from turn outcomes; a new run of a stored session takes the store's.
        self._counts_known = not self._needs_head or carry is not None
        self._index = TurnIndexPublisher(enabled=inp.search_attributes)
        self._interrupt = False
        """An interrupt was asked for the running turn."""
        self._turn_activity: asyncio.Task[TurnOutcome] | None = None
        self._child_tasks: list[asyncio.Task[ChildResult]] = []
        self._rewinding = False
        """A ``rewind`` is committing: the next turn waits for its head."""
        self._waiting_approval: dict[str, PendingApproval] = {}
        """Calls of the running turn that wait for a decision, by tool call id."""
        self._children_waiting: dict[str, list[PendingApproval]] = {}
        """Running sub-agents' waiting calls, by child session id (their ``child_approvals``)."""
        self._forwarded = False
        """This sub-agent has told its parent about waiting calls it has not cleared yet."""
        self._decisions: dict[str, ApprovalDecision] = {}
        """Decisions on the running turn's calls (every later attempt carries them)."""
        self._turn_id: str | None = None
        """The running turn's id (retry notices of other turns are stale)."""
        self._retry: TurnRetry | None = None
        """The running turn's last failed attempt, while Temporal retries it."""

    @workflow.run
    async def run(self, inp: SessionInput) -> SessionEnd:
        """Serve turns until closed (a sub-agent ends after its task); continue as new when due."""
        self._upsert_search_attributes()
        self._publish_details()
        try:
            await self._serve(inp)
        except asyncio.CancelledError:
            await self._end_cancelled()
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._index.flush()
        if isinstance(inp.relation, ChildSession):
            # The parent reads a child's answer and usage from the store (what it committed),
            # so its result carries only whether it failed: a few bytes in the parent's history.
            return SessionEnd(session_id=inp.session_id, turn_index=self._turn_index,
                              answer="", error=self._last_error)
        return SessionEnd(
            session_id=inp.session_id,
            turn_index=self._turn_index,
            answer=self._last_excerpt,
            ledger=self._ledger,
            error=self._last_error,
        )

    async def _serve(self, inp: SessionInput) -> None:
        """Run turns until closed; raises CancelledError once the session is cancelled (after
        the turn in flight has stopped and committed what it completed)."""
        if self._needs_head:
            await self._load_head()
        is_child = isinstance(inp.relation, ChildSession)
        while True:
            if _cancel_requested():
                raise asyncio.CancelledError
            await workflow.wait_condition(
                lambda: bool(self._queue) or self._closing or self._continue_as_new_due()
            )
            if self._continue_as_new_due() and not self._closing:
                # Quiet point: no turn in flight (we are between turns) and no handler running.
                # Queued posts travel in the carry; a queued update keeps its handler running,
                # so its turn runs first.
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() or self._update_queued()
                )
                if workflow.all_handlers_finished():
                    self._index.flush()
                    workflow.continue_as_new(self._carry_input())
            if self._queue:
                await self._run_next()
                if is_child and not self._queue:
                    break
                continue
            if self._closing:
                break
        if _cancel_requested():
            raise asyncio.CancelledError

    async def _end_cancelled(self) -> None:
        """Answer every waiting message (their turns will not run), then let the run end
        Canceled. The turn in flight, if any, has already stopped and answered its caller."""
        _uncancel()
        err = ApplicationError(
            f"session {self._input.session_id!r} was cancelled before this message ran",
            type=SESSION_CANCELLED,
            non_retryable=True,
        )
        while self._queue:
            item = self._queue.popleft()
            if item.ticket is not None:
                self._results[item.ticket] = err
        self._last_error = "cancelled"
        self._publish_details()
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._index.flush()

    @workflow.update(name="send")
    async def send(self, inp: SendInput) -> TurnReply:
        """Run one turn with this message (after those before it) and return its outcome."""
        ticket = self._enqueue_update(inp.text)
        await workflow.wait_condition(lambda: ticket in self._results)
        result = self._results.pop(ticket)
        if isinstance(result, BaseException):
            raise result
        return result

    @send.validator
    def _validate_send(self, inp: SendInput) -> None:
        """Refuse bad input before the update is accepted, so it leaves no event in history."""
        check_user_text(inp.text)
        if self._closing:
            raise ValueError(f"session {self._input.session_id!r} is closing")
        if self._continue_as_new_due() and not self._idle():
            # Updates that keep coming would keep a handler running, and a run with a running
            # handler cannot continue as new: its history would grow until the server kills it.
            # An idle run takes the message instead: a refused update leaves no event, so the
            # server drops the workflow task that saw the suggestion, and whatever the run did
            # in it (continuing as new included). Nothing else would ever wake an idle run, and
            # every resend would be refused the same way. Accepted, the message makes the task
            # real; its turn runs, and the run continues as new right after it.
            raise ApplicationError(
                f"session {self._input.session_id!r} is moving to a new run; send again",
                type=MOVING_TO_NEW_RUN,
                non_retryable=True,
            )

    @workflow.signal(name="post")
    def post(self, inp: SendInput) -> None:
        """Fire-and-forget message; signals cannot be refused, so bad input is dropped and noted."""
        try:
            check_user_text(inp.text)
        except ValueError as err:
            self._last_error = f"dropped a posted message: {err}"
            workflow.logger.warning("session %s: %s", self._input.session_id, self._last_error)
            return
        self._queue.append(_Queued(inp.text, None))
        self._publish_details()

    @workflow.signal(name=TURN_RETRY_SIGNAL)
    def turn_retry(self, notice: TurnRetry) -> None:
        """A failed attempt of the running turn reports itself (the workflow cannot see
        activity attempts); the details say so until the turn ends."""
        if notice.turn_id != self._turn_id:
            return  # a notice that arrived after its turn ended
        self._retry = notice
        self._publish_details()

    @workflow.signal(name="close")
    def close(self) -> None:
        """End the session once the queued messages have run."""
        self._closing = True

    @workflow.update(name="interrupt")
    def interrupt(self) -> int:
        """Stop the running turn at its next safe point; returns its index. The turn commits
        what it completed and answers its caller with status ``interrupted``; the session then
        takes the next message as usual."""
        self._interrupt = True
        if self._turn_activity is not None:
            self._turn_activity.cancel()
        for task in self._child_tasks:
            task.cancel()
        return self._turn_index + 1

    @interrupt.validator
    def _validate_interrupt(self) -> None:
        if not self._in_flight:
            raise ValueError(f"session {self._input.session_id!r} has no turn running")

    @workflow.update(name="approve")
    async def approve(self, inp: ApproveInput) -> ApprovalReply:
        """Approve or deny one waiting call, once; the turn goes on when none waits."""
        self._waiting_approval.pop(inp.tool_call_id)
        self._decisions[inp.tool_call_id] = ApprovalDecision(
            tool_call_id=inp.tool_call_id, approved=inp.approve, reason=inp.reason
        )
        self._publish_details()
        await self._forward_waiting()
        return ApprovalReply(tool_call_id=inp.tool_call_id, approved=inp.approve,
                             waiting=len(self._waiting_approval))

    @approve.validator
    def _validate_approve(self, inp: ApproveInput) -> None:
        """An unknown or already decided call is refused before the update is accepted, so it
        leaves no event in history."""
        call = inp.tool_call_id
        decided = self._decisions.get(call)
        if decided is not None:
            word = "approved" if decided.approved else "denied"
            raise ValueError(f"call {call!r} was already {word}; a decision is made once")
        if call not in self._waiting_approval:
            waiting = ", ".join(sorted(self._waiting_approval)) or "none"
            raise ValueError(
                f"session {self._input.session_id!r} has no call {call!r} waiting for "
                f"approval (waiting: {waiting})"
            )

    @workflow.query(name="pending")
    def pending(self) -> list[PendingApproval]:
        """The calls that wait for a decision: this session's, oldest first, then its running
        sub-agents' (each names the session to decide it in)."""
        mine = list(self._waiting_approval.values())
        return mine + [w for waiting in self._children_waiting.values() for w in waiting]

    @workflow.signal(name="child_approvals")
    async def child_approvals(self, inp: ChildApprovals) -> None:
        """A running sub-agent's waiting calls changed: list them here, and pass them up."""
        if inp.waiting:
            self._children_waiting[inp.child_session_id] = list(inp.waiting)
        else:
            self._children_waiting.pop(inp.child_session_id, None)
        self._publish_details()
        await self._forward_waiting()

    async def _forward_waiting(self) -> None:
        """A sub-agent tells its parent what waits in it and below it, so a person watching the
        root session sees every call and where to decide it. Best effort: a parent that is gone
        has nobody to tell."""
        relation = self._input.relation
        if not isinstance(relation, ChildSession):
            return
        waiting = self.pending()
        if not waiting and not self._forwarded:
            return
        self._forwarded = bool(waiting)
        parent = workflow.get_external_workflow_handle(workflow_id(relation.parent_session_id))
        try:
            await parent.signal(
                "child_approvals",
                ChildApprovals(child_session_id=self._input.session_id, waiting=waiting),
            )
        except Exception as err:  # the parent closed: the child's own query still lists them
            workflow.logger.warning("session %s: cannot tell the parent about waiting calls: %s",
                                    self._input.session_id, err)

    @workflow.update(name="rewind")
    async def rewind(self, inp: RewindInput) -> SessionSummary:
        """Continue from the end of turn ``to_turn``: the next message starts a new branch
        there (lash's re-branch: the old turns stay in the graph, off the active path). Turn
        indices keep increasing and the ledger keeps what the old branch spent."""
        self._rewinding = True
        self._updates_this_run += 1
        try:
            info = workflow.current_update_info()
            view: SessionHeadView = await workflow.execute_activity(
                REWIND_SESSION_ACTIVITY,
                RewindRequest(
                    session_id=self._input.session_id, to_turn=inp.to_turn,
                    checkpoint_ref=inp.checkpoint_ref, leaf_node_id=inp.leaf_node_id,
                    rewind_id=info.id if info is not None else str(workflow.uuid4()),
                ),
                result_type=SessionHeadView,
                summary=f"rewind to turn {inp.to_turn}",
                start_to_close_timeout=min(self._input.timeouts.start_to_close, HEAD_LOAD_TIMEOUT),
                retry_policy=RetryPolicy(
                    maximum_attempts=HEAD_LOAD_ATTEMPTS,
                    non_retryable_error_types=list(NON_RETRYABLE_ERROR_TYPES),
                ),
            )
        finally:
            self._rewinding = False
        self._head = view.head
        self._last_excerpt = view.last_answer_excerpt
        self._publish_details()
        return self.summary()

    @rewind.validator
    def _validate_rewind(self, inp: RewindInput) -> None:
        """Refuse before acceptance (no history event): a turn past the last, or a busy run."""
        sid = self._input.session_id
        if self._needs_head:
            raise ValueError(f"session {sid!r} has not loaded its head from the store yet; "
                             "try again in a moment")
        if inp.to_turn > self._turn_index:
            raise ValueError(f"session {sid!r} has turns 0 to {self._turn_index}, "
                             f"not {inp.to_turn}")
        if inp.to_turn > 0 and (inp.checkpoint_ref is None or inp.leaf_node_id is None):
            raise ValueError(f"rewinding to turn {inp.to_turn} needs that turn's checkpoint "
                             "and leaf (client.rewind reads them from the history)")
        if self._closing:
            raise ValueError(f"session {sid!r} is closing")
        if self._in_flight or self._queue or self._rewinding:
            raise ValueError(f"session {sid!r} is busy (a turn or a rewind is running or "
                             "queued); rewind when it is idle")

    @workflow.query(name="summary")
    def summary(self) -> SessionSummary:
        """Where the session stands: turn index, head, last answer, runs."""
        relation = self._input.relation
        return SessionSummary(
            session_id=self._input.session_id,
            title=session_title(self._input),
            parent_session_id=(
                relation.parent_session_id if isinstance(relation, ChildSession) else None
            ),
            turn_index=self._turn_index,
            head_revision=self._head.head_revision if self._head else None,
            checkpoint_ref=self._head.checkpoint_ref if self._head else None,
            leaf_node_id=self._head.leaf_node_id if self._head else None,
            last_answer_excerpt=self._last_excerpt,
            run_count=self._run_count,
            queued=len(self._queue),
            in_flight=self._in_flight,
            model_calls=self._model_calls,
            tool_calls=self._tool_calls,
            last_error=self._last_error,
            provider=self._input.policy.provider,
            model=self._input.policy.model,
            pending_approvals=self.pending(),
            turn_retry=(f"attempt {self._retry.attempt} failed: {self._retry.error}"
                        if self._retry else None),
            approval_tools=self._input.policy.approval_tools,
            approval_timeout=self._input.policy.approval_timeout,
        )

    @workflow.query(name="answer")
    def answer(self, turn_index: int) -> TurnAnswer | None:
        """A recent turn's answer (None when it is not among the last ANSWERS_KEPT): the
        ``send`` update leaves it out, since the turn's outcome in history holds it."""
        return self._answers.get(turn_index)

    @workflow.query(name="usage")
    def usage(self) -> SessionUsageReport:
        """The session's usage report, from the ledger the workflow keeps from turn outcomes."""
        return usage_report(self._ledger)

    # -- turns ---------------------------------------------------------------------------------

    def _enqueue_update(self, text: str) -> int:
        ticket = self._next_ticket
        self._next_ticket += 1
        self._updates_this_run += 1
        self._queue.append(_Queued(text, ticket))
        self._publish_details()
        return ticket

    async def _run_next(self) -> None:
        await workflow.wait_condition(lambda: not self._rewinding)
        item = self._queue.popleft()
        self._in_flight = True
        self._interrupt = False
        self._publish_details()
        try:
            outcome = await self._run_turn(item.text)
        except asyncio.CancelledError:
            # The turn's activity was stopped in the same moment it finished, so its outcome
            # is lost: the store says whether it committed (below).
            _uncancel()
            err: BaseException = ApplicationError(
                "the turn was interrupted; `show` says whether it committed",
                type="TurnInterrupted",
                non_retryable=True,
            )
            await self._failed(item, err)
        except (ActivityError, ChildWorkflowError, ApplicationError, ValidationError) as failure:
            await self._failed(item, failure)
        else:
            self._last_error = None
            if item.ticket is not None:
                self._results[item.ticket] = TurnReply.of(outcome)
        finally:
            self._in_flight = False
            self._turn_id, self._retry = None, None
            self._publish_details()

    async def _failed(self, item: _Queued, err: BaseException) -> None:
        """A turn that failed for good: the caller hears why, and the session stays open."""
        self._last_error = describe_failure(err)
        workflow.logger.warning("session %s: turn failed: %s", self._input.session_id,
                                self._last_error)
        # Its progress commits may have moved the head and used its index: read the store
        # before answering, so the caller and the next turn see where the session stands.
        self._needs_head = True
        if not _is_head_unavailable(err):
            problem = await self._load_head()
            if problem is not None:
                self._last_error += f" (and the session head could not be reloaded: {problem})"
        if item.ticket is not None:
            self._results[item.ticket] = err

    async def _run_turn(self, text: str) -> TurnOutcome:
        if self._needs_head:
            problem = await self._load_head()
            if problem is not None:
                raise ApplicationError(
                    "the turn did not run: the session head could not be loaded from the store, "
                    f"so its turn index is unknown: {problem}",
                    type=HEAD_UNAVAILABLE,
                    non_retryable=True,
                )
        turn_index = self._turn_index + 1
        request = TurnRequest(
            session_id=self._input.session_id,
            turn_index=turn_index,
            turn_id=str(workflow.uuid4()),
            started_at=workflow.now(),
            user_text=text,
            policy=self._input.policy,
            base=self._base(),
            start_snapshot_ref=self._snapshot_ref if self._head is None else None,
            title=self._input.title,
        )
        summary = turn_summary(turn_index, text)
        self._decisions = {}
        self._turn_id = request.turn_id
        child_rounds = 0
        while True:
            outcome = await self._execute_turn(request, summary)
            self._absorb(outcome)
            if outcome.status == "awaiting_approval":
                decisions = await self._await_approvals(outcome)
                request = request.model_copy(
                    update={"base": self._base(), "approvals": decisions, "stop": self._stopping()}
                )
                continue
            if outcome.status != "awaiting_children":
                self._turn_index = outcome.turn_index
                self._last_excerpt = outcome.answer_excerpt
                self._answers[outcome.turn_index] = TurnAnswer(
                    answer_excerpt=outcome.answer_excerpt,
                    answer_truncated=outcome.answer_truncated,
                )
                for old in list(self._answers)[:-ANSWERS_KEPT]:
                    del self._answers[old]
                self._index.publish(self._turn_index)
                return outcome
            child_rounds += 1
            if child_rounds > MAX_CHILD_ROUNDS:
                raise ApplicationError(
                    f"turn {turn_index} still awaited sub-agents after {MAX_CHILD_ROUNDS} rounds",
                    type="ContractError",
                    non_retryable=True,
                )
            if self._stopping():
                results = [failed_child(r, "not started: the turn was stopped")
                           for r in outcome.child_requests]
            else:
                results = await self._run_children(outcome.child_requests)
            request = request.model_copy(
                update={"base": self._base(), "child_results": results, "stop": self._stopping()}
            )

    async def _await_approvals(self, outcome: TurnOutcome) -> list[ApprovalDecision]:
        """Wait until a person has decided every call the turn handed back (``approve``), or
        deny those left when the policy's ``approval_timeout`` passes or the turn is stopped
        (an interrupt, a cancellation). Returns every decision of the turn so far."""
        asked = outcome.approval_requests
        if not asked or any(r.tool_call_id in self._decisions for r in asked):
            raise ApplicationError(
                f"turn {outcome.turn_index} asked for approval of no call, or of a call "
                "already decided",
                type="ContractError",
                non_retryable=True,
            )
        timeout = self._input.policy.approval_timeout
        now = workflow.now()
        for req in outcome.approval_requests:
            self._waiting_approval[req.tool_call_id] = PendingApproval(
                session_id=self._input.session_id, turn_index=outcome.turn_index, request=req,
                asked_at=now,
                deadline=now + timeout if timeout is not None else None,
            )
        self._publish_details()
        await self._forward_waiting()
        reason = "the turn was stopped before anyone decided"
        try:
            await workflow.wait_condition(
                lambda: not self._waiting_approval or self._stopping(),
                timeout=timeout,
                timeout_summary="approval timeout",
            )
        except TimeoutError:
            reason = f"no decision within {timeout}"
        except asyncio.CancelledError:
            _uncancel()  # the session is being cancelled: deny, then let the turn stop
        for call in list(self._waiting_approval):
            self._decisions[call] = ApprovalDecision(tool_call_id=call, approved=False,
                                                     reason=reason)
        self._waiting_approval.clear()
        self._publish_details()
        await self._forward_waiting()
        return list(self._decisions.values())

    async def _execute_turn(self, request: TurnRequest, summary: str) -> TurnOutcome:
        timeouts = self._input.timeouts
        handle: workflow.ActivityHandle[TurnOutcome] = workflow.start_activity(
            RUN_TURN_ACTIVITY,
            request,
            result_type=TurnOutcome,
            summary=summary,
            start_to_close_timeout=timeouts.start_to_close,
            heartbeat_timeout=timeouts.heartbeat,
            retry_policy=RetryPolicy(
                initial_interval=timeouts.retry_initial,
                maximum_interval=timeouts.retry_maximum,
                maximum_attempts=timeouts.max_attempts,
                non_retryable_error_types=list(NON_RETRYABLE_ERROR_TYPES),
            ),
            # An interrupt or a cancellation waits for the turn to stop at a safe point and
            # commit what it completed: the store then says exactly which turns ran.
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        self._turn_activity = handle
        try:
            return await handle
        finally:
            self._turn_activity = None

    def _base(self) -> HeadRef | None:
        """The head a turn starts from, as its request carries it: the revision alone, which
        is all the activity checks (the refs are in the previous turn's receipt already)."""
        return HeadRef(head_revision=self._head.head_revision) if self._head else None

    def _stopping(self) -> bool:
        """The running turn is to end at its next safe point (interrupt, or cancellation)."""
        return self._interrupt or _cancel_requested()

    def _absorb(self, outcome: TurnOutcome) -> None:
        """Take the new head and the usage deltas of one attempt's commit."""
        receipt = outcome.receipt
        self._head = HeadRef(
            head_revision=receipt.head_revision,
            checkpoint_ref=receipt.checkpoint_ref,
            leaf_node_id=receipt.leaf_node_id,
            node_window=receipt.node_window,  # a run's carry tells a history reader about it
        )
        self._ledger = merge_ledger(self._ledger, outcome.usage_deltas)
        if outcome.status == "completed":
            # The completed outcome counts the whole turn, continuations included.
            self._model_calls += outcome.model_calls
            self._tool_calls += outcome.tool_calls

    async def _load_head(self) -> str | None:
        """Take head, turn index, ledger and last answer from the store; None when done, else
        why not (the next turn tries again). Call counts are taken only by a new run: after a
        failed turn the workflow's own counts (completed turns' outcomes) stay right."""
        if not workflow.patched(HEAD_LOAD_PATCH):
            # A run that began before workflows loaded the head: it goes on as it was recorded.
            self._needs_head = False
            return None
        timeouts = self._input.timeouts
        try:
            view: SessionHeadView = await workflow.execute_activity(
                LOAD_SESSION_HEAD_ACTIVITY,
                SessionHeadRequest(session_id=self._input.session_id,
                                   counts=not self._counts_known),
                result_type=SessionHeadView,
                summary="load the session head from the store",
                start_to_close_timeout=min(timeouts.start_to_close, HEAD_LOAD_TIMEOUT),
                retry_policy=RetryPolicy(
                    initial_interval=timeouts.retry_initial,
                    maximum_interval=timeouts.retry_maximum,
                    maximum_attempts=HEAD_LOAD_ATTEMPTS,
                    non_retryable_error_types=list(NON_RETRYABLE_ERROR_TYPES),
                ),
            )
        except ActivityError as err:
            problem = describe_failure(err)
            workflow.logger.warning("session %s: cannot load the head: %s",
                                    self._input.session_id, problem)
            return problem
        self._needs_head = False
        changed = view.turn_index != self._turn_index
        self._head = view.head
        self._turn_index = view.turn_index
        self._ledger = list(view.ledger)
        self._last_excerpt = view.last_answer_excerpt
        if not self._counts_known:
            self._model_calls = view.model_calls
            self._tool_calls = view.tool_calls
            self._counts_known = True
        if changed:
            self._index.publish(self._turn_index)
        self._publish_details()
        return None

    # -- sub-agents ----------------------------------------------------------------------------

    async def _run_children(self, requests: list[ChildRequest]) -> list[ChildResult]:
        """Run the children side by side, under one deadline (``subagent_timeout``): those
        still running then are cancelled and fail as timed out. A cancellation of this session
        (or an interrupt) cancels them too. Either way the turn waits until each has stopped,
        so what they committed is final when it goes on."""
        timed_out: set[str] = set()
        tasks = [asyncio.create_task(self._run_child(r, timed_out)) for r in requests]
        self._child_tasks = tasks
        try:
            if workflow.patched(CHILD_TIMEOUT_PATCH):
                try:
                    await workflow.wait_condition(
                        lambda: all(task.done() for task in tasks),
                        timeout=max(r.policy.subagent_timeout for r in requests),
                        timeout_summary="sub-agent timeout",
                    )
                except TimeoutError:
                    for req, task in zip(requests, tasks, strict=True):
                        if not task.done():
                            timed_out.add(req.tool_call_id)
                            task.cancel()
            await workflow.wait(tasks)
        except asyncio.CancelledError:
            _uncancel()  # the session is being cancelled: stop the children first
            for task in tasks:
                task.cancel()
            await workflow.wait(tasks)
        finally:
            self._child_tasks = []
        return [task.result() for task in tasks]

    async def _run_child(self, req: ChildRequest, timed_out: set[str]) -> ChildResult:
        """One sub-agent. Whatever happens to it (it fails, times out, is cancelled or cannot
        start), the parent's tool call gets an answer: a failure is a failed tool call."""
        try:
            return await self._child_outcome(req, timed_out)
        finally:
            waited = self._children_waiting.pop(req.child_session_id, None) is not None
            if waited and not _evicted():
                self._publish_details()
                await self._forward_waiting()

    async def _child_outcome(self, req: ChildRequest, timed_out: set[str]) -> ChildResult:
        try:
            inp = child_input(self._input, req)
        except ValidationError as err:
            return failed_child(req, f"sub-agent refused: {err}")
        try:
            end = await workflow.execute_child_workflow(
                SessionWorkflow.run,
                inp,
                id=workflow_id(req.child_session_id),
                static_summary=f"sub-agent · {session_title(inp)[:SUMMARY_TEXT_CHARS]}",
                parent_close_policy=CHILD_CLOSE_POLICY,
            )
        except asyncio.CancelledError:
            _uncancel()
            return failed_child(req, "cancelled before it answered")
        except (ChildWorkflowError, WorkflowAlreadyStartedError) as err:
            if req.tool_call_id in timed_out:
                limit = req.policy.subagent_timeout
                return failed_child(req, f"timed out after {limit}", timed_out=True)
            return failed_child(req, describe_failure(err))
        return child_result(req, end)

    # -- continue-as-new, UI -------------------------------------------------------------------

    def _idle(self) -> bool:
        """No turn running or waiting: only a new message can wake the run."""
        return not self._in_flight and not self._queue

    def _update_queued(self) -> bool:
        return any(item.ticket is not None for item in self._queue)

    def _continue_as_new_due(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._updates_this_run >= self._input.max_updates_per_run
        )

    def _carry_input(self) -> SessionInput:
        carry = SessionCarry(
            head=self._head,
            turn_index=self._turn_index,
            queued=[QueuedMessage(text=q.text) for q in self._queue],
            ledger=self._ledger,
            last_excerpt=self._last_excerpt,
            answers=dict(list(self._answers.items())[-ANSWERS_CARRIED:]),
            run_count=self._run_count + 1,
            model_calls=self._model_calls,
            tool_calls=self._tool_calls,
            snapshot_ref=self._snapshot_ref if self._head is None else None,
            needs_head=self._needs_head,
        )
        return self._input.model_copy(update={"start": StartFromCarry(carry=carry),
                                              "first_message": None})

    def _upsert_search_attributes(self) -> None:
        """Every key at the start of a run; later only the turn index changes (``_index``)."""
        if not self._input.search_attributes:
            return
        updates: list[SearchAttributeUpdate[Any]] = [
            _search.TURN_INDEX.value_set(self._turn_index),
            _search.SESSION_ID.value_set(self._input.session_id),
            _search.MODEL.value_set(self._input.policy.model),
        ]
        if isinstance(self._input.relation, ChildSession):
            updates.append(
                _search.PARENT_SESSION_ID.value_set(self._input.relation.parent_session_id)
            )
        workflow.upsert_search_attributes(updates)
        self._index.published()

    def _publish_details(self) -> None:
        if _evicted():
            return
        workflow.set_current_details(render_details(self.summary(), self._ledger))

