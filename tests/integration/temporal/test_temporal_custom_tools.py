"""A tool the operator defines, on a real dev server: offered, called, journaled, or refused."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from temporal_harness import TEST_KEY
from temporalio.client import Client

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from activities.agent.tools import default_tools
from activities.contract import TurnPolicy
from checkpoint.model import OutcomeFailure, OutcomeSuccess
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.host import client as lash
from workflows.host.worker import build_worker

SCRIPT = [[
    {"text": "Checking.", "tool_calls": [{"name": "weather", "args": {"city": "Oslo"}}]},
    {"text": "It is sunny."},
]]


async def test_a_custom_tool_is_called_and_a_policy_without_it_gets_a_clear_error(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path
) -> None:
    """The scripted model calls ``weather``: it runs once and its result reaches the graph; a
    session whose policy leaves it out gets 'not enabled' in its graph instead."""
    calls: list[str] = []
    registry = default_tools()

    @registry.tool(timeout=5)
    async def weather(city: str) -> str:
        """Current weather in a city."""
        calls.append(city)
        return f"sunny in {city}, 21 C"

    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    worker = build_worker(
        client, store, task_queue=task_queue, tools=registry, execution_state_key=TEST_KEY,
        providers=ProviderRegistry.of(ScriptedProvider(script)),
    )
    allowed, refused = f"tool-{uuid.uuid4().hex[:8]}", f"tool-{uuid.uuid4().hex[:8]}"
    async with worker:
        ok = await lash.send(client, allowed, "weather in Oslo?", task_queue=task_queue)
        no = await lash.send(client, refused, "weather in Oslo?", task_queue=task_queue,
                             policy=TurnPolicy(tools=["word_count"]))
    assert (ok.status, ok.answer_excerpt, ok.tool_calls) == ("completed", "It is sunny.", 1)
    assert no.status == "completed"
    assert calls == ["Oslo"]

    state = await load_persisted_session_state(store, allowed)
    assert state is not None
    [record] = state.session_graph.tool_calls()
    assert isinstance(record.output.outcome, OutcomeSuccess)
    assert record.output.outcome.payload == "sunny in Oslo, 21 C"
    results = [p.content for m in state.session_graph.messages() for p in m.parts
               if p.kind == "ToolResult"]
    assert results == ["sunny in Oslo, 21 C"]

    state = await load_persisted_session_state(store, refused)
    assert state is not None
    [record] = state.session_graph.tool_calls()
    assert isinstance(record.output.outcome, OutcomeFailure)
    assert record.output.outcome.payload.message == "tool 'weather' is not enabled for this session"
