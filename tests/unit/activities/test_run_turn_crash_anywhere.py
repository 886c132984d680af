"""Crash at every store call of a turn, before or after it lands: the retry always converges.

The worker "dies" (raises) around the n-th store call of turn 2. A retry, on the same worker or
a fresh one, must finish with exactly the nodes and ledger of an uncrashed run, and the call log
may repeat a model call only when the crash fell between the call and the write that journals it
(the one window the call log contract allows; for the turn's last reply that write is the final
commit).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from checkpoint.store import (
    CheckpointStore,
    SessionStore,
    load_persisted_session_state,
    open_store,
)
from tests.unit.activities._store_doubles import ForwardingStore
from tests.unit.activities._turns import activities, call_log_lines, request, run, write_script

T = TypeVar("T")

SCRIPT: list[list[dict[str, Any]]] = [
    [
        {"text": "a", "tool_calls": [{"name": "word_count", "args": {"text": "one two"}}]},
        {"text": "two words"},
    ],
    [
        {"text": "b", "tool_calls": [{"name": "python", "args": {"code": "x = 5\nx"}}]},
        {"text": "c", "tool_calls": [{"name": "remember", "args": {"note": "x is 5"}}]},
        {"text": "d", "tool_calls": [{"name": "python", "args": {"code": "x * 3"}}]},
        {"text": "fifteen"},
    ],
]
MAX_CALLS = 40


class Crash(Exception):
    """The worker died."""


class DyingStore(ForwardingStore):
    """Raises once, before or after its ``crash_at``-th store call."""

    def __init__(self, inner: SessionStore, crash_at: int, after: bool) -> None:
        super().__init__(inner)
        self.crash_at, self.after = crash_at, after
        self.calls = 0
        self.crashed: tuple[str, tuple[Any, ...]] | None = None

    async def around(self, name: str, args: tuple[Any, ...], call: Callable[[], Awaitable[T]]) -> T:
        self.calls += 1
        fatal = self.calls == self.crash_at
        if fatal and not self.after:
            self.crashed = (name, args)
            raise Crash(f"died before {name}")
        result = await call()
        if fatal:
            self.crashed = (name, args)
            raise Crash(f"died after {name}")
        return result


def _in_window(name: str, args: tuple[Any, ...], after: bool) -> bool:
    """Did the crash fall between a model call and the write that journals it? That is the
    reply's own record_effect (a reply asking for tools), or the final commit, which journals
    the turn's last reply; only before the write lands."""
    if after:
        return False
    if name == "record_effect":
        return str(args[2]).startswith("model:")
    return name == "commit_runtime_state" and args[0].operation_id.endswith(":final")


async def _snapshot(store: CheckpointStore) -> tuple[list[dict[str, Any]], list[Any], int]:
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    nodes = [n.model_dump(mode="json") for n in state.session_graph.nodes]
    for node in nodes:
        tool = node.get("event", {}).get("Tool")
        if tool is not None:
            tool["Invocation"]["record"]["duration_ms"] = 0
    return nodes, state.token_ledger, state.turn_index


async def _clean_run(script: Path) -> tuple[Any, int]:
    store = await open_store("memory://")
    try:
        first = await run(activities(store, script=script), request("s", 1, "one"))
        dying = DyingStore(store, crash_at=0, after=False)
        await run(activities(dying, script=script), request("s", 2, "two", base=first))
        return await _snapshot(store), dying.calls
    finally:
        await store.close()


@pytest.mark.parametrize("retry_on", ["same worker", "fresh worker"])
@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
async def test_crash_at_any_store_call_converges_to_the_clean_result(
    tmp_path: Path, store: CheckpointStore, after: bool, retry_on: str
) -> None:
    """For every store call of the turn: crash around it, retry, compare with a clean run."""
    script = write_script(tmp_path / "script.json", SCRIPT)
    expected, total = await _clean_run(script)
    assert 8 < total < MAX_CALLS
    log = tmp_path / "calls.jsonl"
    crashed_in: set[str] = set()
    for crash_at in range(1, total + 1):
        await store.delete_session("s")
        log.unlink(missing_ok=True)
        first = await run(activities(store, script=script), request("s", 1, "one"))
        dying = DyingStore(store, crash_at, after)
        worker = activities(dying, script=script, call_log=log)
        req = request("s", 2, "two", base=first)
        with pytest.raises(Crash):
            await run(worker, req)
        if retry_on == "fresh worker":
            worker = activities(store, script=script, call_log=log)
        outcome = await run(worker, req)
        assert outcome.status == "completed" and outcome.answer_excerpt == "fifteen"
        assert await _snapshot(store) == expected, (crash_at, dying.crashed)
        keys = Counter((x["turn_id"], x["step"]) for x in call_log_lines(log))
        repeated = [k for k, n in keys.items() if n > 1]
        name, args = dying.crashed or ("", ())
        crashed_in.add(name)
        assert not repeated or (
            _in_window(name, args, after) and len(repeated) == 1
        ), (crash_at, name, repeated)
    assert {"commit_runtime_state", "record_effect", "load_turn"} <= crashed_in
