"""The runs of a session on the server, newest first: the continue-as-new chain followed back
through each start's ``continuedExecutionRunId`` (so no visibility query can miss a run just
started), and past a ``resume`` into the closed workflow it went on from.

``history``, ``rebuild``, ``rewind``, ``fork``, ``resume`` and ``replay`` all read runs this one
way.
``rebuild``, ``rewind`` and ``fork`` ask for the runs one turn needs (``for_turn``): each
run's start carries the ledger, the turn count and the head so far, so only the run that holds
the turn and the newest run (whose heads say whether a later full rewrite renumbered the
turn's nodes) are read in full, as ``checkpoint.history.TurnRuns`` decides (exported files
are cut the same way). Every other run gives its first event, which names the run before (and
the first run's says how the session began): turn 100 of a 10,000-turn session reads two of
its runs in full, not all forty.
The link a resumed workflow keeps is a memo (``RESUMED_FROM_RUN``), not part of its input:
the workflow has no use for it, and a worker of an earlier release, which refuses input
fields it does not know, ignores memos.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Literal

from temporalio.api.common.v1 import Memo, Payload
from temporalio.api.history.v1 import HistoryEvent, WorkflowExecutionStartedEventAttributes
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from checkpoint.history import TurnRuns
from workflows.contract import workflow_id

_log = logging.getLogger(__name__)

RESUMED_FROM_RUN = "lash.resumed_from_run"
"""Memo key of a workflow ``resume`` started: the last run of the closed one it goes on from."""


async def session_runs(
    client: Client, session_id: str, *, for_turn: int | Literal["latest"] | None = None
) -> list[WorkflowHistory]:
    """Every run's history of the session, newest first; with ``for_turn``, only the newest run
    and the run that holds that turn (``LATEST``: the newest run's first turn or the turn
    before it) are read in full, and every other run gives its first event only.

    A workflow that ``resume`` started names the last run of the closed one it goes on from
    (memo ``RESUMED_FROM_RUN``); those runs are read too, unless the server no longer has them
    (the closed workflow was deleted, or is past the namespace's retention).

    Runs are fetched at once, not one after another: a run's first event names the run before
    it, so the next fetch starts as soon as that event arrives, while the rest of the run's
    pages are still coming (a 1,000-turn session spans several runs of thousands of events).
    With ``for_turn`` a run other than the newest is fetched for its first event, which says
    how many turns came before it, and then in full only if it holds the turn."""
    fetches: list[asyncio.Task[WorkflowHistory | None]] = []
    seen: set[str] = set()
    run_id: str | None = None
    resumed = False
    needs = TurnRuns(for_turn) if for_turn is not None else None
    loop = asyncio.get_running_loop()
    try:
        while True:
            first: asyncio.Future[HistoryEvent] = loop.create_future()
            whole = loop.create_future() if for_turn is not None and fetches else None
            handle = client.get_workflow_handle(workflow_id(session_id), run_id=run_id)
            fetches.append(asyncio.create_task(_fetch(handle, first, whole)))
            try:
                started = (await first).workflow_execution_started_event_attributes
            except RPCError as err:
                if not (resumed and err.status == RPCStatusCode.NOT_FOUND):
                    raise
                _log.warning(
                    "session %s was resumed from run %s, which the server no longer has "
                    "(deleted, or past the namespace's retention): its turns are not read; "
                    "pass the exported runs of both workflows with --history-file",
                    session_id, run_id,
                )
                break  # what was resumed from is gone: read what is left
            read_whole = needs.whole(_turns_before(started)) if needs is not None else True
            if whole is not None:
                whole.set_result(read_whole)
            seen.add(started.original_execution_run_id)
            resumed = not started.continued_execution_run_id
            run_id = started.continued_execution_run_id or _resumed_from(started.memo)
            if run_id is None or run_id in seen:
                break
        return [run for run in await asyncio.gather(*fetches) if run is not None]
    except BaseException:
        for fetch in fetches:
            fetch.cancel()
        await asyncio.gather(*fetches, return_exceptions=True)
        raise


async def _fetch(
    handle: WorkflowHandle[Any, Any],
    first: asyncio.Future[HistoryEvent],
    whole: asyncio.Future[bool] | None,
) -> WorkflowHistory | None:
    """The run's history; its first event goes to ``first`` as soon as it arrives (a failure
    before that goes to ``first`` too, and the history is None). With ``whole``, the first
    event alone is fetched, and the rest only if ``whole`` comes true."""
    events: list[HistoryEvent] = []
    try:
        async for event in handle.fetch_history_events(page_size=1 if whole is not None else None):
            if not events and not first.done():  # done: the reader was cancelled
                first.set_result(event)
            events.append(event)
            if whole is not None:
                break
    except Exception as err:
        if first.done():
            raise
        first.set_exception(err)
        return None
    if not first.done():
        first.set_exception(LookupError(f"workflow {handle.id} has a run with no events"))
        return None
    if whole is not None and await whole:
        events = [event async for event in handle.fetch_history_events()]
    return WorkflowHistory(workflow_id=handle.id, events=events)


def _plain_json(payload: Payload | None) -> Any:
    """A payload's value if it is plain JSON, else None (absent, a codec's, or not JSON)."""
    if payload is None or payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        return json.loads(payload.data)
    except ValueError:
        return None


def _turns_before(started: WorkflowExecutionStartedEventAttributes) -> int | None:
    """The turns completed before this run, as its carry says (None: the run did not start
    from a carry, or its input is not plain JSON, such as a codec's)."""
    payloads = started.input.payloads
    value = _plain_json(payloads[0] if payloads else None)
    start = value.get("start") if isinstance(value, dict) else None
    carry = start.get("carry") if isinstance(start, dict) and start.get("kind") == "carry" else None
    turns = carry.get("turn_index") if isinstance(carry, dict) else None
    return turns if type(turns) is int else None


def _resumed_from(memo: Memo) -> str | None:
    """The run a resumed workflow goes on from, if its memo names one (a memo written by hand
    may name something else)."""
    run = _plain_json(memo.fields.get(RESUMED_FROM_RUN))
    return run if isinstance(run, str) and run else None


def short_run(run_id: str) -> str:
    """A run id short enough for a line: its last 8 characters. Run ids are UUIDv7, whose
    leading characters are a timestamp that runs started within a minute share."""
    return run_id[-8:]


__all__ = ["RESUMED_FROM_RUN", "session_runs", "short_run"]
