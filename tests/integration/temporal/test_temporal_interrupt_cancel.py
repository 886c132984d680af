"""Interrupt and cancellation stop a turn at a safe point, and the store stays exact.

An interrupt ends the running turn (what it completed is kept) and the session goes on; a
cancellation ends the session Canceled with its descendants. Either way a turn either committed
(its index is used) or did not (its index is free), and the ledger holds every call that
committed, once.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporal_harness import TEST_KEY, call_lines, store_view, user_texts
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError

from activities.agent.loop import INTERRUPTED_TEXT
from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.model import TokenLedgerEntry
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.host import client as lash
from workflows.host.worker import build_worker

SLOW_TOOL_S = 10


def _script(tmp_path: Path, script: dict[str, Any]) -> Path:
    path = tmp_path / f"script-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(script))
    return path


async def test_interrupt_during_a_slow_tool_keeps_what_completed_and_the_session_goes_on(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path
) -> None:
    script = _script(tmp_path, {"turns": [
        [
            {"tool_calls": [{"name": "word_count", "args": {"text": "one two"}}]},
            {"tool_calls": [{"name": "python",
                             "args": {"code": f"import time; time.sleep({SLOW_TOOL_S})"}}]},
            {"text": "finished"},
        ],
        [{"text": "second answer"}],
    ]})
    providers = ProviderRegistry.of(ScriptedProvider(script))
    sid = f"intr-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, store, task_queue=task_queue, providers=providers,
                            execution_state_key=TEST_KEY):
        sending = asyncio.create_task(lash.send(client, sid, "count, then sleep",
                                                task_queue=task_queue))
        # Wait until the slow tool runs (the turn heartbeats step 1 when that step starts).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                desc = await lash.describe(client, sid)
            except RPCError:  # not started yet
                await asyncio.sleep(0.1)
                continue
            pending = desc.raw_description.pending_activities
            if pending and pending[0].heartbeat_details.payloads:
                details = json.loads(pending[0].heartbeat_details.payloads[0].data)
                if details.get("step") == 1:
                    break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # the step's model call is instant; the tool is now running
        asked = time.monotonic()
        assert await lash.interrupt(client, sid) == 1
        outcome = await sending
        heard_after = time.monotonic() - asked
        print(f"caller heard 'interrupted' {heard_after:.2f} s after the interrupt")
        assert outcome.status == "interrupted"
        assert outcome.turn_index == 1
        # It did not wait for the tool to finish.
        assert heard_after < SLOW_TOOL_S - 2

        # Nothing runs now: a second interrupt is refused (no history event).
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await lash.interrupt(client, sid)
        assert "has no turn running" in str(refused.value.cause)

        state = await load_persisted_session_state(store, sid)
        assert state is not None
        texts = [(m.role, [p.kind for p in m.parts]) for m in state.session_graph.messages()]
        # The user message, the completed word_count round, and the closing reply.
        assert texts == [
            ("User", ["Text"]),
            ("Assistant", ["ToolCall"]),
            ("User", ["ToolResult"]),
            ("Assistant", ["Prose"]),
        ]
        assert state.session_graph.messages()[-1].parts[0].content == INTERRUPTED_TEXT
        assert state.turn_index == 1

        nxt = await lash.send(client, sid, "and now?", task_queue=task_queue)
        assert nxt.status == "completed"
        assert nxt.turn_index == 2
        assert nxt.answer_excerpt == "second answer"


# -- cancellation at seeded moments -------------------------------------------------------------

_RNG = random.Random(20261203)
MOMENTS = sorted(_RNG.uniform(0.05, 3.5) for _ in range(10))
"""When the cancel comes, in seconds after the message: across the whole turn (about 3 s with
0.3 s model calls: two tool rounds, a child and a grandchild)."""
ROOT_USAGE = {"input_tokens": 10, "output_tokens": 1}
CHILD_USAGE = {"input_tokens": 100, "output_tokens": 2}


def _cancel_script(tmp_path: Path) -> Path:
    return _script(tmp_path, {
        "turns": [[
            {"tool_calls": [{"name": "word_count", "args": {"text": "a b c"}}],
             "usage": ROOT_USAGE},
            {"tool_calls": [{"name": "spawn_agent", "args": {"task": "help"}}],
             "usage": ROOT_USAGE},
            {"text": "root done", "usage": ROOT_USAGE},
        ]],
        # A child spawns a grandchild (whose own spawn is refused: too deep), then answers.
        "child_turns": [[
            {"tool_calls": [{"name": "spawn_agent", "args": {"task": "deeper"}}],
             "usage": CHILD_USAGE},
            {"text": "child done", "usage": CHILD_USAGE},
        ]],
    })


def _totals(entries: list[TokenLedgerEntry]) -> tuple[int, int]:
    return (sum(e.usage.input_tokens for e in entries), sum(e.usage.output_tokens for e in entries))


async def _descendants(store: CheckpointStore, session_id: str) -> list[str]:
    out: list[str] = []
    frontier = [session_id]
    while frontier:
        children = [m.session_id for s in frontier for m in await store.list_child_sessions(s)]
        out += children
        frontier = children
    return out


async def _cancel(client: Client, session_id: str) -> None:
    """Cancel the session's workflow, once the update-with-start has created it."""
    for _ in range(100):
        try:
            await lash.handle(client, session_id).cancel()
            return
        except RPCError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"{session_id} never started")


