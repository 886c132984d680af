"""``show``'s prompt line: the newest turn outcome, read from the end of a run's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.api.workflowservice.v1 import (
    GetWorkflowExecutionHistoryReverseRequest,
    GetWorkflowExecutionHistoryReverseResponse,
)
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.contract import PromptWindow, TurnOutcome, TurnPolicy
from checkpoint.store import open_store
from tests.unit.activities._turns import activities, request, run
from workflows.host.cli._last_turn import last_turn_outcome
from workflows.host.cli._render import prompt_text


@dataclass
class _Service:
    """Each run's events, newest first, as the reverse history call returns them."""

    runs: dict[str, list[HistoryEvent]]
    asked: list[str] = field(default_factory=list)

    async def get_workflow_execution_history_reverse(
        self, req: GetWorkflowExecutionHistoryReverseRequest
    ) -> GetWorkflowExecutionHistoryReverseResponse:
        self.asked.append(req.execution.run_id)
        events = self.runs[req.execution.run_id]
        return GetWorkflowExecutionHistoryReverseResponse(history=History(events=events))


@dataclass
class _Client:
    workflow_service: _Service
    data_converter: Any = pydantic_data_converter


async def _outcome() -> TurnOutcome:
    store = await open_store("memory://")
    try:
        policy = TurnPolicy(max_context_tokens=4_096)
        return await run(activities(store), request("s", 1, "hello", policy=policy))
    finally:
        await store.close()


async def _completed(value: Any) -> HistoryEvent:
    event = HistoryEvent()
    [payload] = await pydantic_data_converter.encode([value])
    event.activity_task_completed_event_attributes.result.payloads.append(payload)
    return event


def _started(previous_run: str) -> HistoryEvent:
    event = HistoryEvent()
    event.workflow_execution_started_event_attributes.continued_execution_run_id = previous_run
    return event


async def test_the_newest_turn_outcome_is_found_past_other_activities() -> None:
    """Another activity's result (the head load) is skipped, the turn's outcome is returned."""
    outcome = await _outcome()
    service = _Service({"r1": [await _completed({"other": 1}), await _completed(outcome)]})
    found = await last_turn_outcome(_Client(service), "default", "s", "r1")  # type: ignore[arg-type]
    assert found == outcome and found.prompt is not None
    assert prompt_text(found.prompt).startswith("all 1 turn (window 4,096 tokens, about ")


async def test_a_run_without_turns_looks_in_the_run_it_continued_once() -> None:
    """Just after continue-as-new the figure comes from the previous run."""
    outcome = await _outcome()
    service = _Service({"r2": [_started("r1")], "r1": [await _completed(outcome), _started("r0")],
                        "r0": []})
    found = await last_turn_outcome(_Client(service), "default", "s", "r2")  # type: ignore[arg-type]
    assert found == outcome
    assert service.asked == ["r2", "r1"]


def test_the_prompt_line_says_how_many_turns_were_left_out() -> None:
    """The line ``show`` prints for a trimmed prompt."""
    window = PromptWindow(window_tokens=4_096, prompt_tokens=3_012, turns=37, path_turns=400,
                          messages=80, path_messages=900)
    assert prompt_text(window) == "last 37 of 400 turns (window 4,096 tokens, about 3,012 sent)"
