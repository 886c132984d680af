"""The newest turn outcome of a session's current run, read from the end of its history.

``show`` reports how much of the conversation the last prompt held (``TurnOutcome.prompt``).
The outcome lives in history as the ``run_turn`` activity's result, so it is read from the
newest events backwards, one page, at a cost that does not grow with the session; the workflow
needs no extra state for it. A run with no completed turn yet (just after continue-as-new)
sends the search on to the run it continued, once.
"""

from __future__ import annotations

from pydantic import ValidationError
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import Client
from temporalio.service import RPCError

from activities.contract import TurnOutcome
from workflows.contract import workflow_id

PAGE_EVENTS = 100
"""Events read from the end: a turn takes about ten, so this reaches past a turn in flight."""


async def last_turn_outcome(
    client: Client, namespace: str, session_id: str, run_id: str
) -> TurnOutcome | None:
    """The newest completed ``run_turn`` outcome in the last ``PAGE_EVENTS`` events of the run,
    or of the run it continued when this one holds no turn yet."""
    outcome, previous = await _search_run(client, namespace, session_id, run_id)
    if outcome is None and previous:
        outcome, _ = await _search_run(client, namespace, session_id, previous)
    return outcome


async def _search_run(
    client: Client, namespace: str, session_id: str, run_id: str
) -> tuple[TurnOutcome | None, str]:
    """The newest turn outcome of one run, and the run it continued (when its start was read)."""
    request = GetWorkflowExecutionHistoryReverseRequest(
        namespace=namespace,
        execution=WorkflowExecution(workflow_id=workflow_id(session_id), run_id=run_id),
        maximum_page_size=PAGE_EVENTS,
    )
    try:
        response = await client.workflow_service.get_workflow_execution_history_reverse(request)
    except RPCError:
        return None, ""  # the figure is optional; describe already reported any real failure
    previous = ""
    for event in response.history.events:
        if event.HasField("workflow_execution_started_event_attributes"):
            previous = event.workflow_execution_started_event_attributes.continued_execution_run_id
        if not event.HasField("activity_task_completed_event_attributes"):
            continue
        payloads = event.activity_task_completed_event_attributes.result.payloads
        if len(payloads) != 1:
            continue
        try:
            [outcome] = await client.data_converter.decode(payloads, [TurnOutcome])
        except (ValidationError, TypeError, ValueError):
            continue  # another activity's result (e.g. the head load)
        if isinstance(outcome, TurnOutcome) and outcome.status == "completed":
            return outcome, previous
    return None, previous


__all__ = ["PAGE_EVENTS", "last_turn_outcome"]
