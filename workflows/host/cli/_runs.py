"""The runs of a session on the server, newest first: the continue-as-new chain followed back
through each start's ``continuedExecutionRunId`` (so no visibility query can miss a run just
started), and past a ``resume`` into the closed workflow it went on from.

``history``, ``rebuild``, ``rewind``, ``resume`` and ``replay`` all read runs this one way.
The link a resumed workflow keeps is a memo (``RESUMED_FROM_RUN``), not part of its input:
the workflow has no use for it, and a worker of an earlier release, which refuses input
fields it does not know, ignores memos.
"""

from __future__ import annotations

import json

from temporalio.api.common.v1 import Memo
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from workflows.contract import workflow_id

RESUMED_FROM_RUN = "lash.resumed_from_run"
"""Memo key of a workflow ``resume`` started: the last run of the closed one it goes on from."""


async def session_runs(client: Client, session_id: str) -> list[WorkflowHistory]:
    """Every run's history of the session, newest first.

    A workflow that ``resume`` started names the last run of the closed one it goes on from
    (memo ``RESUMED_FROM_RUN``); those runs are read too, unless the server no longer
    has them (the closed workflow was deleted, or is past the namespace's retention)."""
    runs: list[WorkflowHistory] = []
    seen: set[str] = set()
    run_id: str | None = None
    resumed = False
    while True:
        handle = client.get_workflow_handle(workflow_id(session_id), run_id=run_id)
        try:
            history = await handle.fetch_history()
        except RPCError as err:
            if not (resumed and err.status == RPCStatusCode.NOT_FOUND):
                raise
            return runs  # what was resumed from is gone: read what is left
        runs.append(history)
        started = history.events[0].workflow_execution_started_event_attributes
        seen.add(started.original_execution_run_id)
        resumed = not started.continued_execution_run_id
        run_id = started.continued_execution_run_id or _resumed_from(started.memo)
        if run_id is None or run_id in seen:
            return runs


def _resumed_from(memo: Memo) -> str | None:
    """The run a resumed workflow goes on from, if its memo names one."""
    payload = memo.fields.get(RESUMED_FROM_RUN)
    if payload is None or payload.metadata.get("encoding") != b"json/plain":
        return None
    run = json.loads(payload.data)
    return run if isinstance(run, str) and run else None


def short_run(run_id: str) -> str:
    """A run id short enough for a line: its last 8 characters. Run ids are UUIDv7, whose
    leading characters are a timestamp that runs started within a minute share."""
    return run_id[-8:]


__all__ = ["RESUMED_FROM_RUN", "session_runs", "short_run"]
