"""The runs of a session on the server, newest first: the continue-as-new chain followed back
through each start's ``continuedExecutionRunId`` (so no visibility query can miss a run just
started), and past a ``resume`` into the closed workflow it went on from.

``history``, ``rebuild``, ``rewind``, ``resume`` and ``replay`` all read runs this one way.
The link a resumed workflow keeps is a memo (``RESUMED_FROM_RUN``), not part of its input:
the workflow has no use for it, and a worker of an earlier release, which refuses input
fields it does not know, ignores memos.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from temporalio.api.common.v1 import Memo
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from workflows.contract import workflow_id

_log = logging.getLogger(__name__)

RESUMED_FROM_RUN = "lash.resumed_from_run"
"""Memo key of a workflow ``resume`` started: the last run of the closed one it goes on from."""


async def session_runs(client: Client, session_id: str) -> list[WorkflowHistory]:
    """Every run's history of the session, newest first.

    A workflow that ``resume`` started names the last run of the closed one it goes on from
    (memo ``RESUMED_FROM_RUN``); those runs are read too, unless the server no longer has them
    (the closed workflow was deleted, or is past the namespace's retention).

    Runs are fetched at once, not one after another: a run's first event names the run before
    it, so the next fetch starts as soon as that event arrives, while the rest of the run's
    pages are still coming (a 1,000-turn session spans several runs of thousands of events)."""
    fetches: list[asyncio.Task[WorkflowHistory | None]] = []
    seen: set[str] = set()
    run_id: str | None = None
    resumed = False
    try:
        while True:
            first: asyncio.Future[HistoryEvent] = asyncio.get_running_loop().create_future()
            handle = client.get_workflow_handle(workflow_id(session_id), run_id=run_id)
            fetches.append(asyncio.create_task(_fetch(handle, first)))
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
    handle: WorkflowHandle[Any, Any], first: asyncio.Future[HistoryEvent]
) -> WorkflowHistory | None:
    """The run's history; its first event goes to ``first`` as soon as it arrives. A failure
    before that goes to ``first`` too (and the history is None)."""
    events: list[HistoryEvent] = []
    try:
        async for event in handle.fetch_history_events():
            if not events and not first.done():  # done: the reader was cancelled
                first.set_result(event)
            events.append(event)
    except Exception as err:
        if first.done():
            raise
        first.set_exception(err)
        return None
    if not first.done():
        first.set_exception(LookupError(f"workflow {handle.id} has a run with no events"))
        return None
    return WorkflowHistory(workflow_id=handle.id, events=events)


def _resumed_from(memo: Memo) -> str | None:
    """The run a resumed workflow goes on from, if its memo names one."""
    payload = memo.fields.get(RESUMED_FROM_RUN)
    if payload is None or payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        run = json.loads(payload.data)
    except ValueError:  # not ours: a memo written by hand
        return None
    return run if isinstance(run, str) and run else None


def short_run(run_id: str) -> str:
    """A run id short enough for a line: its last 8 characters. Run ids are UUIDv7, whose
    leading characters are a timestamp that runs started within a minute share."""
    return run_id[-8:]


__all__ = ["RESUMED_FROM_RUN", "session_runs", "short_run"]
