"""How many store round trips a turn makes: the latency budget of issue 5, as a count."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from checkpoint.store import CheckpointStore
from tests.unit.activities._turns import activities, request, run, write_script

PLAIN: list[list[dict[str, Any]]] = [[{"text": "one"}], [{"text": "two"}]]
TOOLS: list[list[dict[str, Any]]] = [
    [{"text": "hi"}],
    [
        {"text": "a", "tool_calls": [{"name": "word_count", "args": {"text": "x y"}}]},
        {"text": "two words"},
    ],
]


class CountingStore:
    """Delegates to a store and records the name of every async call."""

    def __init__(self, inner: CheckpointStore) -> None:
        self._inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return await attr(*args, **kwargs)

        return call


async def _second_turn_calls(store: CheckpointStore, script: Path) -> list[str]:
    """The store calls of turn 2, on the worker that ran turn 1 (its session is cached)."""
    counting = CountingStore(store)
    acts = activities(counting, script=script)  # type: ignore[arg-type]
    first = await run(acts, request("s", 1, "one"))
    counting.calls.clear()
    await run(acts, request("s", 2, "two", base=first))
    return counting.calls


async def test_a_plain_turn_on_a_warm_worker_is_one_read_and_one_commit(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """Cached session, no tools: load_turn, then the final commit; nothing else."""
    calls = await _second_turn_calls(store, write_script(tmp_path / "s.json", PLAIN))
    assert calls == ["load_turn", "commit_runtime_state"]


async def test_the_final_commit_journals_the_last_reply_and_the_outcome(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """After a plain turn the journal holds its reply and outcome, written by the commit."""
    await _second_turn_calls(store, write_script(tmp_path / "s.json", PLAIN))
    effects = await store.load_effects("s", request("s", 2, "two").turn_id)
    assert set(effects) == {"model:0", "outcome"}
    assert effects["model:0"]["text"] == "two" and effects["outcome"]["answer"] == "two"


async def test_a_tool_round_journals_its_reply_and_batch_before_its_progress_commit(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """A reply that asks for tools is journaled before the tools run, the batch after them."""
    calls = await _second_turn_calls(store, write_script(tmp_path / "s.json", TOOLS))
    assert calls == [
        "load_turn", "record_effect", "record_effect", "commit_runtime_state",
        "commit_runtime_state",
    ]
