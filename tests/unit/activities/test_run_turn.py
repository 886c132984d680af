"""run_turn end to end against the memory and SQLite stores (no Temporal server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.agent.loop import STOPPED_TEXT
from activities.agent.providers import ProviderRegistry, ScriptedProvider
from activities.contract import TurnPolicy
from activities.turn import TurnActivities
from activities.turn.ids import final_op
from checkpoint.model import PersistedSessionState, resume_safety_problem
from checkpoint.store import CheckpointStore, load_persisted_session_state
from tests.unit.activities._turns import (
    KEY,
    activities,
    request,
    run,
    run_session,
    turn_usage,
    write_script,
)


async def _load(store: CheckpointStore, session_id: str) -> PersistedSessionState:
    state = await load_persisted_session_state(store, session_id)
    assert state is not None
    return state


async def test_multi_turn_scripted_session_stores_messages_ledger_and_turn_index(
    store: CheckpointStore,
) -> None:
    """Three demo turns: the store holds every message, the turn index and a "turn" ledger row."""
    acts = activities(store)
    outcomes = await run_session(acts, "s1", 3)
    assert [o.status for o in outcomes] == ["completed"] * 3
    assert outcomes[0].answer_excerpt == "Your sentence has 4 words."
    assert outcomes[2].model_calls == 3 and outcomes[2].tool_calls == 2
    state = await _load(store, "s1")
    assert state.turn_index == 3
    assert state.head_revision == outcomes[-1].receipt.head_revision
    roles = [m.role for m in state.session_graph.messages()]
    # turn 1: user, assistant(tool call), user(result), assistant; same for 2; turn 3 has 2 rounds
    assert roles == ["User", "Assistant", "User", "Assistant"] * 2 + ["User"] + [
        "Assistant",
        "User",
    ] * 2 + ["Assistant"]
    assert len(state.session_graph.tool_calls()) == 4
    [row] = state.token_ledger
    assert (row.source, row.model) == ("turn", "scripted-demo")
    total_in = sum(turn_usage(o).input_tokens for o in outcomes)
    assert row.usage.input_tokens == total_in
    assert state.token_usage == turn_usage(outcomes[-1])


async def test_outcome_carries_receipt_and_small_figures_only(store: CheckpointStore) -> None:
    """The outcome's receipt matches the store head; the excerpt is bounded."""
    acts = activities(store)
    [outcome] = await run_session(acts, "s2", 1)
    final = await store.load_receipt("s2", final_op("s2", request("s2", 1, "x").turn_id))
    assert final is not None and final.head_revision == outcome.receipt.head_revision
    assert outcome.receipt.head_revision == await store.load_head_revision("s2")
    assert len(outcome.answer_excerpt) <= 400
    assert len(outcome.model_dump_json()) < 4000


async def test_python_globals_persist_across_turns_and_a_new_worker(store: CheckpointStore) -> None:
    """Turn 2 sets total=21 in python; turn 3, on a fresh TurnActivities, doubles it to 42."""
    first = activities(store)
    outcomes = await run_session(first, "s3", 2)
    fresh = activities(store)
    third = await run(fresh, request("s3", 3, "again", base=outcomes[-1]))
    assert third.status == "completed"
    state = await _load(store, "s3")
    results = [
        r.output.outcome.payload for r in state.session_graph.tool_calls() if r.tool == "python"
    ]
    assert results == [{"output": "21\n"}, {"output": "42\n"}]
    assert state.execution_state_ref is not None


async def test_warm_cache_is_used_while_the_head_agrees(store: CheckpointStore) -> None:
    """The second turn on the same worker reuses the cached session."""
    acts = activities(store)
    await run_session(acts, "s4", 2)
    assert acts.cache.hits == 1


async def test_unknown_provider_is_a_non_retryable_error(store: CheckpointStore) -> None:
    """A policy naming a provider the worker lacks fails with a clear non-retryable error."""
    acts = activities(store)
    req = request("s5", 1, "hi", policy=TurnPolicy(provider="nope"))
    with pytest.raises(ApplicationError, match="unknown provider 'nope'") as info:
        await run(acts, req)
    assert info.value.non_retryable
    assert await store.load_head_revision("s5") is None


async def test_heartbeats_carry_the_step_number(store: CheckpointStore) -> None:
    """Each step heartbeats ``{"step": n}`` when it starts (demo turn 3 has steps 0, 1 and 2;
    step 0 is what the details start at, so it is not sent: a beat costs about a millisecond)."""
    acts = activities(store)
    outcomes = await run_session(acts, "s6", 2)
    env = ActivityEnvironment()
    beats: list[object] = []
    env.on_heartbeat = lambda *details: beats.extend(details)
    await env.run(acts.run_turn, request("s6", 3, "three", base=outcomes[-1]))
    assert [b["step"] for b in beats] == [1, 2]  # type: ignore[index]


async def test_bad_script_fails_the_turn_without_retry_and_writes_nothing(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """A script with a malformed step is a non-retryable error naming the problem."""
    bad = write_script(tmp_path / "bad.json", [[{"text": "x", "tool_call": []}]])
    acts = TurnActivities(
        store, providers=ProviderRegistry({"scripted": lambda: ScriptedProvider(bad)}),
        execution_state_key=KEY,
    )
    with pytest.raises(ApplicationError, match="bad script step") as info:
        await run(acts, request("s7", 1, "hi"))
    assert info.value.non_retryable
    assert await store.load_head_revision("s7") is None


async def test_a_model_that_never_stops_is_cut_at_max_steps(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """With max_steps=2 a looping script ends the turn with a stop notice, resume-safe."""
    loop = {"text": "again", "tool_calls": [{"name": "word_count", "args": {"text": "a"}}]}
    script = write_script(tmp_path / "loop.json", [[loop, loop, loop, loop]])
    acts = activities(store, script=script)
    outcome = await run(acts, request("s8", 1, "go", policy=TurnPolicy(max_steps=2)))
    assert outcome.status == "completed" and outcome.model_calls == 2
    assert outcome.answer_excerpt == STOPPED_TEXT.format(n=2)
    state = await _load(store, "s8")
    assert resume_safety_problem(state.session_graph.messages()) is None


async def test_many_sessions_at_once_on_one_worker_do_not_interfere(
    store: CheckpointStore,
) -> None:
    """20 sessions x 3 demo turns, interleaved on one worker: each ends with its own history."""
    acts = activities(store)

    async def session(n: int) -> None:
        await run_session(acts, f"many-{n}", 3)

    await asyncio.gather(*(session(n) for n in range(20)))
    for n in range(20):
        state = await _load(store, f"many-{n}")
        assert state.turn_index == 3
        texts = [m.parts[0].content for m in state.session_graph.messages() if m.role == "User"]
        assert [t for t in texts if t.startswith("message")] == [
            "message 1",
            "message 2",
            "message 3",
        ]
        python = [r.output.outcome for r in state.session_graph.tool_calls() if r.tool == "python"]
        assert [o.payload for o in python] == [{"output": "21\n"}, {"output": "42\n"}]
