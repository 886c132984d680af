"""Two attempts of one turn at once (a worker presumed dead keeps running): the first final wins."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from checkpoint.model import RuntimeCommit
from checkpoint.store import CheckpointStore, load_persisted_session_state
from tests.unit.activities._turns import activities, request, run, write_script


class PausingStore:
    """A store proxy that holds the final commit until ``release`` is set."""

    def __init__(self, inner: CheckpointStore) -> None:
        self._inner = inner
        self.waiting, self.release = asyncio.Event(), asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def commit_runtime_state(self, commit: RuntimeCommit, **kwargs: Any) -> Any:
        if commit.operation_id.endswith(":final"):
            self.waiting.set()
            await self.release.wait()
        return await self._inner.commit_runtime_state(commit, **kwargs)


async def test_a_late_attempt_returns_the_first_final_outcome(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """The stalled attempt's model answered differently; it returns the stored outcome, and the
    store keeps the first answer with the turn's usage counted once."""
    first = write_script(tmp_path / "first.json", [[{"text": "the first answer"}]])
    late = write_script(tmp_path / "late.json", [[{"text": "a different answer"}]])
    req = request("s", 1, "hello")
    paused = PausingStore(store)
    stalled = asyncio.create_task(run(activities(paused, script=late), req))  # type: ignore[arg-type]
    await asyncio.wait_for(paused.waiting.wait(), timeout=30)
    winner = await run(activities(store, script=first), req)
    paused.release.set()
    loser = await asyncio.wait_for(stalled, timeout=30)

    assert loser == winner
    assert winner.answer_excerpt == "the first answer"
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    answers = [m.parts[0].content for m in state.session_graph.messages() if m.role == "Assistant"]
    assert answers == ["the first answer"]
    assert [e.usage for e in state.token_ledger] == [winner.turn_usage]
