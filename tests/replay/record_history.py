"""Record the workflow histories the replay test checks, into ``tests/replay/histories/``.

Re-record after a deliberate, versioned change to SessionWorkflow (never to make a failing replay
pass: a replay failure means running sessions would break on deploy):

    PYTHONPATH=. .venv/bin/python tests/replay/record_history.py

It starts the bundled dev server, runs a scripted demo session (five turns; turn 4 spawns a
sub-agent, so a child session history is recorded too), closes it, and records a session that
continued as new under a low server threshold with queued posts carried across: its first run
(``session-continued``) and its second, which starts from the carry (``session-carried``). Each
file holds ``WorkflowHistory.to_json()`` of one finished run, and the workflow id it belongs to.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.store import open_store
from workflows import client as lash
from workflows._inputs import workflow_id
from workflows.devserver import DevServerOptions, dev_server
from workflows.worker import build_worker

HERE = Path(__file__).resolve().parent / "histories"
KEY = b"replay-recording-key"


async def _save(client: Client, wf_id: str, run_id: str | None, name: str) -> None:
    history = await client.get_workflow_handle(wf_id, run_id=run_id).fetch_history()
    data = json.loads(history.to_json())
    record = {"workflow_id": wf_id, "history": data}
    (HERE / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"recorded {name}.json ({len(history.events)} events)")


async def _record(options: DevServerOptions, scenario: str) -> None:
    async with dev_server(options) as env:
        store = await open_store("memory://")
        providers = ProviderRegistry.of(ScriptedProvider(None))
        queue = f"replay-{uuid.uuid4().hex[:8]}"
        worker = build_worker(env.client, store, task_queue=queue, providers=providers,
                              execution_state_key=KEY)
        async with worker:
            sid = f"replay-{scenario}"
            if scenario == "demo":
                for n in range(1, 6):
                    await lash.send(env.client, sid, f"demo message {n}", task_queue=queue)
                await lash.post(env.client, sid, "a posted message", task_queue=queue)
                await lash.close(env.client, sid)
                await _save(env.client, workflow_id(sid), None, "session-demo")
                child = next(s for s in await store.list_sessions() if ".child-" in s)
                await _save(env.client, workflow_id(child), None, "session-child")
            else:
                for n in range(1, 9):
                    if n % 3 == 0:
                        await lash.post(env.client, sid, f"posted {n}", task_queue=queue)
                    await lash.send(env.client, sid, f"message {n}", task_queue=queue)
                runs = [w async for w in env.client.list_workflows(
                    f"WorkflowId = '{workflow_id(sid)}'")]
                done = sorted(
                    (w for w in runs if w.status == WorkflowExecutionStatus.CONTINUED_AS_NEW),
                    key=lambda w: w.start_time,
                )
                # The first run starts empty (and loads the head); the second starts from a carry.
                await _save(env.client, workflow_id(sid), done[0].run_id, "session-continued")
                await _save(env.client, workflow_id(sid), done[1].run_id, "session-carried")
        await store.close()


async def main() -> int:
    HERE.mkdir(parents=True, exist_ok=True)
    await _record(DevServerOptions(), "demo")
    await _record(
        DevServerOptions(dynamic_config={"limit.historyCount.suggestContinueAsNew": 30}), "can"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
