"""Sub-agents: awaiting_children, the child's first turn from its snapshot, the continuation."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.contract import ChildResult, TurnOutcome, TurnRequest
from activities.turn import TurnActivities
from checkpoint.model import OutcomeSuccess, TokenUsage
from checkpoint.store import CheckpointStore, load_persisted_session_state
from tests.unit.activities._turns import (
    activities,
    call_log_lines,
    request,
    run,
    run_session,
    turn_usage,
)


async def _to_spawn(acts: TurnActivities) -> tuple[TurnRequest, TurnOutcome]:
    """Three demo turns, then turn 4, in which the model calls spawn_agent."""
    outcomes = await run_session(acts, "p", 3)
    req = request("p", 4, "ask a helper", base=outcomes[-1])
    return req, await run(acts, req)


async def _child(acts: TurnActivities, parent: TurnOutcome) -> tuple[ChildResult, TurnOutcome]:
    [child] = parent.child_requests
    outcome = await run(
        acts,
        request(
            child.child_session_id,
            1,
            child.task,
            start_snapshot_ref=child.snapshot_ref,
            policy=child.policy,
        ),
    )
    result = ChildResult(
        child_session_id=child.child_session_id,
        tool_call_id=child.tool_call_id,
        answer=outcome.answer_excerpt,
        usage=outcome.usage_deltas,
    )
    return result, outcome


async def test_spawn_agent_returns_awaiting_children_with_a_snapshot(
    store: CheckpointStore,
) -> None:
    """The turn pauses with one child request whose snapshot is a fresh child state."""
    acts = activities(store)
    _, outcome = await _to_spawn(acts)
    assert outcome.status == "awaiting_children"
    [child] = outcome.child_requests
    assert child.policy.subagent_depth == 1
    assert child.task == "Summarise our conversation so far."
    snapshot = await store.get_blob(child.snapshot_ref)
    assert snapshot["session_id"] == child.child_session_id
    state = await load_persisted_session_state(store, "p")
    assert state is not None and state.head_revision == outcome.receipt.head_revision
    assert state.session_graph.messages()[-1].role == "User"  # only the user message so far


async def test_continuation_records_the_answer_and_child_usage_under_subagent(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """The parent turn completes with the child's answer as tool result and a subagent row."""
    log = tmp_path / "calls.jsonl"
    acts = activities(store, call_log=log)
    req, paused = await _to_spawn(acts)
    result, child_outcome = await _child(acts, paused)
    assert child_outcome.answer_excerpt.startswith("Sub-agent report")
    child_state = await load_persisted_session_state(store, result.child_session_id)
    assert child_state is not None and child_state.token_ledger[0].source == "turn"
    done = await run(acts, req.model_copy(update={"child_results": [result]}))
    assert done.status == "completed" and done.answer_excerpt == "The sub-agent has reported back."
    state = await load_persisted_session_state(store, "p")
    assert state is not None
    last = state.session_graph.tool_calls()[-1].output.outcome
    assert isinstance(last, OutcomeSuccess) and last.payload["answer"] == result.answer
    by_source = {e.source: e.usage for e in state.token_ledger}
    assert by_source["subagent"] == turn_usage(child_outcome)
    assert {e.source for e in done.usage_deltas} == {"turn", "subagent"}
    keys = [(x["session_id"], x["turn_id"], x["step"]) for x in call_log_lines(log)]
    assert len(keys) == len(set(keys)), "a completed model call ran twice"


async def test_retried_continuation_counts_child_usage_once(store: CheckpointStore) -> None:
    """Running the continuation twice (a lost result) leaves one subagent contribution."""
    acts = activities(store)
    req, paused = await _to_spawn(acts)
    result, child_outcome = await _child(acts, paused)
    cont = req.model_copy(update={"child_results": [result]})
    first = await run(acts, cont)
    again = await run(activities(store), cont)
    assert again == first
    state = await load_persisted_session_state(store, "p")
    assert state is not None
    subagent = [e.usage for e in state.token_ledger if e.source == "subagent"]
    assert subagent == [turn_usage(child_outcome)]
    assert turn_usage(child_outcome) != TokenUsage.zero()


async def test_retried_pause_returns_the_same_child_requests(store: CheckpointStore) -> None:
    """A second attempt of the pausing turn asks for the same child, with the same snapshot."""
    acts = activities(store)
    req, paused = await _to_spawn(acts)
    again = await run(activities(store), req)
    assert again.child_requests == paused.child_requests
    assert again.receipt == paused.receipt


async def test_child_turn_with_a_missing_snapshot_fails_without_retry(
    store: CheckpointStore,
) -> None:
    """A start_snapshot_ref that names no blob is a non-retryable error naming the ref."""
    ref = "0" * 64
    with pytest.raises(ApplicationError, match=ref) as info:
        await run(activities(store), request("c", 1, "task", start_snapshot_ref=ref))
    assert info.value.non_retryable and info.value.type == "BlobMissingError"


async def test_the_parent_takes_the_childs_whole_answer_and_usage_from_the_store(
    store: CheckpointStore,
) -> None:
    """A child's workflow result carries an excerpt and its own view of the ledger; the parent
    records what the child committed: its whole last answer and its stored ledger."""
    acts = activities(store)
    req, paused = await _to_spawn(acts)
    result, child_outcome = await _child(acts, paused)
    cut = result.model_copy(update={"answer": "Sub-agent rep…", "usage": []})
    await run(acts, req.model_copy(update={"child_results": [cut]}))
    state = await load_persisted_session_state(store, "p")
    child_state = await load_persisted_session_state(store, result.child_session_id)
    assert state is not None and child_state is not None
    last = state.session_graph.tool_calls()[-1].output.outcome
    whole = child_state.session_graph.messages()[-1].parts[-1].content
    assert whole.startswith("Sub-agent report") and whole != cut.answer
    assert isinstance(last, OutcomeSuccess) and last.payload["answer"] == whole
    subagent = [e.usage for e in state.token_ledger if e.source == "subagent"]
    assert subagent == [turn_usage(child_outcome)]
