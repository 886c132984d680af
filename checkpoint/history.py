"""Time travel, read-only: a session's workflow histories as turns, and the state at any turn.

The one module in ``checkpoint`` that reads Temporal's history format. It takes each run's
history as proto3 JSON (what ``WorkflowHistory.to_json()``, ``temporal workflow show --output
json`` and the Web UI's *Download* write: ``{"events": [...]}``, camelCase attributes, the event
type as ``EVENT_TYPE_ACTIVITY_TASK_COMPLETED`` or ``ActivityTaskCompleted``, payload ``data`` in
base64), or a recorded ``{"workflow_id", "history"}`` file, for one run or the whole
continue-as-new chain. Fetching from a live server is host code (``workflows.host.cli``).

- ``read_history`` finds every turn: a ``lash.run_turn`` result that completed (or was
  interrupted) names its commit receipt; its request names the policy and the message. A
  ``lash.load_session_head`` result (a failed turn, a new run) is where the workflow's view was
  reset, and replaces the ledger, as it did in the workflow. A ``lash.rewind_session`` result
  is a rewind (``SessionHistory.rewinds``).
- ``rebuild_state`` assembles the ``PersistedSessionState`` the store held right after turn N
  from the immutable nodes and blobs the receipt names (the receipt's node window: the whole
  graph, old branches included), and the ledger summed from the usage history recorded per
  turn. It never reads the session's mutable head row, so it still works
  after the head moved on.
- ``verify_state`` compares the state at the newest head history recorded with the store's head.

The payload models here are the few fields this reader needs (it may not import ``activities``
or ``workflows``); extra fields are ignored, so newer payloads still read.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import from_json

from checkpoint._gc_pause import cyclic_gc_paused
from checkpoint.errors import LashError, NodeNotFoundError
from checkpoint.model import (
    NodeWindow,
    PersistedSessionConfig,
    PersistedSessionRead,
    PersistedSessionState,
    SessionGraph,
    SessionPolicy,
    TokenLedgerEntry,
    WireLedger,
)
from checkpoint.store import SessionStore, load_persisted_session_state, state_from_read

SESSION_WORKFLOW_TYPE = "lash.session"
RUN_TURN = "lash.run_turn"
LOAD_SESSION_HEAD = "lash.load_session_head"
REWIND_SESSION = "lash.rewind_session"
"""Stable names (``workflows.session``, ``activities.contract``, ``activities.session_head``,
``activities.rewind``);
tests/unit/test_history.py checks they agree."""

USER_TEXT_EXCERPT = 200
"""Characters of the user's message a ``TurnRecord`` keeps."""
LATEST: Final[Literal["latest"]] = "latest"
"""``for_turn`` of the latest turn (``TurnRuns``)."""

_WANTED = frozenset({
    "WorkflowExecutionStarted", "ActivityTaskScheduled", "ActivityTaskCompleted",
    "WorkflowExecutionContinuedAsNew",
})
WANTED_EVENT_TYPES = frozenset(
    "EVENT_TYPE_" + "".join("_" + c if c.isupper() else c.upper() for c in t)[1:]
    for t in _WANTED
)
"""The proto enum names of the only events the reader looks at (a fetcher may keep just these)."""


class HistoryError(LashError):
    """A history that cannot be read as a lash session's: another workflow type, a truncated
    or corrupted file, an unreadable payload, or a turn it does not hold."""


# --- the payload fields read ------------------------------------------------------------------


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Policy(_Read):
    provider: str = "scripted"
    model: str = "scripted-demo"
    max_context_tokens: int | None = None


class _Head(_Read):
    head_revision: int
    checkpoint_ref: str | None = None
    leaf_node_id: str | None = None
    node_window: tuple[int, int] | None = None


class _Carry(_Read):
    head: _Head | None = None
    turn_index: int = 0
    ledger: WireLedger = Field(default_factory=list)


class _Start(_Read):
    kind: str = "empty"
    snapshot_ref: str | None = None
    carry: _Carry | None = None


