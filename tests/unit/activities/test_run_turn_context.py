"""run_turn with a small context window: the outcome says what the prompt held; an oversize
message fails before any model call."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.contract import TurnOutcome, TurnPolicy
from checkpoint.store import CheckpointStore, load_persisted_session_state
from tests.unit.activities._turns import activities, call_log_lines, request, run

SMALL = TurnPolicy(max_context_tokens=2_048)


async def _session(store: CheckpointStore, turns: int, call_log: Path) -> list[TurnOutcome]:
    acts = activities(store, call_log=call_log)
    outcomes: list[TurnOutcome] = []
    for index in range(1, turns + 1):
        base = outcomes[-1] if outcomes else None
        text = f"message {index}: " + "tell me more about it " * 10
        outcomes.append(await run(acts, request("s", index, text, base=base, policy=SMALL)))
    return outcomes


async def test_the_outcome_says_how_many_turns_the_prompt_held(
    store: CheckpointStore, tmp_path: Path
) -> None:
    """Early turns fit whole; later ones send the newest turns only, and the graph keeps all."""
    outcomes = await _session(store, 30, tmp_path / "calls.jsonl")
    first, last = outcomes[0].prompt, outcomes[-1].prompt
    assert first is not None and last is not None
    assert first.turns == first.path_turns == 1
    assert last.path_turns == 30 and 1 <= last.turns < 30
    assert last.window_tokens == 2_048 and last.prompt_tokens <= 2_048 - 512
    state = await load_persisted_session_state(store, "s")
    assert sum(m.role == "User" and m.parts[0].kind == "Text"
               for m in state.session_graph.messages()) == 30


async def test_a_retried_turn_returns_the_same_prompt_record(
    store: CheckpointStore, tmp_path: Path
) -> None:
    """The record is journaled with the outcome, so a retry after the commit reports it too."""
    outcomes = await _session(store, 12, tmp_path / "calls.jsonl")
    acts = activities(store)
    again = await run(
        acts, request("s", 12, "ignored", base=outcomes[-2], policy=SMALL), attempt=2
    )
    assert again.prompt == outcomes[-1].prompt


async def test_an_oversize_message_fails_without_retry_before_any_model_call(
    store: CheckpointStore, tmp_path: Path
) -> None:
    """User message + reply reserve + tools over the window: non-retryable, sizes named."""
    log = tmp_path / "calls.jsonl"
    acts = activities(store, call_log=log)
    with pytest.raises(ApplicationError) as info:
        await run(acts, request("big", 1, "x" * 9_000, policy=SMALL))
    assert info.value.non_retryable
    assert info.value.type == "PromptTooLargeError"
    assert "context window is 2,048" in str(info.value) and "user message 3,008" in str(info.value)
    assert call_log_lines(log) == []
