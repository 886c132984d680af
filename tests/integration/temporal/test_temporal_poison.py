"""On a real server, a poisoned model or tool value ends that call or turn within one attempt.

Tool args nested 300 deep, a python print of chr(0xD800) and a final answer with a lone
surrogate: each is a clear failure of that call or turn, the provider is asked at most twice for
it, and the session takes the next message, also on a fresh worker that loads it cold.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from temporal_harness import TEST_KEY
from temporalio.client import Client, WorkflowUpdateFailedError

from activities.agent.providers import ModelReply, ModelRequest, ProviderRegistry, ToolCallRequest
from checkpoint.model import OutcomeFailure
from checkpoint.store import load_persisted_session_state, open_store
from workflows.host import client as lash
from workflows.host.worker import build_worker


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


class PoisonProvider:
    """Answers by the turn's user text (a failed turn frees its index, so the index cannot
    pick the reply); counts calls per user text."""

    kind = "scripted"
    input_usage_excludes_cached_tokens = False

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    async def complete(self, request: ModelRequest) -> ModelReply:
        user = next(m.content for m in reversed(request.messages) if m.role == "user")
        self.calls[user] += 1
        tool = {"deep": _nested(300), "print": {"code": "print(chr(0xD800))"}}.get(user)
        if tool is not None and request.step == 0:
            call = ToolCallRequest(id=f"call-{user}", name="python", args=tool)
            return ModelReply(tool_calls=[call])
        if user == "surrogate":
            return ModelReply(text="an answer with a lone \ud800 surrogate")
        return ModelReply(text=f"done: {user}")


async def _send(client: Client, sid: str, text: str, task_queue: str) -> Any:
    return await asyncio.wait_for(lash.send(client, sid, text, task_queue=task_queue), 60)


async def test_poisoned_values_fail_their_call_or_turn_once_and_the_session_goes_on(
    client: Client, tmp_path: Path, task_queue: str
) -> None:
    """Each poison ends within one attempt; the next message works, on a cold worker too."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    provider = PoisonProvider()
    sid = f"poison-{uuid.uuid4().hex[:8]}"
    store = await open_store(url)
    try:
        worker = build_worker(
            client, store, task_queue=task_queue,
            providers=ProviderRegistry.of(provider), execution_state_key=TEST_KEY,
        )
        async with worker:
            deep = await _send(client, sid, "deep", task_queue)
            printed = await _send(client, sid, "print", task_queue)
            with pytest.raises(WorkflowUpdateFailedError) as caught:
                await _send(client, sid, "surrogate", task_queue)
            after = await _send(client, sid, "after", task_queue)
        assert (deep.turn_index, printed.turn_index, after.turn_index) == (1, 2, 3)
        assert deep.answer_excerpt == "done: deep" and printed.answer_excerpt == "done: print"
        failure = caught.value.cause.__cause__ if caught.value.cause else None
        assert getattr(failure, "type", None) == "ProviderError", caught.value.cause
        assert "lone surrogate" in str(failure)
        assert provider.calls == {"deep": 2, "print": 2, "surrogate": 1, "after": 1}

        state = await load_persisted_session_state(store, sid)
        assert state is not None
        records = {r.call_id: r for r in state.session_graph.tool_calls()}
        # The python child's UTF-8 output refuses the surrogate before it reaches the worker.
        for call_id, reason in (("call-deep", "at most 64"),
                                ("call-print", "surrogates not allowed")):
            outcome = records[call_id].output.outcome
            assert isinstance(outcome, OutcomeFailure) and reason in outcome.payload.message
        assert records["call-deep"].args == {}
    finally:
        await store.close()

    cold = PoisonProvider()  # a fresh worker: new store handle, empty session cache
    store = await open_store(url)
    try:
        worker = build_worker(
            client, store, task_queue=task_queue,
            providers=ProviderRegistry.of(cold), execution_state_key=TEST_KEY,
        )
        async with worker:
            outcome = await _send(client, sid, "cold", task_queue)
        assert outcome.turn_index == 4 and outcome.answer_excerpt == "done: cold"
        assert cold.calls == {"cold": 1}
    finally:
        await store.close()
