"""The standard-mode agent loop (spec §4), resumable from any step of a turn.

Each step is one model call, and, if the model asked for tools, one tool batch. Both are
journaled as they complete, so a retried attempt replays them instead of running them again; the
last reply (no tool calls) is journaled by the final commit, since nothing runs in between.
Ids and timestamps of the nodes a step appends are derived from (session, turn id, step), so a
turn resumed at step k appends byte-identical nodes to an uninterrupted one. The caller
(``run_turn``) owns the store: it gets a progress callback after every completed tool round.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from activities.agent._messages import (
    assistant_message,
    results_message,
    tool_record,
    user_message,
)
from activities.agent._poison import screen_output, screen_reply
from activities.agent._runtime import SessionRuntime
from activities.agent.providers import ModelProvider, ModelReply, ModelRequest, ToolCallRequest
from activities.agent.tools import Tool, ToolContext, ToolOptions, ToolOutput
from activities.contract import (
    APPROVAL_ARGS_CHARS,
    ApprovalDecision,
    ApprovalRequest,
    ChildResult,
    shorten,
)
from activities.turn._journal import ToolBatch, ToolResultEntry, TurnJournal
from activities.turn.ids import id_source, message_id
from checkpoint.errors import ContractError
from checkpoint.model import (
    DerivedIds,
    Message,
    PersistedSessionState,
    TokenUsage,
    use_id_source,
)

_log = logging.getLogger(__name__)
STOPPED_TEXT = "(stopped: this turn reached its limit of {n} model calls)"
INTERRUPTED_TEXT = "(interrupted: the turn was stopped before it finished)"
SESSION_BUDGET_TEXT = "(stopped: the session's token budget of {n} is spent)"
TURN_BUDGET_TEXT = "(stopped: this turn's token budget of {n} is spent)"


@dataclass(frozen=True)
class TurnContext:
    """What the loop needs to know about its turn; ``run_turn`` builds it from the request, so
    the loop depends on these few facts rather than on the activity's wire model."""

    session_id: str
    turn_id: str
    turn_index: int
    started_at: datetime
    """Seeds the deterministic timestamps of the nodes the turn appends."""
    user_text: str
    model: str
    max_steps: int
    subagent_depth: int = 0
    max_context_tokens: int | None = None
    session_token_budget: int | None = None
    turn_token_budget: int | None = None
    stop: bool = False
    """End the turn as interrupted before any further model call."""
    child_results: tuple[ChildResult, ...] = ()
    """Sub-agent answers the workflow brings back to a turn that awaited them."""
    approval_tools: frozenset[str] = frozenset()
    """Tools whose calls wait for a decision by this session's policy (besides the catalog's
    ``needs_approval`` ones)."""
    approvals: Mapping[str, ApprovalDecision] = field(default_factory=dict)
    """Decisions made on this turn's calls so far, by tool call id."""


@dataclass(frozen=True)
class PendingChild:
    """A ``spawn_agent`` call waiting for its child session."""

    call: ToolCallRequest
    task: str


@dataclass
class LoopResult:
    """Where the loop stopped and what it counted (over the whole turn, replays included)."""

    status: Literal["completed", "awaiting_children", "awaiting_approval", "interrupted"]
    step: int
    answer: str = ""
    pending: list[PendingChild] = field(default_factory=list)
    approvals: list[ApprovalRequest] = field(default_factory=list)
    """Calls of step ``step`` that wait for a decision (``awaiting_approval``)."""
    model_calls: int = 0
    tool_calls: int = 0
    turn_usage: TokenUsage = field(default_factory=TokenUsage.zero)
    last_usage: TokenUsage | None = None
    usage_by_step: dict[int, TokenUsage] = field(default_factory=dict)
    """Each model call's usage, by step, so a commit can count the calls no commit counted."""


@dataclass
class LoopHooks:
    """Callbacks into ``run_turn``: a progress commit after each tool round, and heartbeats."""

    progress: Callable[[int, Mapping[int, TokenUsage]], Awaitable[None]]
    """After tool round ``step``, with the usage of every model call so far, by step."""
    heartbeat: Callable[[int], None] = lambda step: None


def _usage(reply: ModelReply) -> TokenUsage:
    u = reply.usage
    return TokenUsage(
        input_tokens=u.input_tokens,
        output_tokens=u.output_tokens,
        cached_input_tokens=u.cached_input_tokens,
        reasoning_tokens=u.reasoning_tokens,
    )


def turn_messages(state: PersistedSessionState, session_id: str, turn_id: str) -> Sequence[Message]:
    """This turn's messages: the read model from the turn's user message on (earlier turns were
    resume-safe when they committed, so checking this slice is enough, at a cost flat in length)."""
    messages = state.session_graph.messages()
    user_id = message_id(session_id, turn_id, "user")
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].id == user_id:
            return messages[index:]
    return messages