async def _status(client: Client, session_id: str) -> WorkflowExecutionStatus | None:
    try:
        return (await lash.describe(client, session_id)).status
    except RPCError:
        return None  # never started


async def test_cancel_at_seeded_moments_leaves_the_store_exact_and_descendants_canceled(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    provider = ScriptedProvider(_cancel_script(tmp_path), call_log=log, delay_s=0.3)
    canceled_descendants = 0
    async with build_worker(client, store, task_queue=task_queue,
                            providers=ProviderRegistry.of(provider),
                            execution_state_key=TEST_KEY):
        for n, moment in enumerate(MOMENTS):
            sid = f"cancel-{n}-{uuid.uuid4().hex[:6]}"
            sending = asyncio.create_task(lash.send(client, sid, "go", task_queue=task_queue))
            await asyncio.sleep(moment)
            await _cancel(client, sid)
            with pytest.raises(WorkflowFailureError):
                await lash.handle(client, sid).result()
            assert (await lash.describe(client, sid)).status == WorkflowExecutionStatus.CANCELED
            try:
                first: Any = await sending
            except Exception as err:  # the caller of a turn that never ran hears why
                first = err
            state = await load_persisted_session_state(store, sid)
            committed = 0 if state is None else state.turn_index
            view = await store_view(store, sid) if state is not None else None
            # The store's turn index is the number of turns that committed (each starts with
            # its user message), and a caller told "interrupted"/"completed" saw that turn.
            assert committed == (len(user_texts(view)) if view else 0), (moment, committed)
            if not isinstance(first, Exception):
                assert first.turn_index == committed == 1, (moment, first)
            # The root's own calls: every call that returned is in the ledger, once.
            root_calls = sum(1 for c in call_lines(log) if c["session_id"] == sid)
            if state is not None:
                turn = [e for e in state.token_ledger if e.source == "turn"]
                assert _totals(turn) == (10 * root_calls, root_calls), (moment, root_calls)
                # What the children committed before they stopped is in the parent's ledger.
                kids = [m.session_id for m in await store.list_child_sessions(sid)]
                kid_states = [await load_persisted_session_state(store, k) for k in kids]
                kid_entries = [e for k in kid_states if k is not None for e in k.token_ledger]
                sub = [e for e in state.token_ledger if e.source == "subagent"]
                assert _totals(sub) == _totals(kid_entries), moment
            # Every descendant has stopped: canceled, or completed before the cancel came.
            for desc_id in await _descendants(store, sid):
                status = await _status(client, desc_id)
                assert status in (None, WorkflowExecutionStatus.CANCELED,
                                  WorkflowExecutionStatus.COMPLETED), (moment, desc_id, status)
                canceled_descendants += status == WorkflowExecutionStatus.CANCELED
            # The session goes on in a new run, with the next free index.
            again = await lash.send(client, sid, "again", task_queue=task_queue)
            assert again.turn_index == committed + 1, (moment, committed, again.turn_index)
            print(f"cancel at {moment:.2f} s: committed turns {committed}, root calls "
                  f"{root_calls}, first caller got "
                  f"{getattr(first, 'status', type(first).__name__)}")
    # The moments span the turn: some cancels caught a sub-agent at work.
    assert canceled_descendants >= 1