class _SessionInput(_Read):
    session_id: str
    policy: _Policy = Field(default_factory=_Policy)
    start: _Start = Field(default_factory=_Start)


Usage = tuple[tuple[str, str, int, int, int, int], ...]
"""Ledger rows as (source, model, input, output, cached input, reasoning) tokens: summing plain
tuples keeps reading a thousand turns fast; ``TurnRecord`` turns them into ledger entries."""


def _counts(usage: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """A usage entry's counts in row order; payloads leave out those that are zero."""
    get = usage.get
    return (int(get("input_tokens", 0)), int(get("output_tokens", 0)),
            int(get("cached_input_tokens", 0)), int(get("reasoning_tokens", 0)))


def _rows(entries: Any, where: str) -> Usage:
    try:
        return tuple(
            (str(e["source"]), str(e["model"]), *_counts(e["usage"]))
            for e in entries or ()
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise HistoryError(f"{where}: a usage entry does not parse ({err!r})") from err


def _merge_rows(ledger: Usage, deltas: Usage) -> Usage:
    """``merge_ledger_entry`` on rows: add by (source, model) in first-seen order; a delta with
    no total and no cached tokens neither adds nor places its row."""
    merged = {(r[0], r[1]): list(r[2:]) for r in ledger}
    for source, model, *usage in deltas:
        if usage[0] + usage[1] + usage[3] == 0 and usage[2] == 0:
            continue
        row = merged.setdefault((source, model), [0, 0, 0, 0])
        for i, value in enumerate(usage):
            row[i] += value
    return tuple((s, m, *u) for (s, m), u in merged.items())  # type: ignore[misc]


def _entries(rows: Usage) -> list[TokenLedgerEntry]:
    return [
        TokenLedgerEntry.model_validate({"source": s, "model": m, "usage": {
            "input_tokens": i, "output_tokens": o, "cached_input_tokens": c,
            "reasoning_tokens": r}})
        for s, m, i, o, c, r in rows
    ]


# --- what a history says ----------------------------------------------------------------------


@dataclass(frozen=True)
class TurnRecord:
    """One turn as history recorded it: where its commit left the session, and what it cost."""

    turn_index: int
    status: Literal["completed", "interrupted", "loaded"]
    """``loaded``: not a turn's outcome but a head the workflow loaded from the store (after a
    failed turn whose progress commits used the index, or at the start of a new run)."""
    run_id: str
    event_id: int
    event_time: str
    """When the result was recorded (RFC 3339, as history wrote it)."""
    head_revision: int
    checkpoint_ref: str | None
    leaf_node_id: str | None
    node_window: NodeWindow | None
    """The head's full graph as stored nodes; None in histories from before windows, whose
    rebuild reads only the path to the leaf."""
    provider: str
    model: str
    max_context_tokens: int | None = None
    started_at: str | None = None
    """``TurnRequest.started_at``: ``workflow.now()`` when the turn began."""
    user_text: str = ""
    """The start of the user's message (``USER_TEXT_EXCERPT`` characters)."""
    usage_rows: Usage = ()
    ledger_rows: Usage = ()

    @property
    def usage_deltas(self) -> list[TokenLedgerEntry]:
        """The usage this turn's outcome recorded."""
        return _entries(self.usage_rows)

    @property
    def ledger(self) -> list[TokenLedgerEntry]:
        """The session's ledger right after this turn."""
        return _entries(self.ledger_rows)


@dataclass(frozen=True)
class RewindRecord:
    """A rewind as history recorded it: after turn ``after_turn`` the session went back to the
    end of turn ``to_turn``; the next turn branches from there."""

    to_turn: int
    after_turn: int
    run_id: str
    event_id: int
    event_time: str


@dataclass(frozen=True)
class RunInfo:
    """One run of the session's workflow."""

    run_id: str
    start_time: str
    events: int
    continued_to: str | None


@dataclass
class SessionHistory:
    """A session's turns across the runs read, in turn order."""

    workflow_id: str
    session_id: str
    runs: list[RunInfo]
    turns: list[TurnRecord]
    snapshot_ref: str | None = None
    """A sub-agent's starting state (its policy is the base of every config it commits)."""
    rewinds: list[RewindRecord] = field(default_factory=list)
    window_start: int | None = None
    """Where the newest head read starts its node window: the largest start recorded (the
    turns' own included), since a start only goes up (at a full rewrite, which renumbers the
    nodes it keeps). Heads history holds outside turns (a run's carry, a rewind) add to it."""

    head: TurnRecord | None = None
    """The newest head history recorded: the latest turn's, or one a later rewind, head load
    or run's carry moved the session to (what the store's head should be); None: no head
    read, or the turns given alone (the latest turn's is taken)."""

    def __post_init__(self) -> None:
        starts = [t.node_window[0] for t in self.turns if t.node_window is not None]
        if self.window_start is not None:
            starts.append(self.window_start)
        self.window_start = max(starts, default=None)

    def newest_head(self) -> TurnRecord:
        """``head``, else the latest turn's (what verify compares with the store's head)."""
        return self.head or self.turn()

    def turn(self, index: int | None = None) -> TurnRecord:
        """Turn ``index`` (the latest when None); a turn not in the history is a HistoryError."""
        if index is None and self.turns:
            return self.turns[-1]
        for record in self.turns:
            if record.turn_index == index:
                return record
        # A run read for its first event only still names the head and turn count so far.
        heads = [*self.turns[-1:], *([self.head] if self.head else [])]
        latest = max((t.turn_index for t in heads), default=0)
        if index is None or latest == 0:
            raise HistoryError(f"the history of session {self.session_id!r} holds no turn")
        if index > latest:  # said apart: a read of the runs one turn needs holds a few only
            raise HistoryError(
                f"session {self.session_id!r} has no turn {index}: its latest turn is {latest}"
            )
        if self.turns and index < self.turns[0].turn_index:
            raise HistoryError(f"session {self.session_id!r} has no turn {index}: the history "
                               f"read begins at turn {self.turns[0].turn_index}")
        raise HistoryError(f"session {self.session_id!r} has no turn {index} in the history "
                           "read (a run that holds it is missing)")


# --- reading events ---------------------------------------------------------------------------


def _event_type(event: Mapping[str, Any]) -> str:
    return _type_name(str(event.get("eventType") or event.get("event_type") or ""))


@functools.cache
def _type_name(raw: str) -> str:
    """``EVENT_TYPE_ACTIVITY_TASK_COMPLETED`` as ``ActivityTaskCompleted``; a history names a
    few dozen types over thousands of events, so each is spelled once."""
    if raw.startswith("EVENT_TYPE_"):
        return "".join(word.capitalize() for word in raw[len("EVENT_TYPE_"):].split("_"))
    return raw


def _attributes(event: Mapping[str, Any]) -> Mapping[str, Any]:
    for key, value in event.items():
        if key.endswith(("EventAttributes", "_event_attributes")) and isinstance(value, dict):
            return value
    raise HistoryError(f"event {event.get('eventId')} ({_event_type(event)}) has no attributes")


def _get(attrs: Mapping[str, Any], name: str) -> Any:
    """A camelCase field, or its snake_case spelling."""
    if name in attrs:
        return attrs[name]
    return attrs.get("".join("_" + c.lower() if c.isupper() else c for c in name))


def _payload(attrs: Mapping[str, Any], name: str, where: str) -> Any:
    """The first payload of ``attrs[name]``, decoded from plain JSON."""
    payloads = (_get(attrs, name) or {}).get("payloads") or []
    if not payloads:
        raise HistoryError(f"{where} has no {name} payload")
    payload = payloads[0]
    data = payload.get("data")
    if not isinstance(data, str):
        return data  # already decoded (a UI export through a codec server)
    encoding = (payload.get("metadata") or {}).get("encoding", "")
    try:
        encoding = base64.b64decode(encoding).decode()
        if encoding != "json/plain":
            raise HistoryError(
                f"{where}: payload encoding {encoding!r} is not plain JSON (export the history "
                "decoded, through the codec)"
            )
        return json.loads(base64.b64decode(data))
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise HistoryError(f"{where}: the payload is not base64 JSON ({err})") from err


def _parse(model: type[_Read], value: Any, where: str) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as err:
        raise HistoryError(f"{where}: {model.__name__.lstrip('_')} does not parse: "
                           f"{err.errors()[0]['msg']}") from err


def _events(history: Any) -> tuple[str | None, list[Mapping[str, Any]]]:
    """(workflow id if the file names it, events) of any accepted shape."""
    workflow_id = None
    if isinstance(history, dict) and "history" in history:
        workflow_id = history.get("workflow_id") or history.get("workflowId")
        history = history["history"]
    events = history.get("events") if isinstance(history, dict) else history
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise HistoryError("not a workflow history: expected {\"events\": [...]}")
    return workflow_id, events


def _check_complete(events: list[Mapping[str, Any]], where: str) -> None:
    """Event ids run 1, 2, 3, ... with no gap: a cut history is refused, not half-read."""
    for position, event in enumerate(events, start=1):
        if str(event.get("eventId")) != str(position):
            raise HistoryError(
                f"{where} is truncated: event {position} is missing "
                f"(found event {event.get('eventId')} in its place)"
            )


@dataclass
class _Run:
    workflow_id: str
    run_id: str
    start_time: str
    session: _SessionInput
    events: list[Mapping[str, Any]]
    continued_to: str | None = None
    scheduled: dict[str, tuple[str, Any]] = field(default_factory=dict)


def _run(history: Any, name: str, complete: bool) -> _Run:
    workflow_id, events = _events(history)
    if not events:
        raise HistoryError(f"{name} holds no events")
    if complete:
        _check_complete(events, name)
    first = events[0]
    if _event_type(first) != "WorkflowExecutionStarted":
        raise HistoryError(f"{name} is truncated: it does not begin with the workflow's start")
    attrs = _attributes(first)
    kind = (_get(attrs, "workflowType") or {}).get("name")
    workflow_id = _get(attrs, "workflowId") or workflow_id or "?"
    if kind != SESSION_WORKFLOW_TYPE:
        raise HistoryError(
            f"{name} is a history of workflow type {kind!r} ({workflow_id}), "
            f"not a lash session ({SESSION_WORKFLOW_TYPE!r})"
        )
    where = f"{name}, event 1"
    session = _parse(_SessionInput, _payload(attrs, "input", where), where)
    run_id = str(_get(attrs, "originalExecutionRunId") or name)
    return _Run(workflow_id, run_id, str(first.get("eventTime", "")), session, events)


def _order(runs: list[_Run]) -> list[_Run]:
    """Runs in chain order: by start time, which continue-as-new makes strictly increasing."""
    unique = {r.run_id: r for r in runs}
    ids = {r.workflow_id for r in unique.values()}
    if len(ids) > 1:
        raise HistoryError(f"the histories belong to different workflows: {sorted(ids)}")
    return sorted(unique.values(), key=lambda r: _sortable_time(r.start_time))


def _sortable_time(text: str) -> str:
    """RFC 3339 with the fraction padded to nine digits, so that text order is time order."""
    if "." not in text:
        return text.replace("Z", ".000000000Z")
    head, tail = text.split(".", 1)
    digits = "".join(c for c in tail if c.isdigit())
    return f"{head}.{digits.ljust(9, '0')}{tail[len(digits):]}"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= USER_TEXT_EXCERPT else text[: USER_TEXT_EXCERPT - 1] + "…"


def _policy(value: Any) -> _Policy:
    return _Policy.model_validate(value) if isinstance(value, dict) else _Policy()


def _head_of(value: Any) -> dict[str, Any]:
    """A receipt's or loaded head's fields, as ``TurnRecord`` keywords."""
    window = value.get("node_window")
    return dict(
        head_revision=int(value["head_revision"]), checkpoint_ref=value.get("checkpoint_ref"),
        leaf_node_id=value.get("leaf_node_id"),
        node_window=(int(window[0]), int(window[1])) if window is not None else None,
    )


class _Reader:
    """Walks the runs' events in order, keeping the ledger as the workflow kept it. Payloads
    are read as plain JSON (validating a model per turn would dominate a long session)."""

    def __init__(self) -> None:
        self.ledger: Usage = ()
        self.records: dict[int, TurnRecord] = {}
        self.rewinds: list[RewindRecord] = []
        self.window_start: int | None = None
        self.head: TurnRecord | None = None
        self.policy: _Policy | None = None
        """The latest turn's policy: what a head moved by a rewind or carried over keeps."""

    def run(self, run: _Run) -> None:
        carry = run.session.start.carry
        self.ledger = _rows([e.model_dump() for e in carry.ledger], "carry") if carry else ()
        policy = run.session.policy
        if carry is not None and carry.head is not None:
            self._moved(carry.head.model_dump(), carry.turn_index, self.policy or policy,
                        dict(run_id=run.run_id, event_id=1, event_time=run.start_time))
        for event in run.events:
            kind = _event_type(event)
            if kind not in _WANTED or kind == "WorkflowExecutionStarted":
                continue
            attrs, event_id = _attributes(event), str(event.get("eventId"))
            where = f"run {run.run_id}, event {event_id}"
            if kind == "ActivityTaskScheduled":
                name = (_get(attrs, "activityType") or {}).get("name", "")
                if name in (RUN_TURN, LOAD_SESSION_HEAD, REWIND_SESSION):
                    run.scheduled[event_id] = (name, _payload(attrs, "input", where))
            elif kind == "ActivityTaskCompleted":
                scheduled = run.scheduled.get(str(_get(attrs, "scheduledEventId")))
                if scheduled is None:
                    continue
                name, request = scheduled
                result = _payload(attrs, "result", where)
                base: dict[str, Any] = dict(
                    run_id=run.run_id, event_id=int(event_id),
                    event_time=str(event.get("eventTime", "")),
                )
                try:
                    if name == RUN_TURN:
                        policy = self.policy = _policy(request.get("policy"))
                        self._outcome(result, request, policy, base, where)
                    elif name == REWIND_SESSION:
                        after = int(result.get("turn_index", 0))
                        self.rewinds.append(
                            RewindRecord(to_turn=int(request["to_turn"]), after_turn=after, **base)
                        )
                        self._moved(result["head"], after, self.policy or policy, base)
                    else:
                        self._head(result, policy, base, where)
                except (KeyError, TypeError, ValueError, AttributeError) as err:
                    raise HistoryError(f"{where}: the {name} payload does not parse "
                                       f"({err!r})") from err
            else:
                run.continued_to = _get(attrs, "newExecutionRunId")

    def _outcome(
        self, outcome: Any, request: Any, policy: _Policy, base: dict[str, Any], where: str
    ) -> None:
        deltas = _rows(outcome.get("usage_deltas"), where)
        self.ledger = _merge_rows(self.ledger, deltas)
        status = outcome["status"]
        if status not in ("completed", "interrupted"):
            return  # awaiting children: the same turn goes on
        index = int(outcome["turn_index"])
        self.records[index] = self._moved(
            outcome["receipt"], index, policy, base, status=status, usage_rows=deltas,
            started_at=request.get("started_at"),
            user_text=_excerpt(str(request.get("user_text", ""))),
        )

    def _head(self, view: Any, policy: _Policy, base: dict[str, Any], where: str) -> None:
        self.ledger = _rows(view.get("ledger"), where)
        if view.get("head") is None:
            return
        index = int(view.get("turn_index", 0))
        known = self.records.get(index)
        if known is not None and known.head_revision == view["head"]["head_revision"]:
            self.head = known  # the turn's own head, loaded again
            return
        loaded = self._moved(view["head"], index, _Policy(
            provider=known.provider, model=known.model,
            max_context_tokens=known.max_context_tokens,
        ) if known else policy, base)
        if known is None or known.status == "loaded":
            self.records[index] = loaded  # a turn's own receipt stays its record

    def _moved(
        self, head: Any, index: int, policy: _Policy, base: dict[str, Any], *,
        status: Literal["completed", "interrupted", "loaded"] = "loaded", **turn: Any,
    ) -> TurnRecord:
        """A head the session moved to (a turn's commit, a loaded or rewound head, a run's
        carry) as the newest head so far, with the ledger as it stands."""
        record = TurnRecord(
            turn_index=index, status=status, **_head_of(head), ledger_rows=self.ledger,
            provider=policy.provider, model=policy.model,
            max_context_tokens=policy.max_context_tokens, **base, **turn,
        )
        known = self.head
        if record.node_window is None and known and known.head_revision == record.head_revision:
            # Carries written before they kept windows name the same head with less.
            record = dataclasses.replace(record, node_window=known.node_window)
        if record.node_window is not None:  # the largest start seen is the newest's
            self.window_start = max(record.node_window[0], self.window_start or 0)
        self.head = record
        return record


class TurnRuns:
    """Which runs a read for one turn takes in full. Asked about each run newest first, with
    the turns its start says came before it (None: its start does not say): the newest run
    (its heads say whether a later full rewrite renumbered the turn's nodes), the run that
    holds the turn, and any run that may hold it, until a run known to hold it. Every other
    run's first event is enough: it names the run before, and its carry holds the turn count,
    ledger and head so far. Shared by the live read and the read of exported files."""

    def __init__(self, for_turn: int | Literal["latest"]) -> None:
        self._latest = for_turn == LATEST
        self._wanted = None if isinstance(for_turn, str) else for_turn
        self._held = False
        self._newest = True

    def whole(self, before: int | None) -> bool:
        """Whether the next run (the newest first), ``before`` turns after the start, is read
        in full; for ``LATEST``, the newest run's count names the turn (its first or the one
        before it)."""
        newest, self._newest = self._newest, False
        if newest and self._latest:
            self._wanted = before
        wanted = self._wanted
        holds = before is None or wanted is None or before < wanted  # unknown: it may
        whole = newest or (holds and not self._held)
        self._held = self._held or (holds and before is not None and wanted is not None)
        return whole


def runs_for_turn(
    histories: list[Any], names: list[str], for_turn: int | Literal["latest"]
) -> list[Any]:
    """Exported runs as a read for one turn needs them: each run ``TurnRuns`` does not take
    in full cut to its first event, so neither its payloads nor its turns are read (turn 1,000
    of a 10,000-turn session reads two of its forty runs). A run that is cut short, corrupted,
    or whose start does not read keeps every run whole, for ``read_history`` to name what is
    wrong."""
    try:
        runs = [_run(value, name, True) for value, name in zip(histories, names, strict=True)]
        _order(runs)
    except HistoryError:
        return histories
    if len({run.run_id for run in runs}) < len(runs):
        return histories  # a run given twice: read_history keeps one copy, which must be whole
    needs = TurnRuns(for_turn)
    order = sorted(range(len(runs)), key=lambda i: _sortable_time(runs[i].start_time))
    cut = list(histories)
    for i in reversed(order):
        if not needs.whole(_turns_before(runs[i].session)):
            cut[i] = _with_events(histories[i], runs[i].events[:1])
    return cut


def _turns_before(session: _SessionInput) -> int | None:
    """The turns completed before a run, as its carry says (None: it did not start from one)."""
    start = session.start
    return start.carry.turn_index if start.kind == "carry" and start.carry else None


def _with_events(history: Any, events: list[Mapping[str, Any]]) -> Any:
    """``history`` in its own shape (``_events``), holding ``events`` instead of its own."""
    if isinstance(history, dict) and "history" in history:
        return {**history, "history": _with_events(history["history"], events)}
    return {**history, "events": events} if isinstance(history, dict) else events


def read_history(
    histories: Iterable[Any], *, names: Iterable[str] | None = None, complete: bool = True
) -> SessionHistory:
    """A session's turns from the histories of some or all of its runs (any order).

    Each history is a decoded JSON value in one of the accepted shapes; ``names`` label them in
    errors (file names). ``complete`` refuses a history whose event ids have gaps; a fetcher
    that keeps only ``WANTED_EVENT_TYPES`` passes False."""
    values = list(histories)
    labels = list(names) if names is not None else [f"history {i + 1}" for i in range(len(values))]
    runs = _order([_run(v, label, complete) for v, label in zip(values, labels, strict=True)])
    if not runs:
        raise HistoryError("no history to read")
    reader = _Reader()
    with cyclic_gc_paused():  # the histories read are millions of live objects to walk
        for run in runs:
            reader.run(run)
    first = runs[0].session
    return SessionHistory(
        workflow_id=runs[0].workflow_id,
        session_id=first.session_id,
        runs=[RunInfo(r.run_id, r.start_time, len(r.events), r.continued_to) for r in runs],
        turns=[reader.records[i] for i in sorted(reader.records)],
        snapshot_ref=first.start.snapshot_ref if first.start.kind == "snapshot" else None,
        rewinds=reader.rewinds,
        window_start=reader.window_start,
        head=reader.head,
    )


def parse_history_json(text: str | bytes, name: str) -> Any:
    """A history file's JSON; a file cut short and one that is not JSON get different errors.

    pydantic-core's parser with the cyclic GC paused: a 1,000-turn history is millions of
    objects, which ``json.loads`` with the GC on took five times as long to build. Anything it
    refuses is parsed again by ``json.loads``, which accepts what it accepts (lone surrogate
    escapes, other encodings) and names where a broken file breaks."""
    try:
        with cyclic_gc_paused():
            return from_json(text)
    except ValueError:
        pass
    try:
        return json.loads(text)
    except ValueError as err:
        stripped = (text.decode(errors="replace") if isinstance(text, bytes) else text).rstrip()
        pos, msg = getattr(err, "pos", -1), getattr(err, "msg", "")
        at_end = pos >= len(stripped) - 1 or msg.startswith("Unterminated string")
        if stripped[:1] in ("{", "[") and at_end:
            raise HistoryError(f"{name} is truncated: its JSON ends early") from err
        raise HistoryError(f"{name} is not a JSON workflow history ({err})") from err


# --- rebuilding -------------------------------------------------------------------------------


async def _base_policy(store: SessionStore, history: SessionHistory) -> SessionPolicy:
    """The policy the session's first commit started from: a sub-agent's snapshot's, else the
    default of a new state."""
    if history.snapshot_ref is None:
        return SessionPolicy.default()
    snapshot = PersistedSessionState.model_validate(await store.get_blob(history.snapshot_ref))
    return snapshot.policy


def config_of(record: TurnRecord, base: SessionPolicy) -> PersistedSessionConfig:
    """The config the turn's commit wrote: the host's policy over the stored one (the turn
    activity's ``session_policy``), then ``PersistedSessionConfig.from_policy``."""
    policy = base.model_copy(update={
        "model": record.model,
        "provider": {"type": record.provider},
        "max_context_tokens": record.max_context_tokens,
    })
    return PersistedSessionConfig.from_policy(policy)


async def session_config(
    store: SessionStore, history: SessionHistory, record: TurnRecord
) -> PersistedSessionConfig:
    """The config ``record``'s commit wrote (what a fork at that turn starts with)."""
    return config_of(record, await _base_policy(store, history))


def _window_holds(history: SessionHistory, record: TurnRecord) -> bool:
    """Whether ``record``'s node window still names its whole graph: it has one, and no head
    since starts a new run of numbers (a full rewrite, which renumbers the nodes it keeps).
    Starts only go up, so the newest head's start tells (the turns in between need not be
    read). Otherwise the rebuild holds the path from the root to the leaf, which immutable
    nodes always give."""
    if record.node_window is None:
        return False
    return history.window_start is None or record.node_window[0] >= history.window_start


async def _graph_at(
    store: SessionStore, sid: str, record: TurnRecord, window_holds: bool
) -> SessionGraph:
    """The graph at ``record``'s head: its window's whole graph while that holds, else the
    path to its leaf. A later full rewrite may show only in runs the read skipped (or in a
    carry written before carries kept windows); the nodes it renumbered leave a hole in the
    window, which the read finds, and the path is read instead."""
    if record.node_window is not None and window_holds:
        try:
            return await store.load_graph_window(sid, record.node_window, record.leaf_node_id)
        except NodeNotFoundError:
            if record.leaf_node_id is None:
                raise
    if record.leaf_node_id is not None:
        return await store.load_graph_at(sid, record.leaf_node_id)
    return SessionGraph()


async def rebuild_state(
    store: SessionStore, history: SessionHistory, turn: int | None = None
) -> PersistedSessionState:
    """The state the store held right after ``turn`` (the latest when None), from immutable
    nodes and blobs only."""
    return await rebuild_head(store, history, history.turn(turn))


async def rebuild_head(
    store: SessionStore, history: SessionHistory, record: TurnRecord
) -> PersistedSessionState:
    """The state the store held at the head ``record`` names (a turn's, or a head history
    recorded since), from immutable nodes and blobs only."""
    sid = history.session_id
    graph = await _graph_at(store, sid, record, _window_holds(history, record))
    checkpoint = (
        await store.load_checkpoint(record.checkpoint_ref)
        if record.checkpoint_ref is not None else None
    )
    read = PersistedSessionRead(
        session_id=sid, head_revision=record.head_revision,
        config=config_of(record, await _base_policy(store, history)), graph=graph,
        checkpoint_ref=record.checkpoint_ref, checkpoint=checkpoint,
        token_ledger=record.ledger,
    )
    return state_from_read(read)


def json_differences(a: Any, b: Any, path: str = "$") -> list[str]:
    """Every JSON path where ``a`` and ``b`` differ, with both values when they are short."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                found.append(f"{path}.{key}: only in {'rebuilt' if key in a else 'store'}")
            else:
                found += json_differences(a[key], b[key], f"{path}.{key}")
        return found
    if isinstance(a, list) and isinstance(b, list):
        found = []
        if len(a) != len(b):
            found.append(f"{path}: {len(a)} items rebuilt, {len(b)} in the store")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found += json_differences(x, y, f"{path}[{i}]")
        return found
    if a == b:
        return []
    shown = f"{json.dumps(a)[:60]} rebuilt, {json.dumps(b)[:60]} in the store"
    return [f"{path}: {shown}"]


async def verify_state(store: SessionStore, history: SessionHistory) -> list[str]:
    """Where the state at the newest head history recorded (``SessionHistory.newest_head``: the
    latest turn's, or a rewind's since) differs from the store's head state (empty: equal)."""
    rebuilt = await rebuild_head(store, history, history.newest_head())
    stored = await load_persisted_session_state(store, history.session_id)
    if stored is None:
        return [f"$: the store holds no session {history.session_id!r}"]
    return json_differences(rebuilt.model_dump(mode="json"), stored.model_dump(mode="json"))


__all__ = [
    "LATEST",
    "LOAD_SESSION_HEAD",
    "REWIND_SESSION",
    "RUN_TURN",
    "SESSION_WORKFLOW_TYPE",
    "USER_TEXT_EXCERPT",
    "WANTED_EVENT_TYPES",
    "HistoryError",
    "RewindRecord",
    "RunInfo",
    "SessionHistory",
    "TurnRecord",
    "TurnRuns",
    "config_of",
    "json_differences",
    "parse_history_json",
    "read_history",
    "rebuild_head",
    "rebuild_state",
    "runs_for_turn",
    "session_config",
    "verify_state",
]
