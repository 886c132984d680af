"""Large inputs and outputs by reference, on a real dev server: a 5 MB message and a 5 MB tool
result each complete their turn, add less than 10 KB to the workflow history, and are in the
store and in the state rebuilt from history."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from temporal_harness import TEST_KEY
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from activities.agent.tools import default_tools
from activities.contract import TurnPolicy
from checkpoint.history import rebuild_state
from checkpoint.model import OutcomeSuccess, PersistedSessionState
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.contract import workflow_id
from workflows.host import client as lash
from workflows.host.cli._config import Target
from workflows.host.cli._control import session_history
from workflows.host.cli._history import load_session_history
from workflows.host.cli._replay import replay
from workflows.host.worker import build_worker
from workflows.payloads import with_payload_store

FIVE_MB = 5 * 1024 * 1024
BIG_MESSAGE = ("Every line of a pasted file. " * (FIVE_MB // 29 + 1))[:FIVE_MB]
BIG_RESULT = ("row,of,a,large,tool,result\n" * (FIVE_MB // 27 + 1))[:FIVE_MB]
SCRIPT = [
    [{"text": "Hello."}],
    [{"text": "Read it all."}],
    [{"text": "Fetching.", "tool_calls": [{"name": "big_table", "args": {}}]}, {"text": "Done."}],
]
POLICY = TurnPolicy(max_context_tokens=8_000_000)
"""A window that holds 5 MB (about 1.7 M estimated tokens), so the turns run, not refuse."""


async def history_bytes(client: Client, session_id: str) -> int:
    """The serialized size of the session's current run's history."""
    history = await client.get_workflow_handle(workflow_id(session_id)).fetch_history()
    return sum(event.ByteSize() for event in history.events)


def user_texts(state: PersistedSessionState) -> list[str]:
    return [p.content for m in state.session_graph.messages() if m.role == "User"
            for p in m.parts if p.kind == "Text"]


async def test_a_5_mb_message_and_a_5_mb_tool_result_travel_by_reference(
    temporal_env: WorkflowEnvironment, store: CheckpointStore, store_url: str, task_queue: str,
    tmp_path: Path,
) -> None:
    """Turns 2 (5 MB message) and 3 (5 MB tool result) complete; each adds < 10 KB of history
    (turn 1, a plain one, adds a few KB); the store and the rebuilt states hold the content."""
    registry = default_tools()

    @registry.tool(timeout=30)
    async def big_table() -> str:
        """A table of five megabytes."""
        return BIG_RESULT

    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    client = with_payload_store(temporal_env.client, store)
    worker = build_worker(
        client, store, task_queue=task_queue, tools=registry, execution_state_key=TEST_KEY,
        providers=ProviderRegistry.of(ScriptedProvider(script)),
    )
    sid = f"large-{uuid.uuid4().hex[:8]}"
    grown: list[int] = []
    async with worker:
        for text in ("hello", BIG_MESSAGE, "fetch the table"):
            before = await history_bytes(client, sid) if grown else 0
            reply = await lash.send(client, sid, text, policy=POLICY, task_queue=task_queue)
            assert reply.status == "completed", reply
            grown.append(await history_bytes(client, sid) - before)
    print(f"history bytes added per turn: {grown}")
    assert grown[1] < 10_000 and grown[2] < 10_000, grown
    assert reply.answer_excerpt == "Done." and reply.tool_calls == 1

    stored = await load_persisted_session_state(store, sid)
    assert stored is not None
    assert user_texts(stored) == ["hello", BIG_MESSAGE, "fetch the table"]
    [record] = stored.session_graph.tool_calls()
    assert isinstance(record.output.outcome, OutcomeSuccess)
    assert record.output.outcome.payload == BIG_RESULT

    target = Target(address=temporal_env.client.service_client.config.target_host,
                    namespace="default", task_queue=task_queue, store_url=store_url,
                    store_given=True)
    history = await load_session_history(target, sid)  # the CLI's reader (history, rebuild)
    assert [t.turn_index for t in history.turns] == [1, 2, 3]
    control = await session_history(client, sid)  # rewind, fork and resume read it this way
    assert control is not None and [t.turn_index for t in control.turns] == [1, 2, 3]
    at_two = await rebuild_state(store, history, 2)
    assert user_texts(at_two) == ["hello", BIG_MESSAGE]
    at_three = await rebuild_state(store, history, 3)
    [rebuilt] = at_three.session_graph.tool_calls()
    assert isinstance(rebuilt.output.outcome, OutcomeSuccess)
    assert rebuilt.output.outcome.payload == BIG_RESULT

    # Today's workflow replays the history, reading the references back through the store.
    run = await client.get_workflow_handle(workflow_id(sid)).fetch_history()
    assert await replay([("run", run)], store=store) == []
    [problem] = await replay([("run", run)])  # without the store it cannot, and says why
    assert "LASH_TEMPORAL_STORE" in problem.line(), problem.line()
