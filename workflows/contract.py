"""What a session workflow takes and answers: small pydantic models that travel through history.

Nothing here holds the conversation or a secret: a session starts from refs (a snapshot blob or a
continue-as-new carry), and user text is bounded before it is accepted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator

from activities.contract import (
    APPROVAL_REASON_CHARS,
    ApprovalRequest,
    HeadRef,
    TurnOutcome,
    TurnPolicy,
    WireModel,
)
from activities.contract import check_user_text as check_user_text  # the workflow imports it here
from checkpoint.model import WireLedger

WORKFLOW_ID_PREFIX = "lash-session/"


def workflow_id(session_id: str) -> str:
    """The one workflow id of a session, so a client can always find it."""
    return f"{WORKFLOW_ID_PREFIX}{session_id}"


class SendInput(WireModel):
    """One user message for a session (the ``send`` update and the ``post`` signal)."""

    text: str
    """Checked by ``activities.contract.check_user_text`` in the update validator, so a refusal
    names the rule (the workflow imports it from here)."""


class TurnTimeouts(WireModel):
    """How the workflow runs each turn activity; tests shorten them to see retries quickly."""

    start_to_close: timedelta = timedelta(minutes=10)
    heartbeat: timedelta = timedelta(seconds=30)
    """A dead worker is noticed after this long; the next attempt resumes from the heartbeat."""
    retry_initial: timedelta = timedelta(seconds=1)
    retry_maximum: timedelta = timedelta(seconds=30)
    max_attempts: int = Field(default=0, ge=0)
    """0 retries until the turn succeeds; contract errors are non-retryable regardless."""


class StartEmpty(WireModel):
    """A brand-new session with no stored head."""

    kind: Literal["empty"] = "empty"


class StartFromSnapshot(WireModel):
    """A session that starts from a stored PersistedSessionState blob (a sub-agent)."""

    kind: Literal["snapshot"] = "snapshot"
    snapshot_ref: str = Field(min_length=1)


class QueuedMessage(WireModel):
    """A fire-and-forget message not yet run when the previous run continued as new."""

    text: str


class TurnAnswer(WireModel):
    """A recent turn's answer, as the ``answer`` query gives it (``TurnReply`` leaves it out)."""

    answer_excerpt: str = ""
    answer_truncated: bool = False


class SessionCarry(WireModel):
    """Everything a run hands to the next one on continue-as-new: refs and figures only."""

    head: HeadRef | None
    turn_index: int = Field(ge=0)
    """Turns completed so far: the latest turn's index (the next turn gets this plus one)."""
    queued: list[QueuedMessage] = Field(default_factory=list)
    ledger: WireLedger = Field(default_factory=list)
    last_excerpt: str = ""
    """The last answer on the active path (the ``summary`` query's)."""
    answers: dict[int, TurnAnswer] = Field(default_factory=dict)
    """The last few turns' answers by turn index, so that a caller whose turn ended just before
    the run moved on still gets its answer from the ``answer`` query."""
    run_count: int = Field(default=1, ge=1)
    """Runs so far, this one included."""
    model_calls: int = 0
    tool_calls: int = 0
    snapshot_ref: str | None = None
    """A sub-agent's starting snapshot, still needed if no turn has committed yet."""
    needs_head: bool = False
    """The last head load failed: the next run loads the store's head before its next turn."""


class StartFromCarry(WireModel):
    """A session continuing from the previous run of the same workflow."""

    kind: Literal["carry"] = "carry"
    carry: SessionCarry


SessionStart = Annotated[
    StartEmpty | StartFromSnapshot | StartFromCarry, Field(discriminator="kind")
]


class RootSession(WireModel):
    """A session a person talks to; it lives until closed."""

    kind: Literal["root"] = "root"


class ChildSession(WireModel):
    """A sub-agent session: it answers one task for its parent's tool call, then ends."""

    kind: Literal["child"] = "child"
    parent_session_id: str = Field(min_length=1)
    tool_call_id: str = Field(min_length=1)


SessionRole = Annotated[RootSession | ChildSession, Field(discriminator="kind")]


class SessionInput(WireModel):
    """The workflow's input: small, secret-free, enough to find everything else in the store."""

    session_id: str = Field(min_length=1, max_length=200)
    policy: TurnPolicy = Field(default_factory=TurnPolicy)
    start: SessionStart = Field(default_factory=StartEmpty)
    relation: SessionRole = Field(default_factory=RootSession)
    title: str = Field(default="", max_length=200)
    first_message: str | None = None
    """A sub-agent's task: run as the first turn without waiting for a message."""
    timeouts: TurnTimeouts = Field(default_factory=TurnTimeouts)
    search_attributes: bool = True
    """Upsert the Lash* search attributes (they must be registered on the namespace)."""
    max_updates_per_run: int = Field(default=1_800, ge=1, le=1_900)
    """Continue as new before this many updates: the server refuses more than 2,000 per run."""

    @field_validator("first_message")
    @classmethod
    def _bounded(cls, value: str | None) -> str | None:
        return None if value is None else check_user_text(value)


