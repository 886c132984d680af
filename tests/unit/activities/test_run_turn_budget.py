"""Token budgets: a model call that would start past the session's or the turn's budget is not
made, the turn ends completed with a closing answer, and a crash cannot make it spend twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from activities.agent.loop import SESSION_BUDGET_TEXT, TURN_BUDGET_TEXT
from activities.contract import TurnPolicy
from checkpoint.store import CheckpointStore, load_persisted_session_state, open_store
from tests.unit.activities._turns import (
    activities,
    call_log_lines,
    request,
    run,
    turn_usage,
    write_script,
)
from tests.unit.activities.test_run_turn_crash_anywhere import Crash, DyingStore
from tests.unit.activities.test_spawn_agent import _child

CALL_TOKENS = 150
USAGE = {"input_tokens": 100, "output_tokens": 50, "cached_input_tokens": 30}
"""One call's usage: 150 tokens (cached input is part of input, not counted again)."""


def _tool_step(n: int) -> dict[str, Any]:
    return {
        "text": f"round {n}",
        "tool_calls": [{"name": "word_count", "args": {"text": "one two"}}],
        "usage": USAGE,
    }


LONG_LOOP = [_tool_step(n) for n in range(8)] + [{"text": "done", "usage": USAGE}]
SCRIPT = [LONG_LOOP, [{"text": "second turn answer", "usage": USAGE}]]


async def _ledger_total(store: CheckpointStore) -> int:
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    return sum(e.usage.total() for e in state.token_ledger)


def test_budgets_must_be_positive() -> None:
    """A budget of zero or less is refused where the policy is built."""
    for field in ("session_token_budget", "turn_token_budget"):
        with pytest.raises(ValidationError):
            TurnPolicy.model_validate({field: 0})
    assert TurnPolicy().session_token_budget is None  # unlimited by default


async def test_a_session_budget_stops_at_the_call_that_would_pass_it(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """500 tokens at 150 a call: four calls start below the budget (0, 150, 300, 450), the fifth
    would start at 600 and is not made. The next turn makes no call at all."""
    script = write_script(tmp_path / "s.json", SCRIPT)
    log = tmp_path / "calls.jsonl"
    acts = activities(store, script=script, call_log=log)
    policy = TurnPolicy(session_token_budget=500)
    first = await run(acts, request("s", 1, "go", policy=policy))
    closing = SESSION_BUDGET_TEXT.format(n=500)
    assert first.status == "completed" and first.answer_excerpt == closing
    assert first.model_calls == 4 and len(call_log_lines(log)) == 4
    assert await _ledger_total(store) == 4 * CALL_TOKENS <= 500 + CALL_TOKENS
    second = await run(acts, request("s", 2, "more", policy=policy, base=first))
    assert second.status == "completed" and second.answer_excerpt == closing
    assert second.model_calls == 0 and len(call_log_lines(log)) == 4
    assert await _ledger_total(store) == 4 * CALL_TOKENS


async def test_a_turn_budget_stops_a_long_tool_loop_and_the_next_turn_starts_fresh(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """300 tokens a turn: two calls, the third would start at 300; the next turn may call again."""
    script = write_script(tmp_path / "s.json", SCRIPT)
    acts = activities(store, script=script)
    policy = TurnPolicy(turn_token_budget=300)
    first = await run(acts, request("s", 1, "go", policy=policy))
    assert first.answer_excerpt == TURN_BUDGET_TEXT.format(n=300)
    assert (first.model_calls, first.tool_calls, turn_usage(first).total()) == (2, 2, 300)
    second = await run(acts, request("s", 2, "more", policy=policy, base=first))
    assert second.answer_excerpt == "second turn answer" and second.model_calls == 1


async def _clean(script: Path, policy: TurnPolicy) -> tuple[list[Any], int]:
    store = await open_store("memory://")
    try:
        dying = DyingStore(store, crash_at=0, after=False)
        await run(activities(dying, script=script), request("s", 1, "go", policy=policy))
        state = await load_persisted_session_state(store, "s")
        assert state is not None
        return state.token_ledger, dying.calls
    finally:
        await store.close()


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
async def test_a_crash_anywhere_in_a_budgeted_turn_does_not_spend_twice(
    tmp_path: Path, store: CheckpointStore, after: bool
) -> None:
    """Crash around each store call of a turn the session budget stops, retry on a fresh
    worker: the ledger is the uncrashed run's, and no call is made past the budget."""
    script = write_script(tmp_path / "s.json", SCRIPT)
    policy = TurnPolicy(session_token_budget=500)
    expected, total = await _clean(script, policy)
    log = tmp_path / "calls.jsonl"
    for crash_at in range(1, total + 1):
        await store.delete_session("s")
        log.unlink(missing_ok=True)
        req = request("s", 1, "go", policy=policy)
        dying = DyingStore(store, crash_at, after)
        with pytest.raises(Crash):
            await run(activities(dying, script=script, call_log=log), req)
        outcome = await run(activities(store, script=script, call_log=log), req, attempt=2)
        assert outcome.answer_excerpt == SESSION_BUDGET_TEXT.format(n=500), crash_at
        state = await load_persisted_session_state(store, "s")
        assert state is not None
        assert state.token_ledger == expected, (crash_at, dying.crashed)
        steps = Counter(x["step"] for x in call_log_lines(log))
        assert set(steps) == {0, 1, 2, 3}, (crash_at, steps)
        assert all(n == 1 for n in steps.values()) or not after, (crash_at, steps)


async def _spawn_with(store: CheckpointStore, budget: int | None) -> tuple[int, int, str]:
    """Three demo turns and a turn that spawns a child, under ``budget``: the parent's ledger at
    the pause, the child's spend, and the continued turn's answer."""
    acts = activities(store)
    policy = TurnPolicy(session_token_budget=budget)
    outcome = None
    for index in range(1, 4):
        outcome = await run(acts, request("p", index, f"m {index}", base=outcome, policy=policy))
    req = request("p", 4, "ask a helper", base=outcome, policy=policy)
    paused = await run(acts, req)
    assert paused.status == "awaiting_children"
    state = await load_persisted_session_state(store, "p")
    assert state is not None
    spent = sum(e.usage.total() for e in state.token_ledger)
    [child] = paused.child_requests
    left = None if budget is None else budget - spent
    assert child.policy.session_token_budget == left
    result, child_outcome = await _child(acts, paused)
    done = await run(acts, req.model_copy(update={"child_results": [result]}))
    return spent, turn_usage(child_outcome).total(), done.answer_excerpt


async def test_a_child_gets_what_is_left_and_its_spend_counts_toward_the_parents_budget(
    store: CheckpointStore,
) -> None:
    """A child's session budget is its parent's remainder; once the child's tokens bring the
    parent to its budget, the parent's next call is not made."""
    scratch = await open_store("memory://")
    try:
        spent, child_spent, answer = await _spawn_with(scratch, None)
    finally:
        await scratch.close()
    assert child_spent > 0 and answer == "The sub-agent has reported back."
    budget = spent + child_spent
    _, _, answer = await _spawn_with(store, budget)
    assert answer == SESSION_BUDGET_TEXT.format(n=budget)
