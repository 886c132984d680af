"""A retried run_turn resumes: same node ids, no completed call repeated, usage counted once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from activities.agent.providers import ModelReply, ModelRequest, ProviderRegistry, ScriptedProvider
from activities.turn import TurnActivities
from checkpoint.store import (
    CheckpointStore,
    SessionStore,
    load_persisted_session_state,
    open_store,
)
from tests.unit.activities._store_doubles import ForwardingStore
from tests.unit.activities._turns import (
    KEY,
    activities,
    call_log_lines,
    request,
    run,
    run_session,
    turn_usage,
    write_script,
)

T = TypeVar("T")

TWO_PYTHON_ROUNDS: list[list[dict[str, Any]]] = [
    [
        {"text": "a", "tool_calls": [{"name": "python", "args": {"code": "x = 5\nx"}}]},
        {"text": "b", "tool_calls": [{"name": "python", "args": {"code": "x * 3"}}]},
        {"text": "x times three is 15"},
    ]
]


class Crash(Exception):
    """Stands in for a worker dying mid-turn."""


class CrashingProvider(ScriptedProvider):
    """Dies (once) when asked for ``crash_step``, before that call completes."""

    def __init__(self, script: Path, call_log: Path, crash_step: int) -> None:
        super().__init__(script, call_log=call_log)
        self.crash_step: int | None = crash_step

    async def complete(self, request: ModelRequest) -> ModelReply:
        if request.step == self.crash_step:
            self.crash_step = None
            raise Crash(f"worker died during step {request.step}")
        return await super().complete(request)


class CrashingStore(ForwardingStore):
    """Dies (once) before the commit whose operation id ends with ``suffix``."""

    def __init__(self, inner: SessionStore, suffix: str) -> None:
        super().__init__(inner)
        self.suffix = suffix

    async def around(self, name: str, args: tuple[Any, ...], call: Callable[[], Awaitable[T]]) -> T:
        if name == "commit_runtime_state" and self.suffix:
            operation_id = args[0].operation_id
            if operation_id.endswith(self.suffix):
                self.suffix = ""
                raise Crash(f"worker died before committing {operation_id}")
        return await call()


async def _nodes(store: CheckpointStore, session_id: str) -> list[dict[str, Any]]:
    """Stored nodes as JSON, with measured tool durations zeroed (two separate runs of a tool
    take different times; a replay within one turn reuses the journaled duration)."""
    state = await load_persisted_session_state(store, session_id)
    assert state is not None
    nodes = [n.model_dump(mode="json") for n in state.session_graph.nodes]
    for node in nodes:
        tool = node.get("event", {}).get("Tool")
        if tool is not None:
            tool["Invocation"]["record"]["duration_ms"] = 0
    return nodes


async def _reference(tmp_path: Path, script: Path) -> tuple[list[dict[str, Any]], Any]:
    """The same session run without any crash, in its own store."""
    store = await open_store("memory://")
    try:
        await run(activities(store, script=script), request("s", 1, "go"))
        state = await load_persisted_session_state(store, "s")
        assert state is not None
        return await _nodes(store, "s"), state.token_ledger
    finally:
        await store.close()


@pytest.mark.parametrize("crash_step", [0, 1, 2])
async def test_crash_during_a_model_call_resumes_without_repeating_completed_calls(
    tmp_path: Path, store: CheckpointStore, crash_step: int
) -> None:
    """A fresh worker finishes the turn; each completed call ran once; nodes match a clean run."""
    script = write_script(tmp_path / "script.json", TWO_PYTHON_ROUNDS)
    log = tmp_path / "calls.jsonl"
    dying = TurnActivities(
        store,
        providers=ProviderRegistry.of(CrashingProvider(script, log, crash_step)),
        execution_state_key=KEY,
    )
    req = request("s", 1, "go")
    with pytest.raises(Crash):
        await run(dying, req)
    outcome = await run(activities(store, script=script, call_log=log), req)
    assert outcome.status == "completed" and outcome.model_calls == 3
    steps = [line["step"] for line in call_log_lines(log)]
    assert sorted(steps) == [0, 1, 2]
    nodes, ledger = await _reference(tmp_path, script)
    assert await _nodes(store, "s") == nodes
    state = await load_persisted_session_state(store, "s")
    assert state is not None and state.token_ledger == ledger


async def test_crash_between_journal_and_progress_commit_replays_the_tool_batch(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """The journaled batch (and the globals it left) is replayed: x is still 5 at step 1."""
    script = write_script(tmp_path / "script.json", TWO_PYTHON_ROUNDS)
    log = tmp_path / "calls.jsonl"
    req = request("s", 1, "go")
    dying = activities(CrashingStore(store, ":progress:0"), script=script, call_log=log)
    with pytest.raises(Crash):
        await run(dying, req)
    outcome = await run(activities(store, script=script, call_log=log), req)
    assert outcome.tool_calls == 2
    assert [line["step"] for line in call_log_lines(log)] == [0, 1, 2]
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    outputs = [r.output.outcome.payload for r in state.session_graph.tool_calls()]
    assert outputs == [{"output": "5\n"}, {"output": "15\n"}]
    nodes, _ = await _reference(tmp_path, script)
    assert await _nodes(store, "s") == nodes


async def test_crash_after_the_final_commit_returns_the_first_outcome(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """Running a committed turn again returns its receipt; no call, no usage row is added."""
    log = tmp_path / "calls.jsonl"
    acts = activities(store, call_log=log)
    [first] = await run_session(acts, "s", 1)
    calls = len(call_log_lines(log))
    again = await run(activities(store, call_log=log), request("s", 1, "message 1"))
    assert again == first
    assert len(call_log_lines(log)) == calls
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    assert state.token_ledger[0].usage == turn_usage(first)


async def test_crash_before_the_final_commit_counts_usage_once(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """The final commit fails once; the retry commits it with the same usage, recorded once.
    The last reply rode that commit, so it is asked again; the journaled steps are not."""
    script = write_script(tmp_path / "script.json", TWO_PYTHON_ROUNDS)
    log = tmp_path / "calls.jsonl"
    req = request("s", 1, "go")
    dying = activities(CrashingStore(store, ":final"), script=script, call_log=log)
    with pytest.raises(Crash):
        await run(dying, req)
    outcome = await run(activities(store, script=script, call_log=log), req)
    _, ledger = await _reference(tmp_path, script)
    state = await load_persisted_session_state(store, "s")
    assert state is not None and state.token_ledger == ledger
    assert ledger[0].usage == turn_usage(outcome)
    assert [line["step"] for line in call_log_lines(log)] == [0, 1, 2, 2]
