"""Stand-in activities and providers for tests that need a turn to misbehave in a precise way."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.agent.providers import ModelProvider, ScriptedProvider
from activities.agent.providers._base import ModelReply, ModelRequest, RawUsage, ToolCallRequest
from activities.contract import (
    LOAD_SESSION_HEAD_ACTIVITY,
    RUN_TURN_ACTIVITY,
    SessionHeadRequest,
    SessionHeadView,
    TurnOutcome,
    TurnRequest,
)
from checkpoint.errors import ContractError, ProviderError
from checkpoint.model import CommitReceipt, TokenLedgerEntry, TokenUsage

OVERSIZED_ENTRIES = 30_000
"""Enough ledger rows (about 3 MB of JSON) to pass Temporal's 2 MB blob limit."""

calls: list[int] = []


@activity.defn(name=RUN_TURN_ACTIVITY)
async def oversized_turn(request: TurnRequest) -> TurnOutcome:
    """Returns an outcome far over the payload limit, as a buggy turn that inlined state might."""
    calls.append(activity.info().attempt)
    usage = TokenUsage(input_tokens=1, output_tokens=1, cached_input_tokens=0)
    rows = [
        TokenLedgerEntry(source=f"plugin-{i:06d}", model="m" * 40, usage=usage)
        for i in range(OVERSIZED_ENTRIES)
    ]
    receipt = CommitReceipt.model_validate(
        {"head_revision": 1, "checkpoint_ref": "0" * 64, "session_id": request.session_id,
         "operation_id": "fake", "manifest": {}}
    )
    return TurnOutcome(status="completed", receipt=receipt, turn_index=request.turn_index,
                       usage_deltas=rows)


class ScriptTooShortError(ContractError):
    """A ContractError subclass no retry policy names: only ``isinstance`` can catch it."""


@activity.defn(name=RUN_TURN_ACTIVITY)
async def contract_breaking_turn(request: TurnRequest) -> TurnOutcome:
    """Raises a subclass of ContractError as a plain exception, as any helper deep inside might."""
    calls.append(activity.info().attempt)
    raise ScriptTooShortError(f"turn {request.turn_index}: the script has no such turn")


@activity.defn(name=RUN_TURN_ACTIVITY)
async def flaky_turn(request: TurnRequest) -> TurnOutcome:
    """Fails with an ordinary (retryable) error twice, then completes."""
    calls.append(activity.info().attempt)
    if activity.info().attempt < 3:
        raise ConnectionError("the model endpoint went away")
    receipt = CommitReceipt.model_validate(
        {"head_revision": 1, "checkpoint_ref": "0" * 64, "session_id": request.session_id,
         "operation_id": "fake", "manifest": {}}
    )
    return TurnOutcome(status="completed", receipt=receipt, turn_index=request.turn_index,
                       answer_excerpt="third time lucky")


@activity.defn(name=LOAD_SESSION_HEAD_ACTIVITY)
async def no_stored_head(request: SessionHeadRequest) -> SessionHeadView:
    """The fake turns commit nothing, so the store never holds their sessions."""
    return SessionHeadView()


class FailOnceProvider:
    """The demo script, except that the next call at step ``fail_at_step`` fails for good.

    A non-retryable provider error at step 1 lands after the turn's first progress commit (user
    message and first tool round stored, with the turn's index); at step 0 nothing is stored.
    """

    kind = "scripted"
    input_usage_excludes_cached_tokens = False

    def __init__(self, inner: ModelProvider | None = None) -> None:
        self.inner = inner or ScriptedProvider(None)
        self.fail_at_step: int | None = None

    async def complete(self, request: ModelRequest) -> ModelReply:
        if self.fail_at_step == request.step:
            self.fail_at_step = None
            raise ProviderError(
                "scripted", f"scripted failure at step {request.step}", retryable=False
            )
        return await self.inner.complete(request)


head_calls: list[int] = []


@activity.defn(name=LOAD_SESSION_HEAD_ACTIVITY)
async def unreadable_head(request: SessionHeadRequest) -> SessionHeadView:
    """A store whose head cannot be read (say a damaged checkpoint blob): fails for good."""
    head_calls.append(activity.info().attempt)
    raise ApplicationError(
        f"checkpoint of {request.session_id!r} is damaged", type="BlobCorruptError",
        non_retryable=True,
    )


@activity.defn(name=LOAD_SESSION_HEAD_ACTIVITY)
async def unreachable_head(request: SessionHeadRequest) -> SessionHeadView:
    """A store that does not answer: an ordinary, retryable error on every attempt."""
    head_calls.append(activity.info().attempt)
    raise ConnectionError("the store went away")


Step = dict[str, Any]
"""A scripted step: ``text``, ``tool_calls`` ([{name, args}]), or ``fail`` (a non-retryable
provider error), ``sleep`` (seconds before answering)."""


class TaskScriptProvider:
    """Replies by who is asking: the root plays ``root``, a sub-agent plays the steps for the
    task it was given (its first user message), so one turn can run children that behave
    differently. Every call that returns is recorded with its usage, which is fixed per depth:
    the test can add up exactly what was spent."""

    kind = "scripted"
    input_usage_excludes_cached_tokens = False
    USAGE_BY_DEPTH = ((10, 1), (100, 2), (1000, 3))

    def __init__(self, root: list[Step], tasks: dict[str, list[Step]]) -> None:
        self.root, self.tasks = root, tasks
        self.calls: list[tuple[str, int, int]] = []
        """(session id, depth, step) of every call that returned."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        steps = self.root if request.subagent_depth == 0 else self.tasks[_task_of(request)]
        step = steps[request.step] if request.step < len(steps) else {"text": "(no more)"}
        if step.get("sleep"):
            await asyncio.sleep(step["sleep"])
        if step.get("fail"):
            raise ProviderError("scripted", f"scripted failure at step {request.step}",
                                retryable=False)
        calls = [
            ToolCallRequest(id=f"call_{request.turn_id[:8]}_{request.step}_{i}", name=c["name"],
                            args=c.get("args") or {})
            for i, c in enumerate(step.get("tool_calls") or [])
        ]
        inp, out = self.USAGE_BY_DEPTH[request.subagent_depth]
        self.calls.append((request.session_id, request.subagent_depth, request.step))
        return ModelReply(text=step.get("text", ""), tool_calls=calls,
                          usage=RawUsage(input_tokens=inp, output_tokens=out))


def _task_of(request: ModelRequest) -> str:
    return next(m.content for m in request.messages if m.role == "user")
