"""The contract between the session workflow and its activities (run_turn, load_session_head).

Everything here travels through workflow history, so it is small (refs and figures, never the
conversation) and holds no secrets: a policy names a provider kind and a model, while keys stay in
the worker's provider configuration. The module is pure (pydantic and ``checkpoint.model`` only),
so workflow code can import it through the sandbox.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from checkpoint.model import Message, TokenUsage, TurnReceipt, WireLedger

RUN_TURN_ACTIVITY = "lash.run_turn"
"""Stable activity name; renaming it breaks every recorded history."""

LOAD_SESSION_HEAD_ACTIVITY = "lash.load_session_head"
"""Stable activity name; renaming it breaks every recorded history."""

REWIND_SESSION_ACTIVITY = "lash.rewind_session"
"""Stable activity name; renaming it breaks every recorded history."""

MAX_USER_TEXT_BYTES = 64 * 1024 * 1024
"""Largest user message in UTF-8 bytes that any session accepts, whatever a client's setting
(``LASH_MAX_MESSAGE_BYTES``, default 10 MiB, at most this): a constant, so the workflow's own
check stays deterministic. A message past a few KB travels by reference (``workflows.payloads``)."""

ANSWER_EXCERPT_CHARS = 400
"""Longest answer excerpt an outcome carries (the full answer lives in the store)."""

TURN_RETRY_SIGNAL = "turn_retry"
"""Signal a failed turn attempt sends its session workflow (``TurnRetry``)."""

RETRY_ERROR_CHARS = 300
"""Longest failure text a ``TurnRetry`` carries."""

APPROVAL_ARGS_CHARS = 400
"""Longest arguments excerpt an approval request shows."""

APPROVAL_REASON_CHARS = 1_000
"""Longest reason a decision carries."""

MAX_TASK_CHARS = 4_000
"""Longest task text a sub-agent request carries."""

TITLE_CHARS = 200
"""Longest session title (a sub-agent's is its task, folded onto one line)."""

MAX_SUBAGENT_DEPTH = 2
"""Children may spawn children down to this depth; deeper ``spawn_agent`` calls fail as tools."""


class WireModel(BaseModel):
    """What travels through workflow history: frozen, strict-keyed (a typo in a payload fails
    loudly), and written without the fields that hold their default, since every payload is
    stored in history once per turn (or per child) and read back with the defaults filled in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_serializer(mode="wrap")
    def _without_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _drop_defaults(self, handler(self))


def _drop_defaults(model: BaseModel, data: Any) -> Any:
    """``data`` (the model as written) without the fields that hold their default."""
    if not isinstance(data, dict):
        return data
    for name in _omissible(type(model)):
        if name in data and getattr(model, name) == _default_of(type(model), name):
            del data[name]
    return data


@functools.cache
def _omissible(model: type[BaseModel]) -> tuple[str, ...]:
    """Fields a payload may leave out: those with a default, except tags (``Literal`` fields
    such as ``kind``), which a tagged union needs to read the payload back."""
    return tuple(
        name
        for name, field in model.model_fields.items()
        if not field.is_required() and typing.get_origin(field.annotation) is not Literal
    )


def _default_of(model: type[BaseModel], name: str) -> Any:
    return model.model_fields[name].get_default(call_default_factory=True)



class TurnPolicy(WireModel):
    """Which provider kind and model a session uses; no credentials, ever."""

    provider: str = "scripted"
    """Provider kind registered on the worker: ``"scripted"`` or ``"openai"``."""
    model: str = "scripted-demo"
    """Model name passed to the provider and recorded in the ledger."""
    max_context_tokens: int | None = None
    """Context window (``SessionPolicy.max_context_tokens``); None when unknown."""
    max_steps: int = Field(default=16, ge=1, le=256)
    """Upper bound on model calls in one turn (the loop stops with an error past it)."""
    subagent_depth: int = Field(default=0, ge=0)
    """0 for a root session; a child's policy is its parent's plus one (``spawn_agent`` is refused
    at ``MAX_SUBAGENT_DEPTH``)."""
    subagent_timeout: timedelta = Field(default=timedelta(minutes=30), gt=timedelta(0))
    """Longest a sub-agent may run before its parent cancels it; the call then fails as a tool
    (``timeout``), and what the child committed until it stopped still counts."""
    tools: list[str] | None = None
    """Names of the worker's tools this session may use; None is the default set: every tool
    but code mode (``python``), which only the ``scripted`` and ``echo`` providers get by
    default. A tool left out is not offered to the model, and a call to it fails as a tool."""

    session_token_budget: int | None = Field(default=None, gt=0)
    """Tokens the session may spend, its sub-agents included; None is unlimited. Counted as the
    ledger counts them (``TokenUsage.total()``: input + output + reasoning; cached input is not
    added again, it is already part of input). A model call that would start at or past it is
    not made: the turn ends *completed*, its answer a closing text saying the budget is spent
    (``TurnOutcome.status`` is unchanged, so the workflow needs no new case). The check runs
    before each call, so the ledger can pass the budget by at most the last call's usage (and
    by what sub-agents already running spend)."""
    turn_token_budget: int | None = Field(default=None, gt=0)
    """Tokens one turn's own model calls may spend (sub-agents are in the session budget, not
    here); None is unlimited. Checked and ended like ``session_token_budget``."""
    approval_tools: list[str] = Field(default_factory=list)
    """Tools each of whose calls waits for a person's decision in this session, besides those
    the worker's catalog marks ``needs_approval``. A call waiting is not run: the turn commits
    what it completed and returns ``awaiting_approval``; the workflow's ``approve`` update
    decides it."""
    approval_timeout: timedelta | None = Field(default=None, gt=timedelta(0))
    """How long a call may wait for a decision; past it the call is denied ("no decision
    within ..."). None waits for as long as it takes."""

    @field_validator("provider", "model")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("tools", "approval_tools")
    @classmethod
    def _tool_names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not all(name.strip() for name in value):
            raise ValueError("tool names must not be empty")
        return value


class HeadRef(WireModel):
    """The head the workflow last saw; the activity checks it against the store."""

    head_revision: int
    checkpoint_ref: str | None = None
    leaf_node_id: str | None = None
    node_window: tuple[int, int] | None = None
    """The head's full graph as a range of stored nodes (``NodeWindow``): history's record of
    a loaded head, so a rebuild at that turn reads its old branches too."""


class ChildRequest(WireModel):
    """A sub-agent the turn wants started: one ``spawn_agent`` tool call."""

    child_session_id: str
    tool_call_id: str
    snapshot_ref: str
    """Blob ref of the child's starting PersistedSessionState."""
    task: str = Field(max_length=MAX_TASK_CHARS)
    policy: TurnPolicy


class ChildResult(WireModel):
    """What a finished child session hands back to its parent's turn."""

    child_session_id: str
    tool_call_id: str
    answer: str
    usage: WireLedger = Field(default_factory=list)
    """The child's ledger; the parent records it under the child's source ``"subagent"``. The
    parent's turn takes it from the store (what the child committed), whatever the child said."""
    error: str | None = None
    """Why the child did not answer (failed, terminated, timed out, cancelled); the
    ``spawn_agent`` call then fails as a tool with this message."""
    timed_out: bool = False
    """The child ran past ``TurnPolicy.subagent_timeout`` and was cancelled."""


class ApprovalRequest(WireModel):
    """A tool call that waits for a person's decision before it runs."""

    tool_call_id: str
    tool: str
    args_excerpt: str = Field(default="", max_length=APPROVAL_ARGS_CHARS)
    """The call's arguments as JSON, cut at ``APPROVAL_ARGS_CHARS`` (the whole call is in the
    turn's journal)."""


class ApprovalDecision(WireModel):
    """A person's decision on one call; made once, then carried by every later attempt."""

    tool_call_id: str
    approved: bool
    reason: str = Field(default="", max_length=APPROVAL_REASON_CHARS)
    """Why (optional); a denied call fails as a tool with ``denied: <reason>``, which the model
    sees."""


class TurnRequest(WireModel):
    """Input of one ``run_turn`` attempt; a retry or a continuation reuses the same turn id."""

    session_id: str = Field(min_length=1)
    turn_index: int = Field(ge=0)
    """Index of this turn; it becomes ``state.turn_index`` (spec §1.2: the first turn is 1)."""
    turn_id: str = Field(min_length=1)
    """Minted by the workflow (``workflow.uuid4()``); seeds every id and the operation ids."""
    started_at: datetime
    """``workflow.now()`` when the turn began; seeds deterministic timestamps."""
    user_text: str
    """Bounded by ``check_user_text``, the same rule the workflow's update validator applies."""
    policy: TurnPolicy = Field(default_factory=TurnPolicy)
    base: HeadRef | None = None
    """The head revision the turn starts from (the workflow sends the revision alone: the
    activity checks only it); None for a session that has no head yet."""
    title: str = Field(default="", max_length=TITLE_CHARS)
    """The session's title: a new root session's ``SessionMeta.session_name`` (its id when
    empty). Only the turn that creates the session reads it."""
    start_snapshot_ref: str | None = None
    """A child session's first turn: blob ref of its starting PersistedSessionState."""
    child_results: list[ChildResult] = Field(default_factory=list)
    """Set when the workflow continues a turn that returned ``awaiting_children``. The activity
    journals each result by tool call id, so passing only the latest round's results, or all of
    them again, counts every child's usage exactly once."""
    approvals: list[ApprovalDecision] = Field(default_factory=list)
    """Every decision made on this turn's calls so far, set when the workflow continues a turn
    that returned ``awaiting_approval``. An approved call runs, a denied one fails as a tool."""
    stop: bool = False
    """Finish the turn as interrupted at its first safe point: after the tool round the child
    results complete, before any further model call (set after an interrupt or a cancellation
    that found the turn waiting on sub-agents)."""

    @field_validator("user_text")
    @classmethod
    def _bounded(cls, value: str) -> str:
        return check_user_text(value)

    @property
    def continues(self) -> bool:
        """A continuation of a turn that handed work back (sub-agents, approvals): its journal
        and progress commits are in the store."""
        return bool(self.child_results or self.approvals)


class PromptWindow(WireModel):
    """How much of the active path the turn's last model call was sent (``rolling_history``,
    spec §2): the graph keeps everything, only the prompt is trimmed, and this says by how much.
    Turns are counted by their user messages; tokens are the worker's estimate."""

    window_tokens: int
    """The context window the prompt was fitted to (policy, model table or fallback)."""
    prompt_tokens: int
    """Estimated tokens of what was sent: messages and tool specs."""
    turns: int
    """User messages in the prompt (the oldest turn it reaches may be partial)."""
    path_turns: int
    """User messages on the active path."""
    messages: int
    """Chat messages in the prompt."""
    path_messages: int
    """Chat messages the active path converts to."""

    @model_validator(mode="before")
    @classmethod
    def _whole_path_when_absent(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("path_turns" not in data or "path_messages" not in data):
            data = {"path_turns": data.get("turns"), "path_messages": data.get("messages"), **data}
        return data

    @model_serializer(mode="wrap")
    def _without_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        """The wire rule, and without ``path_turns`` and ``path_messages`` when the prompt held
        the whole path (most turns): a turn's outcome is written to history every turn. (A
        model has one serializer: this one replaces ``WireModel``'s, so it applies that rule.)"""
        data = _drop_defaults(self, handler(self))
        if isinstance(data, dict):
            if self.path_turns == self.turns:
                del data["path_turns"]
            if self.path_messages == self.messages:
                del data["path_messages"]
        return data


class TurnOutcome(WireModel):
    """Result of one ``run_turn`` attempt: refs and small figures only."""

    status: Literal["completed", "awaiting_children", "awaiting_approval", "interrupted"]
    """``interrupted``: an interrupt or a cancellation stopped the turn at a safe point; what it
    had completed is committed, and the turn ends there (its index is used).
    ``awaiting_children`` / ``awaiting_approval``: the turn committed its progress and hands
    back ``child_requests`` / ``approval_requests``; the workflow continues it with the
    results."""
    receipt: TurnReceipt
    """Receipt of the commit this attempt ended with (final or progress)."""
    turn_index: int
    answer_excerpt: str = Field(default="", max_length=ANSWER_EXCERPT_CHARS)
    """The turn's answer (``answer_text`` of its last message), cut by ``answer_fields``."""
    answer_truncated: bool = False
    """Whether ``answer_excerpt`` is shorter than the answer (the whole answer is in the store).
    False in outcomes recorded before the field existed."""
    usage_deltas: WireLedger = Field(default_factory=list)
    """Ledger deltas committed with this turn (``"turn"`` and ``"subagent"`` sources)."""
    turn_usage: TokenUsage | None = None
    """Not written any more: it repeated the ``"turn"`` delta (the state's ``token_usage``
    holds the turn's usage). Outcomes recorded before carry it, and still read."""
    child_requests: list[ChildRequest] = Field(default_factory=list)
    approval_requests: list[ApprovalRequest] = Field(default_factory=list)
    model_calls: int = 0
    tool_calls: int = 0
    prompt: PromptWindow | None = None
    """The last model call's prompt window; None in outcomes recorded before it existed, or when
    this attempt made no model call."""


class TurnRetry(WireModel):
    """A failed attempt of a turn that Temporal retries, reported by the attempt itself (the
    ``TURN_RETRY_SIGNAL``): the workflow cannot see activity attempts, and the UI's current
    details should say why the turn is taking long."""

    turn_id: str
    attempt: int = Field(ge=1)
    """The attempt that failed; the next one is ``attempt + 1``."""
    error: str = Field(max_length=RETRY_ERROR_CHARS)


class SessionHeadRequest(WireModel):
    """Which session to look up."""

    session_id: str = Field(min_length=1)
    counts: bool = True
    """Also count the model and tool calls on the active path, which reads the whole path; only
    a new run of a stored session needs them (after a failed turn the workflow's are right)."""


class SessionHeadView(WireModel):
    """The store's view of a session; ``head`` is None when the store does not hold it."""

    head: HeadRef | None = None
    turn_index: int = Field(default=0, ge=0)
    """``turn_index`` of the head's checkpoint: the last turn that committed anything (a failed
    turn's progress commits included), so the next turn takes this plus one."""
    ledger: WireLedger = Field(default_factory=list)
    last_answer_excerpt: str = Field(default="", max_length=ANSWER_EXCERPT_CHARS)
    """The last final answer on the active path (an assistant message without tool calls)."""
    model_calls: int = Field(default=0, ge=0)
    """Assistant messages on the active path: the model calls of the turns stored so far."""
    tool_calls: int = Field(default=0, ge=0)
    """Tool call parts on the active path."""


class RewindRequest(WireModel):
    """Move a session back to the end of turn ``to_turn`` (``lash.rewind_session``); the
    activity answers the store's view of the rewound head as a ``SessionHeadView``."""

    session_id: str = Field(min_length=1)
    to_turn: int = Field(ge=0)
    checkpoint_ref: str | None = None
    """Turn ``to_turn``'s checkpoint (its receipt in history); the activity checks it is that
    turn's. None: turn 0, the session before its first turn."""
    leaf_node_id: str | None = None
    """Turn ``to_turn``'s leaf: the last node of the turn."""
    rewind_id: str = Field(min_length=1)
    """The update's id: seeds the commit's operation id, so a retry commits once."""




def task_title(task: str) -> str:
    """A sub-agent's title: its task on one line, cut at ``TITLE_CHARS``. The workflow names the
    child session with it and the parent's turn records it in the child's ``SessionMeta``."""
    return " ".join(task.split())[:TITLE_CHARS]


def check_user_text(text: str, max_bytes: int = MAX_USER_TEXT_BYTES) -> str:
    """The one boundary for user text: refuse an empty or oversized message, saying which.
    The update validator, the CLI, the client and ``TurnRequest`` all call it; host code passes
    its configured ``max_bytes``."""
    if not text.strip():
        raise ValueError("message text must not be empty or blank")
    if len(text) > max_bytes or len(text.encode("utf-8")) > max_bytes:  # chars <= bytes
        size = len(text.encode("utf-8"))
        raise ValueError(f"message text is too large ({size:,} bytes; at most {max_bytes:,})")
    return text


def shorten(text: str, limit: int, *, one_line: bool = False) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked with an ellipsis; with
    ``one_line``, runs of whitespace (newlines too) become single spaces first."""
    if one_line:
        text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def excerpt(answer: str) -> str:
    """An answer cut to ``ANSWER_EXCERPT_CHARS``, as outcomes and head views carry it."""
    return shorten(answer, ANSWER_EXCERPT_CHARS)


def answer_fields(answer: str) -> dict[str, Any]:
    """``TurnOutcome``'s answer fields for a turn's answer: the excerpt and whether it is cut."""
    cut = excerpt(answer)
    return {"answer_excerpt": cut, "answer_truncated": cut != answer}


def answer_text(message: Message) -> str | None:
    """A message's answer: the prose of an assistant message that asks for no tools (how a turn
    ends, and what the agent loop returns as the answer); None for any other message."""
    if message.role != "Assistant" or any(part.kind == "ToolCall" for part in message.parts):
        return None
    return "".join(part.content for part in message.parts if part.kind == "Prose")


def last_answer(messages: Sequence[Message]) -> str:
    """``answer_text`` of the latest message that has one ("" when none does)."""
    for message in reversed(messages):
        answer = answer_text(message)
        if answer is not None:
            return answer
    return ""


__all__ = [
    "ANSWER_EXCERPT_CHARS",
    "APPROVAL_ARGS_CHARS",
    "APPROVAL_REASON_CHARS",
    "LOAD_SESSION_HEAD_ACTIVITY",
    "MAX_SUBAGENT_DEPTH",
    "MAX_TASK_CHARS",
    "MAX_USER_TEXT_BYTES",
    "RETRY_ERROR_CHARS",
    "REWIND_SESSION_ACTIVITY",
    "RUN_TURN_ACTIVITY",
    "TITLE_CHARS",
    "TURN_RETRY_SIGNAL",
    "ApprovalDecision",
    "ApprovalRequest",
    "ChildRequest",
    "ChildResult",
    "HeadRef",
    "PromptWindow",
    "RewindRequest",
    "SessionHeadRequest",
    "SessionHeadView",
    "TurnOutcome",
    "TurnPolicy",
    "TurnRequest",
    "TurnRetry",
    "WireModel",
    "answer_fields",
    "answer_text",
    "check_user_text",
    "excerpt",
    "last_answer",
    "shorten",
    "task_title",
]
