"""Talk to session workflows: connect with the plugin, send a message, read a summary.

``send`` uses update-with-start, so the first message of a session starts its workflow and every
later one joins it; the caller never has to know whether the session is running. After ``close``,
the next message starts a new run that continues from the store's head.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionDescription,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.contract import MAX_USER_TEXT_BYTES, TurnPolicy, check_user_text
from checkpoint.model import SessionUsageReport
from workflows.contract import (
    ApprovalReply,
    ApproveInput,
    PendingApproval,
    SendInput,
    SessionEnd,
    SessionInput,
    SessionSummary,
    TurnReply,
    TurnTimeouts,
    workflow_id,
)
from workflows.payloads import PayloadSource
from workflows.plugin import LashPlugin
from workflows.session import MOVING_TO_NEW_RUN, SessionWorkflow

_SEND: Any = SessionWorkflow.send
"""The update; typed Any because mypy resolves the async update method to the wrong overload."""
_APPROVE: Any = SessionWorkflow.approve
"""The same, for ``approve``."""
_RESEND_FIRST_DELAY = 0.05
_RESEND_MAX_DELAY = 1.0
_RESEND_WITHIN = 600.0
"""How long ``send`` keeps sending a message that a run refused while it continued as new.
The run moves on once the turns it already accepted have run (at most one per waiting caller),
so with quick turns one or two tries do; with model calls of minutes it can take that long."""

_ANSWER_TIMEOUT = timedelta(seconds=10)
"""How long ``send`` waits for the ``answer`` query: the turn has run, and the store has the
answer if the query is slow."""

DEFAULT_TARGET = "127.0.0.1:7233"
DEFAULT_TASK_QUEUE = "lash-sessions"

MAX_MESSAGE_ENV = "LASH_MAX_MESSAGE_BYTES"
DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024
"""The largest message a client sends unless ``LASH_MAX_MESSAGE_BYTES`` says otherwise."""


def max_message_bytes() -> int:
    """The configured message limit in UTF-8 bytes (``LASH_MAX_MESSAGE_BYTES``, default 10 MiB,
    at most ``MAX_USER_TEXT_BYTES``, which every session enforces itself); ValueError if bad."""
    raw = os.environ.get(MAX_MESSAGE_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_MESSAGE_BYTES
    if not raw.isdigit() or not 0 < int(raw) <= MAX_USER_TEXT_BYTES:
        raise ValueError(f"{MAX_MESSAGE_ENV}={raw!r}: give a number of bytes from 1 to "
                         f"{MAX_USER_TEXT_BYTES:,}")
    return int(raw)


def check_message(text: str) -> str:
    """``check_user_text`` with the configured limit: what every client call checks first."""
    return check_user_text(text, max_message_bytes())


async def connect(
    target: str = DEFAULT_TARGET, *, namespace: str = "default", store: PayloadSource | None = None
) -> Client:
    """A client with the lash plugin (plain-JSON pydantic payloads; large payloads by reference
    through ``store``, a store or an opener called on first need); ``build_worker`` takes it as
    it is (the client's plugin then configures the worker)."""
    return await Client.connect(target, namespace=namespace, plugins=[LashPlugin(store=store)])


async def has_poller(client: Client, task_queue: str) -> bool:
    """Whether a worker has polled the task queue lately; RPC errors propagate."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    response = await client.workflow_service.describe_task_queue(request)
    return bool(response.pollers)


def session_input(
    session_id: str,
    *,
    policy: TurnPolicy | None = None,
    title: str = "",
    timeouts: TurnTimeouts | None = None,
) -> SessionInput:
    """The input a new root session starts with; validated here, before it reaches a workflow."""
    return SessionInput(
        session_id=session_id,
        policy=policy or TurnPolicy(),
        title=title,
        timeouts=timeouts or TurnTimeouts(),
    )


def _start_op(
    inp: SessionInput, task_queue: str
) -> WithStartWorkflowOperation[SessionWorkflow, SessionEnd]:
    return WithStartWorkflowOperation(
        SessionWorkflow.run,
        inp,
        id=workflow_id(inp.session_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=inp.title or f"session {inp.session_id}",
    )


async def send(
    client: Client,
    session_id: str,
    text: str,
    *,
    policy: TurnPolicy | None = None,
    title: str = "",
    timeouts: TurnTimeouts | None = None,
    task_queue: str = DEFAULT_TASK_QUEUE,
    update_id: str | None = None,
) -> TurnReply:
    """Run one turn with ``text``, starting the session's workflow if it is not running.

    The policy, title and timeouts only matter when this call starts the workflow. Pass an
    ``update_id`` to make a retried call idempotent (the server runs an update id once).
    """
    message = SendInput(text=check_message(text))
    inp = session_input(session_id, policy=policy, title=title, timeouts=timeouts)
    reply = await _resending(
        lambda: client.execute_update_with_start_workflow(
            _SEND,
            message,
            start_workflow_operation=_start_op(inp, task_queue),
            id=update_id,
        )
    )
    return await _with_answer(client, session_id, reply)


async def send_to_running(
    client: Client, session_id: str, text: str, *, update_id: str | None = None
) -> TurnReply:
    """``send`` to a session whose workflow is running, as a plain update (one round trip
    less than update-with-start; fails if the session's workflow is not running)."""
    message = SendInput(text=check_message(text))
    reply = await _resending(
        lambda: handle(client, session_id).execute_update(_SEND, message, id=update_id)
    )
    return await _with_answer(client, session_id, reply)


async def _with_answer(client: Client, session_id: str, reply: TurnReply) -> TurnReply:
    """The reply with the turn's answer, which the update's result leaves out (history holds
    it once, in the turn's outcome).

    The turn has committed by now, so neither a failed query nor an answer the workflow no
    longer keeps fails the send: the reply then says the answer is cut (``answer_truncated``
    with an empty excerpt), and the caller reads it from the store. Workers from before the
    ``answer`` query put the answer in the reply, so a client can be upgraded before them."""
    if reply.answer_excerpt:
        return reply
    try:
        answer = await handle(client, session_id).query(
            SessionWorkflow.answer, reply.turn_index, rpc_timeout=_ANSWER_TIMEOUT
        )
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError, RPCError):
        answer = None
    if answer is None:
        return reply.model_copy(update={"answer_truncated": True})
    return reply.model_copy(update=answer.model_dump())


async def _resending(call: Callable[[], Awaitable[TurnReply]]) -> TurnReply:
    """``call()``, made again while the run refuses it because it is continuing as new (a
    refused update leaves no trace; the same call then reaches the new run)."""
    delay, deadline = _RESEND_FIRST_DELAY, time.monotonic() + _RESEND_WITHIN
    while True:
        try:
            return await call()
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            moving = isinstance(cause, ApplicationError) and cause.type == MOVING_TO_NEW_RUN
            if not moving or time.monotonic() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, _RESEND_MAX_DELAY)


