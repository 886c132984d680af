"""``load_session_head``: without call counts it reads the head and a few nodes, not the path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import session_head
from activities.agent.providers import ProviderRegistry
from activities.contract import SessionHeadRequest, SessionHeadView
from activities.session_head import SessionHeadActivities
from activities.turn import TurnActivities
from checkpoint.store import CheckpointStore
from tests.unit.activities._store_doubles import CountingStore
from tests.unit.activities._turns import KEY, request, run, write_script
from tests.unit.activities.test_run_turn_usage import FailsAtStep

SCRIPT: list[list[dict[str, Any]]] = [
    [{"text": "the first answer"}],
    [{"text": "a", "tool_calls": [{"name": "word_count", "args": {"text": "x y"}}]},
     {"text": "never reached"}],
]


async def _failed_session(store: CheckpointStore, tmp_path: Path) -> None:
    """Turn 1 answers; turn 2 commits a tool round, then its model fails for good."""
    script = write_script(tmp_path / "s.json", SCRIPT)
    acts = TurnActivities(
        store, providers=ProviderRegistry.of(FailsAtStep(script, 1)), execution_state_key=KEY
    )
    first = await run(acts, request("s", 1, "one"))
    with pytest.raises(ApplicationError):
        await run(acts, request("s", 2, "two", base=first))


async def _view(store: Any, counts: bool) -> SessionHeadView:
    acts = SessionHeadActivities(store)
    view: SessionHeadView = await ActivityEnvironment().run(
        acts.load_session_head, SessionHeadRequest(session_id="s", counts=counts)
    )
    return view


async def test_without_counts_the_head_and_answer_match_the_full_read(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """After a failed turn: head, turn index, ledger and last answer as the full read gives
    them, from load_head and the nodes back to the answer (no path or session read)."""
    await _failed_session(store, tmp_path)
    full = await _view(store, counts=True)
    counting = CountingStore(store)
    light = await _view(counting, counts=False)
    assert light == full.model_copy(update={"model_calls": 0, "tool_calls": 0})
    assert full.turn_index == 2 and full.last_answer_excerpt == "the first answer"
    assert full.ledger and full.model_calls == 2
    assert counting.calls[0] == "load_head"
    # Back from the leaf: tool results, tool node, the tool-calling reply, the user's "two",
    # then turn 1's answer.
    assert counting.calls[1:] == ["load_node"] * 5


async def test_a_long_walk_falls_back_to_reading_the_path(
    tmp_path: Path, store: CheckpointStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More nodes after the last answer than the walk reads: the full read answers."""
    await _failed_session(store, tmp_path)
    monkeypatch.setattr(session_head, "_WALK_LIMIT", 2)
    counting = CountingStore(store)
    light = await _view(counting, counts=False)
    assert "load_session" in counting.calls
    assert light.last_answer_excerpt == "the first answer"


async def test_an_unknown_session_is_an_empty_view_either_way(store: CheckpointStore) -> None:
    """No head: no ref, turn 0, nothing else."""
    assert await _view(store, counts=False) == await _view(store, counts=True) == SessionHeadView()
