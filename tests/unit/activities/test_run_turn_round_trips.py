"""How many store round trips a turn makes: the latency budget of issue 5, as a count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checkpoint.errors import HeadRevisionConflict
from checkpoint.store import CheckpointStore
from tests.unit.activities._store_doubles import CountingStore
from tests.unit.activities._turns import activities, request, run, write_script

PLAIN: list[list[dict[str, Any]]] = [[{"text": "one"}], [{"text": "two"}]]
TOOLS: list[list[dict[str, Any]]] = [
    [{"text": "hi"}],
    [
        {"text": "a", "tool_calls": [{"name": "word_count", "args": {"text": "x y"}}]},
        {"text": "two words"},
    ],
]


async def _second_turn_calls(store: CheckpointStore, script: Path) -> list[str]:
    """The store calls of turn 2, on the worker that ran turn 1 (its session is cached)."""
    counting = CountingStore(store)
    acts = activities(counting, script=script)
    first = await run(acts, request("s", 1, "one"))
    counting.calls.clear()
    await run(acts, request("s", 2, "two", base=first))
    return counting.calls


async def test_a_plain_first_attempt_on_a_warm_worker_is_one_commit(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """Cached at the head the workflow sent, first attempt, no tools: the final commit only."""
    calls = await _second_turn_calls(store, write_script(tmp_path / "s.json", PLAIN))
    assert calls == ["commit_runtime_state"]


async def test_a_retried_attempt_reads_the_store_before_it_runs(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """Attempt 2 may find a receipt or a journal of attempt 1, so it reads them first."""
    counting = CountingStore(store)
    acts = activities(counting, script=write_script(tmp_path / "s.json", PLAIN))
    first = await run(acts, request("s", 1, "one"))
    counting.calls.clear()
    await run(acts, request("s", 2, "two", base=first), attempt=2)
    assert counting.calls == ["load_turn", "commit_runtime_state"]


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
        "record_effect", "record_effect", "commit_runtime_state", "commit_runtime_state",
    ]


async def test_a_store_that_moved_behind_the_workflow_refuses_the_first_attempt_only(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """The skipped read is safe: if another writer moved the head the workflow sent, the
    commit's revision check refuses attempt 1 (retryable, nothing written) and attempt 2
    reloads the session and lands on top of the other write."""
    script = write_script(tmp_path / "s.json", [[{"text": "a"}]] * 4)
    ours, other = activities(store, script=script), activities(store, script=script)
    first = await run(ours, request("s", 1, "one"))
    moved = await run(other, request("s", 2, "elsewhere", base=first))
    stale = request("s", 2, "two", base=first, turn_id="turn-two")
    with pytest.raises(HeadRevisionConflict):
        await run(ours, stale)
    assert await store.load_head_revision("s") == moved.receipt.head_revision
    retried = await run(ours, stale, attempt=2)
    assert retried.receipt.head_revision == moved.receipt.head_revision + 1
    read = await store.load_session("s")
    assert read is not None
    texts = [m.parts[0].content for m in read.graph.messages()]
    assert texts == ["one", "a", "elsewhere", "a", "two", "a"]
