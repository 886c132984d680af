"""Two attempts of one turn at once (a worker presumed dead keeps running): the first final wins."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from activities.contract import TurnOutcome
from checkpoint.store import CheckpointStore, SessionStore, load_persisted_session_state
from tests.unit.activities._store_doubles import ForwardingStore
from tests.unit.activities._turns import activities, request, run, turn_usage, write_script

T = TypeVar("T")


class PausingStore(ForwardingStore):
    """Holds the final commit until ``release`` is set."""

    def __init__(self, inner: SessionStore) -> None:
        super().__init__(inner)
        self.waiting, self.release = asyncio.Event(), asyncio.Event()

    def holds(self, name: str, args: tuple[Any, ...]) -> bool:
        return name == "commit_runtime_state" and args[0].operation_id.endswith(":final")

    async def around(self, name: str, args: tuple[Any, ...], call: Callable[[], Awaitable[T]]) -> T:
        if self.holds(name, args):
            self.waiting.set()
            await self.release.wait()
        return await call()


async def race(
    paused: PausingStore, *, late_script: Path, first_script: Path
) -> tuple[TurnOutcome, TurnOutcome]:
    """Turn 1 of session "s": one attempt runs until ``paused`` holds it, another runs whole on
    the same store, then the held one goes on. Returns (first attempt's, late attempt's) outcome."""
    req = request("s", 1, "hello")
    late = activities(paused, script=late_script)
    stalled = asyncio.create_task(run(late, req))
    await asyncio.wait_for(paused.waiting.wait(), timeout=30)
    winner = await run(activities(paused.inner, script=first_script), req)
    paused.release.set()
    return winner, await asyncio.wait_for(stalled, timeout=30)


async def test_a_late_attempt_returns_the_first_final_outcome(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """The stalled attempt's model answered differently; it returns the stored outcome, and the
    store keeps the first answer with the turn's usage counted once."""
    first = write_script(tmp_path / "first.json", [[{"text": "the first answer"}]])
    late = write_script(tmp_path / "late.json", [[{"text": "a different answer"}]])
    winner, loser = await race(PausingStore(store), late_script=late, first_script=first)

    assert loser == winner
    assert winner.answer_excerpt == "the first answer"
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    answers = [m.parts[0].content for m in state.session_graph.messages() if m.role == "Assistant"]
    assert answers == ["the first answer"]
    assert [e.usage for e in state.token_ledger] == [turn_usage(winner)]


class PausingToolStore(PausingStore):
    """Holds this attempt's first tool batch until ``release``, so another attempt records first."""

    def holds(self, name: str, args: tuple[Any, ...]) -> bool:
        return name == "record_effect" and args[2] == "tools:0"


async def test_a_late_attempt_continues_from_the_first_recorded_tool_batch(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """Both attempts ran a tool with a random result; the late one goes on with the globals the
    first one journaled, so its commits match and the turn ends with the first one's value."""
    script = write_script(
        tmp_path / "script.json",
        [[
            {"text": "draw", "tool_calls": [
                {"name": "python", "args": {"code": "import random\nx = random.random()"}}]},
            {"text": "show", "tool_calls": [{"name": "python", "args": {"code": "x"}}]},
            {"text": "done"},
        ]],
    )
    winner, loser = await race(PausingToolStore(store), late_script=script, first_script=script)

    assert loser == winner
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    shown = [r.output.outcome.payload for r in state.session_graph.tool_calls()]
    assert len(shown) == 2 and shown[1] != {"output": ""}