class PendingApproval(WireModel):
    """A call waiting for a person's decision (the ``pending`` query, ``summary``, the UI).
    A session lists its sub-agents' waiting calls too, so a person watching the root sees them;
    ``session_id`` says where to send the decision."""

    session_id: str
    turn_index: int
    request: ApprovalRequest
    asked_at: datetime
    deadline: datetime | None = None
    """When the call is denied if nobody decided (``TurnPolicy.approval_timeout``)."""


class ChildApprovals(WireModel):
    """What a sub-agent tells its parent each time its waiting calls (its own and its
    descendants') change (the ``child_approvals`` signal); an empty list clears them."""

    child_session_id: str
    waiting: list[PendingApproval] = Field(default_factory=list)


class ApproveInput(WireModel):
    """The ``approve`` update: decide one waiting call, once."""

    tool_call_id: str = Field(min_length=1)
    approve: bool
    reason: str = Field(default="", max_length=APPROVAL_REASON_CHARS)


class ApprovalReply(WireModel):
    """What ``approve`` answers: the decision taken and how many calls still wait."""

    tool_call_id: str
    approved: bool
    waiting: int


class SessionSummary(WireModel):
    """What the ``summary`` query answers: where the session stands, in figures and refs."""

    session_id: str
    title: str
    parent_session_id: str | None
    turn_index: int
    """Turns completed so far: the latest turn's index (the next turn gets this plus one)."""
    head_revision: int | None
    checkpoint_ref: str | None
    leaf_node_id: str | None
    last_answer_excerpt: str
    run_count: int
    """Workflow runs so far (1 + continue-as-new count)."""
    queued: int
    in_flight: bool
    model_calls: int
    tool_calls: int
    last_error: str | None
    provider: str = ""
    """The provider kind and model the session's turns run on (fixed when its run starts)."""
    model: str = ""
    pending_approvals: list[PendingApproval] = Field(default_factory=list)
    """Calls of the running turn that wait for a decision (``approve``)."""
    turn_retry: str | None = None
    """While Temporal retries the running turn: ``attempt N failed: <cause>``."""
    approval_tools: list[str] = Field(default_factory=list)
    """The session policy's ``approval_tools`` (fixed when its run starts)."""
    approval_timeout: timedelta | None = None


class SessionEnd(WireModel):
    """The workflow's result when a session closes (a sub-agent's answer to its parent)."""

    session_id: str
    turn_index: int
    answer: str
    ledger: WireLedger = Field(default_factory=list)
    error: str | None = None


class TurnReply(WireModel):
    """How a turn ended, in a few figures: what ``client.send`` returns.

    The ``send`` update's result is this without the answer: the answer is in the turn
    activity's result already, with the commit receipt and usage (``checkpoint.history`` reads
    them there), and history holds each once. ``client.send`` adds the answer from the
    ``answer`` query."""

    status: Literal["completed", "interrupted"]
    turn_index: int
    head_revision: int
    """The session's head revision after the turn."""
    answer_excerpt: str = ""
    """The start of the turn's answer (``ANSWER_EXCERPT_CHARS``; the whole answer is in the
    store). Empty in the update's result; filled in by ``client.send``."""
    answer_truncated: bool = False
    """The excerpt is shorter than the answer, or ``client.send`` could not read it back (the
    session moved on, or the query failed): the whole answer is in the store."""
    model_calls: int = 0
    tool_calls: int = 0

    @classmethod
    def of(cls, outcome: TurnOutcome) -> TurnReply:
        """The update's result for a finished turn's outcome (no answer: see above)."""
        if outcome.status in ("awaiting_children", "awaiting_approval"):
            raise ValueError(f"a turn {outcome.status.replace('_', ' ')} has not finished")
        return cls(
            status=outcome.status,
            turn_index=outcome.turn_index,
            head_revision=outcome.receipt.head_revision,
            model_calls=outcome.model_calls,
            tool_calls=outcome.tool_calls,
        )


class RewindInput(WireModel):
    """The ``rewind`` update: continue the conversation from the end of turn ``to_turn``.

    ``client.rewind`` reads turn ``to_turn``'s receipt (checkpoint and leaf) from the session's
    history; the activity checks the checkpoint is that turn's before it commits."""

    to_turn: int = Field(ge=0)
    checkpoint_ref: str | None = None
    leaf_node_id: str | None = None
