"""``lash-temporal history`` and ``rebuild``: a session's turns from its workflow histories, and
the state at any turn rebuilt from the store's immutable nodes and blobs.

``checkpoint.history`` reads the histories; this module gets them, from exported files or from
the server (every run as ``_runs.session_runs`` finds them, or the runs one turn needs).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.service import RPCError

from checkpoint.history import (
    LATEST,
    WANTED_EVENT_TYPES,
    HistoryError,
    RewindRecord,
    SessionHistory,
    TurnRecord,
    parse_history_json,
    read_history,
    rebuild_state,
    runs_for_turn,
    verify_state,
)
from workflows.host.cli._access import connect_to, open_store_at, payload_store
from workflows.host.cli._config import Target
from workflows.host.cli._errors import CliError, from_rpc
from workflows.host.cli._history_refs import client_driver, resolve_references
from workflows.host.cli._render import plural
from workflows.host.cli._runs import session_runs, short_run
from workflows.payloads import PayloadDriver

_WANTED = frozenset(EventType.Value(name) for name in WANTED_EVENT_TYPES)


def _payloads(payloads: Any) -> dict[str, Any]:
    """Payloads as the reader takes them; plain JSON is decoded here (no base64 round trip)."""
    out = []
    for p in payloads.payloads:
        if p.metadata.get("encoding") == b"json/plain":
            out.append({"data": json.loads(p.data)})
        else:  # left encoded: the reader names the encoding it cannot read
            out.append({"metadata": {k: base64.b64encode(v).decode()
                                     for k, v in p.metadata.items()},
                        "data": base64.b64encode(p.data).decode()})
    return {"payloads": out}


def event_json(event: HistoryEvent) -> dict[str, Any]:
    """The fields of one wanted event that ``checkpoint.history`` reads, in its proto3 JSON
    shape; ``MessageToDict`` of the whole event costs about a millisecond, this a few µs."""
    kind = EventType.Name(event.event_type)
    attrs: dict[str, Any]
    if event.HasField("workflow_execution_started_event_attributes"):
        a = event.workflow_execution_started_event_attributes
        attrs = {"workflowType": {"name": a.workflow_type.name}, "workflowId": a.workflow_id,
                 "originalExecutionRunId": a.original_execution_run_id,
                 "continuedExecutionRunId": a.continued_execution_run_id,
                 "input": _payloads(a.input)}
    elif event.HasField("activity_task_scheduled_event_attributes"):
        s = event.activity_task_scheduled_event_attributes
        attrs = {"activityType": {"name": s.activity_type.name}, "input": _payloads(s.input)}
    elif event.HasField("activity_task_completed_event_attributes"):
        c = event.activity_task_completed_event_attributes
        attrs = {"scheduledEventId": str(c.scheduled_event_id), "result": _payloads(c.result)}
    else:
        n = event.workflow_execution_continued_as_new_event_attributes
        attrs = {"newExecutionRunId": n.new_execution_run_id}
    return {"eventId": str(event.event_id), "eventTime": event.event_time.ToJsonString(),
            "eventType": kind, "readEventAttributes": attrs}


async def fetch_runs(
    client: Client, session_id: str, *, for_turn: int | Literal["latest"] | None = None
) -> list[dict[str, Any]]:
    """Every run's history of the session (``session_runs``; with ``for_turn``, the runs that
    turn needs), keeping only the events the reader uses (the rest are most of a history and
    cost time to convert), newest run first."""
    histories = [
        {"events": [event_json(e) for e in run.events if e.event_type in _WANTED]}
        for run in await session_runs(client, session_id, for_turn=for_turn)
    ]
    # Large payloads are references into the store: read them back.
    resolved: list[dict[str, Any]] = await resolve_references(histories, client_driver(client))
    return resolved


def read_files(paths: Sequence[Path]) -> list[Any]:
    """Each file's JSON; an unreadable, cut or corrupted file is a HistoryError naming it."""
    values = []
    for path in paths:
        try:
            text = path.read_bytes()
        except OSError as err:
            raise HistoryError(f"cannot read {path}: {err.strerror or err}") from err
        values.append(parse_history_json(text, str(path)))
    return values


async def load_session_history(
    target: Target, session_id: str, files: Sequence[Path] = (),
    for_turn: int | Literal["latest"] | None = None,
) -> SessionHistory:
    """The session's history, from ``files`` when given, else from the server; with
    ``for_turn``, only the runs that turn needs are read past their first event
    (``checkpoint.history.TurnRuns``)."""
    if files:
        names = [str(p) for p in files]
        values = read_files(files)
        if for_turn is not None:
            values = runs_for_turn(values, names, for_turn)
        driver = PayloadDriver(payload_store(target))  # large payloads are refs into the store
        try:
            runs = await resolve_references(values, driver)
        finally:
            await driver.close()
        history = read_history(runs, names=names)
        if history.session_id != session_id:
            raise HistoryError(
                f"the history files hold session {history.session_id!r}, not {session_id!r}"
            )
        return history
    client = await connect_to(target)
    try:
        runs = await fetch_runs(client, session_id, for_turn=for_turn)
    except RPCError as err:
        raise from_rpc(err, address=target.address, session_id=session_id) from err
    return read_history(runs, complete=False)