class AgentLoop:
    """One turn of one session: provider, live runtime, journal and the state being built."""

    def __init__(
        self,
        *,
        turn: TurnContext,
        state: PersistedSessionState,
        runtime: SessionRuntime,
        provider: ModelProvider,
        journal: TurnJournal,
        exec_key: bytes,
        hooks: LoopHooks,
    ) -> None:
        self.turn, self.state, self.runtime = turn, state, runtime
        self.provider, self.journal, self.exec_key, self.hooks = provider, journal, exec_key, hooks
        self.children = journal.children()
        self.result = LoopResult(status="completed", step=0)
        """What the turn has counted so far; ``interrupted`` finishes from it."""

    # --- ids ------------------------------------------------------------------------------------

    def _mid(self, ordinal: str) -> str:
        return message_id(self.turn.session_id, self.turn.turn_id, ordinal)

    def _ids(self, ordinal: str, offset: int) -> DerivedIds:
        """Per-step id source: the turn's seed plus the step, times from ``started_at``."""
        r = self.turn
        return id_source(r.session_id, r.turn_id, ordinal, r.started_at, offset)

    # --- the loop ---------------------------------------------------------------------------------

    def _open_turn(self) -> int:
        """Append the user message unless a progress commit already holds it; the resume step."""
        graph = self.state.session_graph
        user_id = self._mid("user")
        if graph.find_node(user_id) is None:
            with use_id_source(self._ids("user", 0)):
                self.state.append_active_read_delta(
                    [user_message(user_id, self.turn.user_text)], []
                )
            self.state.turn_index = self.turn.turn_index
            self.state.token_usage = TokenUsage.zero()
            return 0
        step = 0
        while graph.find_node(self._mid(f"a{step}")) is not None:
            step += 1
        return step

    async def run(self) -> LoopResult:
        for child in self.turn.child_results:
            self.children[child.tool_call_id] = await self.journal.record_child(child)
        first = self._open_turn()
        result = self.result
        result.step = first
        for step in range(first):
            reply = self.journal.model_reply(step)
            if reply is None:
                raise ContractError(
                    f"session {self.turn.session_id!r}: turn {self.turn.turn_id} holds step "
                    f"{step} but its journal record is missing"
                )
            self._count(result, step, reply)
            result.tool_calls += len(reply.tool_calls)
        max_steps = self.turn.max_steps
        for step in range(first, max_steps):
            result.step = step
            if self.turn.stop and self.journal.model_reply(step) is None:
                return self.interrupted()
            closing = self._budget_spent() if self.journal.model_reply(step) is None else None
            if closing is not None:
                # A replayed call is already paid, so only a call this attempt would make is
                # checked; the turn ends completed, the closing text its answer.
                self._append_step(step, ModelReply(text=closing), None)
                result.answer = closing
                return result
            self.hooks.heartbeat(step)
            reply = await self._model_call(step)
            self._count(result, step, reply)
            if not reply.tool_calls:
                self._append_step(step, reply, None)
                result.answer = reply.text
                return result
            batch = self.journal.tool_batch(step)
            if batch is None:
                asking = self._approval_requests(reply)
                if asking:
                    result.status, result.approvals = "awaiting_approval", asking
                    return result
                pending = await self._pending_children(step, reply)
                if pending:
                    result.status, result.pending = "awaiting_children", pending
                    return result
                ran = await self._run_tools(step, reply)
                batch = await self.journal.record_tool_batch(step, ran)
                if batch != ran:
                    # Another attempt of this turn journaled the step first: go on from the
                    # interpreter and plugins it left, as a replay would.
                    self._restore_side_state(batch)
            else:
                self._restore_side_state(batch)
            self._append_step(step, reply, batch)
            result.tool_calls += len(batch.results)
            self.hooks.heartbeat(step)
            await self.hooks.progress(step, result.usage_by_step)
        result.step = max_steps
        result.answer = STOPPED_TEXT.format(n=max_steps)
        self._append_step(max_steps, ModelReply(text=result.answer), None)
        return result

    def interrupted(self) -> LoopResult:
        """End the turn where it stands: every completed step stays, and a closing reply says
        the turn was stopped. Safe at any await of ``run``: the graph only ever holds whole
        steps (a step is appended once its tool batch is done), and a model reply that came
        back is counted even if its tools never ran (it was paid for)."""
        step = self._open_turn()  # appends the user message if the turn stopped before it
        result = self.result
        result.status, result.step, result.answer = "interrupted", step, INTERRUPTED_TEXT
        result.pending, result.approvals = [], []
        self._append_step(step, ModelReply(text=INTERRUPTED_TEXT), None)
        return result

    def _budget_spent(self) -> str | None:
        """The closing text if a budget is spent, before a new model call; None to go on."""
        r, result = self.turn, self.result
        if r.turn_token_budget is not None and result.turn_usage.total() >= r.turn_token_budget:
            return TURN_BUDGET_TEXT.format(n=r.turn_token_budget)
        if r.session_token_budget is not None and self.session_spent() >= r.session_token_budget:
            return SESSION_BUDGET_TEXT.format(n=r.session_token_budget)
        return None

    def session_spent(self) -> int:
        """The session's tokens so far, exactly once each: the ledger as committed (progress
        commits of this turn included), this turn's model calls no commit counted yet, and the
        children this turn received (the final commit counts them)."""
        committed = sum(e.usage.total() for e in self.state.token_ledger)
        uncounted = sum(
            u.total()
            for step, u in self.result.usage_by_step.items()
            if not self.journal.usage_counted(step)
        )
        children = sum(e.usage.total() for c in self.children.values() for e in c.usage)
        return committed + uncounted + children

    def _count(self, result: LoopResult, step: int, reply: ModelReply) -> None:
        usage = _usage(reply)
        result.usage_by_step[step] = usage
        result.turn_usage.add(usage)
        result.last_usage = usage
        result.model_calls += 1

    async def _model_call(self, step: int) -> ModelReply:
        recorded = self.journal.model_reply(step)
        if recorded is not None:
            return recorded
        r = self.turn
        prompt = self.runtime.prompt(self.state.session_graph.messages(), r)
        request = ModelRequest(
            session_id=r.session_id,
            turn_id=r.turn_id,
            turn_index=r.turn_index,
            step=step,
            model=r.model,
            messages=prompt.messages,
            prompt_chars=prompt.chars,
            tools=prompt.tools,
            subagent_depth=r.subagent_depth,
        )
        reply = screen_reply(await self.provider.complete(request), self.provider.kind)
        if not reply.tool_calls:
            # The turn ends here and only the final commit follows: it journals the reply.
            return self.journal.defer_model_reply(step, reply)
        return await self.journal.record_model_reply(step, reply)

    def _append_step(self, step: int, reply: ModelReply, batch: ToolBatch | None) -> None:
        messages = [assistant_message(self._mid(f"a{step}"), reply)]
        records = []
        if batch is not None:
            texts = [entry.text for entry in batch.results]
            messages.append(results_message(self._mid(f"r{step}"), reply.tool_calls, texts))
            records = [entry.record for entry in batch.results]
        with use_id_source(self._ids(f"step{step}", 1 + step)):
            self.state.append_active_read_delta(messages, records)

    # --- tools ------------------------------------------------------------------------------------

    def _ctx(self, step: int, call: ToolCallRequest) -> ToolContext:
        r = self.turn
        return ToolContext(
            session_id=r.session_id,
            turn_id=r.turn_id,
            turn_index=r.turn_index,
            step=step,
            call_id=call.id,
            subagent_depth=r.subagent_depth,
            child_result=self.children.get(call.id),
        )

    def _gated(self, call: ToolCallRequest) -> Tool | None:
        """The tool if this call must wait for a person's decision, else None."""
        tool = self.runtime.registry.get(call.name)
        if tool is None or call.refusal is not None:
            return None  # the call fails without running: nothing to approve
        if call.name in self.turn.approval_tools or _options(tool).needs_approval:
            return tool
        return None

    def _approval_requests(self, reply: ModelReply) -> list[ApprovalRequest]:
        """The calls of this step that wait for a decision nobody has made yet."""
        return [
            ApprovalRequest(
                tool_call_id=call.id,
                tool=call.name,
                args_excerpt=shorten(json.dumps(call.args, ensure_ascii=False),
                                     APPROVAL_ARGS_CHARS),
            )
            for call in reply.tool_calls
            if call.id not in self.turn.approvals and self._gated(call) is not None
        ]

    def _denied(self, call: ToolCallRequest) -> ApprovalDecision | None:
        decision = self.turn.approvals.get(call.id)
        if decision is None or decision.approved or self._gated(call) is None:
            return None
        return decision

    async def _pending_children(self, step: int, reply: ModelReply) -> list[PendingChild]:
        """``spawn_agent`` calls with no child result yet (checking them has no side effect);
        a denied one is not started (it fails as a tool with the batch)."""
        pending = []
        spawn = self.runtime.registry.get("spawn_agent")
        for call in reply.tool_calls:
            if spawn is None or call.name != "spawn_agent" or call.id in self.children:
                continue
            if self._denied(call) is not None:
                continue
            output = await spawn.run(call.args, self._ctx(step, call))
            if output.spawn_task is not None:
                pending.append(PendingChild(call=call, task=output.spawn_task))
        return pending

    async def _run_tools(self, step: int, reply: ModelReply) -> ToolBatch:
        """Run the batch in order; journal it with the side state it changed."""
        fingerprint = self.runtime.plugins.snapshot_revision_fingerprint()
        results = []
        for call in reply.tool_calls:
            if self._gated(call) is None:
                results.append(await self._run_call(step, call))
            else:
                results.append(await self._run_approved_once(step, call))
        batch = ToolBatch(results=results)
        if any(call.name == "python" for call in reply.tool_calls):
            blob, dropped = self.runtime.interpreter.export_signed(self.exec_key)
            if dropped:
                _log.warning("python globals not picklable, left out: %s", ", ".join(dropped))
            batch.execution_state_b64 = base64.b64encode(blob).decode()
        if self.runtime.plugins.snapshot_revision_fingerprint() != fingerprint:
            batch.plugin_snapshot = self.runtime.plugins.snapshot()
        return batch

    async def _run_call(
        self, step: int, call: ToolCallRequest, denied: ApprovalDecision | None = None
    ) -> ToolResultEntry:
        """One call, timed; whatever happens becomes its result (the turn goes on)."""
        tool = self.runtime.registry.get(call.name)
        started = time.monotonic()
        if tool is None:
            output = self._unavailable(call.name)
        elif call.refusal is not None:
            output = ToolOutput.failed("invalid_request", call.refusal)
        elif denied is not None:
            output = ToolOutput.failed(
                "permission_denied", f"denied: {denied.reason or 'no reason given'}"
            )
        else:
            try:
                output = screen_output(call.name, await tool.run(call.args, self._ctx(step, call)))
            except Exception as exc:  # a tool bug fails the call, not the turn
                _log.exception("tool %s failed", call.name)
                output = ToolOutput.failed("internal", f"{call.name} raised {exc!r}")
        duration_ms = int((time.monotonic() - started) * 1000)
        return ToolResultEntry(record=tool_record(call, output, duration_ms), text=output.text)

    async def _run_approved_once(self, step: int, call: ToolCallRequest) -> ToolResultEntry:
        """A call a person decided on: denied, it fails as a tool; approved, it runs at most
        once whatever happens to the worker. Its result is journaled as soon as it completes
        (before the batch), and an attempt that finds the call started but not completed does
        not run it again (it may have taken effect) unless the tool is idempotent."""
        denied = self._denied(call)
        if denied is not None:
            return await self._run_call(step, call, denied)
        done = self.journal.call_result(step, call.id)
        if done is not None:
            return done
        tool = self.runtime.registry.get(call.name)
        claimed = await self.journal.claim_call(step, call.id, uuid.uuid4().hex)
        if not claimed and not (tool is not None and _options(tool).idempotent):
            output = ToolOutput.failed(
                "execution",
                f"{call.name} was approved and started, but the worker running it stopped "
                f"before it finished; it is not run again, since it may have taken effect",
            )
            entry = ToolResultEntry(record=tool_record(call, output, 0), text=output.text)
        else:
            entry = await self._run_call(step, call)
        return await self.journal.record_call_result(step, call.id, entry)

    def _unavailable(self, name: str) -> ToolOutput:
        """A call to a tool the model was not offered: say whether the policy left it out."""
        if self.runtime.registry.implements(name):
            message = f"tool {name!r} is not enabled for this session"
            return ToolOutput.failed("permission_denied", message)
        return ToolOutput.failed("invalid_request", f"unknown tool {name!r}")

    def _restore_side_state(self, batch: ToolBatch) -> None:
        """A replayed batch restores the interpreter and plugins as the original run left them."""
        blob = batch.execution_state
        if blob is not None:
            self.runtime.interpreter.restore_signed(blob, self.exec_key)
            # Commit the journaled bytes themselves: pickling the restored globals again need
            # not give the same bytes, and this attempt's commits must match the first one's.
            self.state.set_execution_state_snapshot(blob)
            self.runtime.interpreter.dirty = False
        if batch.plugin_snapshot is not None:
            self.runtime.plugins.restore(batch.plugin_snapshot)


def _options(tool: Tool) -> ToolOptions:
    """A tool's options; a tool not made from a ``ToolDefinition`` has the defaults."""
    definition = getattr(tool, "definition", None)
    options = getattr(definition, "options", None)
    return options if isinstance(options, ToolOptions) else ToolOptions()


__all__ = [
    "INTERRUPTED_TEXT",
    "SESSION_BUDGET_TEXT",
    "TURN_BUDGET_TEXT",
    "AgentLoop",
    "LoopHooks",
    "LoopResult",
    "PendingChild",
    "TurnContext",
    "turn_messages",
]