async def post(
    client: Client,
    session_id: str,
    text: str,
    *,
    policy: TurnPolicy | None = None,
    title: str = "",
    task_queue: str = DEFAULT_TASK_QUEUE,
) -> None:
    """Queue a message without waiting for its turn (signal-with-start)."""
    message = SendInput(text=check_message(text))
    inp = session_input(session_id, policy=policy, title=title)
    await client.start_workflow(
        SessionWorkflow.run,
        inp,
        id=workflow_id(session_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        start_signal="post",
        start_signal_args=[message],
    )


def handle(client: Client, session_id: str) -> WorkflowHandle[SessionWorkflow, SessionEnd]:
    """The handle of a session's workflow (its latest run)."""
    return client.get_workflow_handle_for(SessionWorkflow.run, workflow_id(session_id))


async def describe(client: Client, session_id: str) -> WorkflowExecutionDescription:
    """Temporal's view of the session's latest run: status, history length and size, attributes."""
    return await handle(client, session_id).describe()


async def summary(client: Client, session_id: str) -> SessionSummary:
    """Turn index, head revision, checkpoint ref and last answer excerpt of a session."""
    return await handle(client, session_id).query(SessionWorkflow.summary)


async def usage(client: Client, session_id: str) -> SessionUsageReport:
    """The session's usage report, as its workflow tracks it."""
    return await handle(client, session_id).query(SessionWorkflow.usage)


async def interrupt(client: Client, session_id: str) -> int:
    """Stop the session's running turn at its next safe point; returns that turn's index. The
    turn's caller gets an outcome with status ``interrupted``. Refused (WorkflowUpdateFailedError)
    when no turn is running."""
    return await handle(client, session_id).execute_update(SessionWorkflow.interrupt)


async def pending(client: Client, session_id: str) -> list[PendingApproval]:
    """The calls of the session's running turn that wait for a decision."""
    return await handle(client, session_id).query(SessionWorkflow.pending)


async def approve(
    client: Client, session_id: str, tool_call_id: str, *, approve: bool = True,
    reason: str = "",
) -> ApprovalReply:
    """Approve (or deny, with ``approve=False``) one call waiting in ``session_id`` itself (a
    sub-agent's call: its ``PendingApproval.session_id``). Refused (WorkflowUpdateFailedError)
    when the call is unknown or already decided."""
    reply: ApprovalReply = await handle(client, session_id).execute_update(
        _APPROVE, ApproveInput(tool_call_id=tool_call_id, approve=approve, reason=reason),
        result_type=ApprovalReply,
    )
    return reply


async def close(client: Client, session_id: str) -> SessionEnd:
    """Ask a session to end after its queued messages and wait for its final result."""
    h = handle(client, session_id)
    await h.signal(SessionWorkflow.close)
    return await h.result()


__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "DEFAULT_TARGET",
    "DEFAULT_TASK_QUEUE",
    "MAX_MESSAGE_ENV",
    "approve",
    "check_message",
    "close",
    "connect",
    "describe",
    "handle",
    "has_poller",
    "interrupt",
    "max_message_bytes",
    "pending",
    "post",
    "send",
    "send_to_running",
    "session_input",
    "summary",
    "usage",
]