def _short(ref: str | None, n: int = 12) -> str:
    if not ref:
        return "-"
    return ref.split(":", 1)[-1][:n]


def turn_line(record: TurnRecord) -> str:
    """One turn: index, time, run, the start of the message, usage, checkpoint."""
    when = (record.started_at or record.event_time)[:19].replace("T", " ") or "-"
    usage_in = sum(e.usage.input_tokens for e in record.usage_deltas)
    usage_out = sum(e.usage.output_tokens for e in record.usage_deltas)
    text = record.user_text if record.status != "loaded" else "(head loaded from the store)"
    mark = {"interrupted": " [interrupted]", "loaded": " [loaded]"}.get(record.status, "")
    message = json.dumps(text[:48] + ("…" if len(text) > 48 else ""), ensure_ascii=False)
    return (
        f"{record.turn_index:>5}  {when}  run {short_run(record.run_id)}  {message:<52}  "
        f"in {usage_in:>6} out {usage_out:>6}  ckpt {_short(record.checkpoint_ref)}{mark}"
    )


def rewind_line(record: RewindRecord) -> str:
    """A rewind, under the turn it followed: where the next turn branches from."""
    when = record.event_time[:19].replace("T", " ") or "-"
    return (f"{'':>5}  {when}  run {short_run(record.run_id)}  rewound to turn "
            f"{record.to_turn}: turn {record.after_turn + 1} branches from there")


async def history_text(target: Target, session_id: str, files: Sequence[Path] = ()) -> str:
    """What ``history`` prints: a header, one line per turn across all runs, and a line for
    each rewind after the turn it followed."""
    history = await load_session_history(target, session_id, files)
    runs = len(history.runs)
    head = (f"session {session_id}: {plural(len(history.turns), 'turn')} in "
            f"{plural(runs, 'run')}")
    rewinds = f", {plural(len(history.rewinds), 'rewind')}" if history.rewinds else ""
    lines = [(t.turn_index, 0, turn_line(t)) for t in history.turns]
    lines += [(r.after_turn, 1, rewind_line(r)) for r in history.rewinds]
    lines.sort(key=lambda line: line[:2])  # stable: rewinds after one turn stay in their order
    return "\n".join([head + rewinds, *(text for *_, text in lines)])


async def rebuild_text(
    target: Target,
    session_id: str,
    *,
    at_turn: int | None,
    files: Sequence[Path] = (),
    verify: bool = False,
    as_json: bool = False,
) -> tuple[str, bool]:
    """(what ``rebuild`` prints, whether it succeeded): the state's serde JSON, a summary, or
    with ``verify`` the differences from the store's head."""
    wanted = LATEST if verify or at_turn is None else at_turn
    history = await load_session_history(target, session_id, files, for_turn=wanted)
    record = history.turn(at_turn)
    store = await open_store_at(target.store_url, must_exist=True)
    try:
        if verify:  # the newest head history recorded: a rewind after the turn moves it
            head = history.newest_head()
            problems = await verify_state(store, history)
            at = (f"session {session_id}: the rebuilt state at revision {head.head_revision} "
                  f"(turn {head.turn_index})")
            if problems:
                lines = [f"{at} differs from the store's head in {len(problems)} places:",
                         *problems]
                return "\n".join(lines), False
            return f"{at} equals the store's head", True
        state = await rebuild_state(store, history, record.turn_index)
    except (LookupError, ValueError) as err:
        raise CliError(f"session {session_id}: cannot rebuild turn {record.turn_index}: "
                       f"{err}") from err
    finally:
        await store.close()
    if as_json:
        return state.model_dump_json(), True
    nodes = len(state.session_graph.nodes)
    ledger = ", ".join(
        f"{e.source}/{e.model} in {e.usage.input_tokens} out {e.usage.output_tokens}"
        for e in state.token_ledger
    ) or "empty"
    return "\n".join([
        f"session {session_id} at turn {state.turn_index} (run {short_run(record.run_id)}, "
        f"{record.status})",
        f"  head revision {state.head_revision}, checkpoint {_short(state.checkpoint_ref)}, "
        f"leaf {state.session_graph.leaf_node_id or '-'}",
        f"  {nodes} nodes, model {state.policy.model or '-'}, ledger: {ledger}",
    ]), True
