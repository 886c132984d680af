"""Record the workflow histories the replay test checks, into ``tests/replay/histories/``.

Re-record after a deliberate, versioned change to SessionWorkflow (never to make a failing replay
pass: a replay failure means running sessions would break on deploy):

    PYTHONPATH=. .venv/bin/python tests/replay/record_history.py

It starts the bundled dev server, runs a scripted demo session (five turns; turn 4 spawns a
sub-agent, so a child session history is recorded too), closes it, and records a session that
continued as new under a low server threshold with queued posts carried across: its first run
(``session-continued``) and its second, which starts from the carry (``session-carried``). Then
the paths that stop or fail: a run that continued as new after slow turns
(``session-slow-continued``), a session cancelled while its sub-agent worked
(``session-cancelled``, ``session-cancelled-child``), a turn whose three sub-agents fail, time out
and answer (``session-failed-children``), an interrupted turn (``session-interrupted``), and
calls that wait for approval: approved, denied and timed out (``session-approval``), and a
rewind: four turns, back to turn 2, two more (``session-rewound``). Each file holds
``WorkflowHistory.to_json()`` of one finished run, and the workflow id it belongs to. Pass
scenario names (demo, can, slow-can, cancel, children, interrupt, approval, rewind) to record
only those.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus

from activities.agent.providers import ModelProvider, ProviderRegistry, ScriptedProvider
from activities.contract import TurnPolicy
from checkpoint.store import open_store
from workflows.contract import PendingApproval, workflow_id
from workflows.host import client as lash
from workflows.host.cli._control import rewind
from workflows.host.devserver import DevServerOptions, dev_server
from workflows.host.worker import build_worker

HERE = Path(__file__).resolve().parent / "histories"
KEY = b"replay-recording-key"
sys.path.insert(0, str(HERE.parents[1] / "integration" / "temporal"))
from temporal_fakes import TaskScriptProvider  # noqa: E402

SCRIPTS = HERE.parent / "scripts"


async def _save(client: Client, wf_id: str, run_id: str | None, name: str) -> None:
    history = await client.get_workflow_handle(wf_id, run_id=run_id).fetch_history()
    data = json.loads(history.to_json())
    record = {"workflow_id": wf_id, "history": data}
    (HERE / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"recorded {name}.json ({len(history.events)} events)")


def _provider(scenario: str) -> ModelProvider:
    if scenario == "slow-can":
        return ScriptedProvider(SCRIPTS / "plain.json", delay_s=1.2)
    if scenario == "cancel":
        return ScriptedProvider(SCRIPTS / "slow-child.json", delay_s=0.5)
    if scenario == "interrupt":
        return ScriptedProvider(SCRIPTS / "slow-tool.json")
    if scenario == "approval":
        return ScriptedProvider(SCRIPTS / "approval.json")
    if scenario == "children":
        return TaskScriptProvider(
            [{"tool_calls": [{"name": "spawn_agent", "args": {"task": t}}
                             for t in ("fail", "slow", "ok")]}, {"text": "parent done"}],
            {"fail": [{"fail": True}], "slow": [{"sleep": 60}], "ok": [{"text": "ok done"}]},
        )
    return ScriptedProvider(None)


async def _record(options: DevServerOptions, scenario: str) -> None:
    async with dev_server(options) as env:
        store = await open_store("memory://")
        providers = ProviderRegistry.of(_provider(scenario))
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
            elif scenario == "can":
                for n in range(1, 9):
                    if n % 3 == 0:
                        await lash.post(env.client, sid, f"posted {n}", task_queue=queue)
                    await lash.send(env.client, sid, f"message {n}", task_queue=queue)
                done = await _continued_runs(env.client, sid)
                # The first run starts empty (and loads the head); the second starts from a carry.
                await _save(env.client, workflow_id(sid), done[0], "session-continued")
                await _save(env.client, workflow_id(sid), done[1], "session-carried")
            elif scenario == "slow-can":
                for n in range(1, 5):
                    await lash.send(env.client, sid, f"message {n}", task_queue=queue)
                done = await _continued_runs(env.client, sid)
                await _save(env.client, workflow_id(sid), done[0], "session-slow-continued")
            elif scenario == "cancel":
                sending = asyncio.create_task(lash.send(env.client, sid, "go", task_queue=queue))
                while not [s for s in await store.list_sessions() if ".child-" in s]:
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.3)
                await lash.handle(env.client, sid).cancel()
                await asyncio.gather(sending, return_exceptions=True)
                with contextlib.suppress(Exception):
                    await lash.handle(env.client, sid).result()
                await _save(env.client, workflow_id(sid), None, "session-cancelled")
                child = next(s for s in await store.list_sessions() if ".child-" in s)
                await _save(env.client, workflow_id(child), None, "session-cancelled-child")
            elif scenario == "children":
                policy = TurnPolicy(subagent_timeout=timedelta(seconds=3))
                await lash.send(env.client, sid, "go", task_queue=queue, policy=policy)
                await lash.close(env.client, sid)
                await _save(env.client, workflow_id(sid), None, "session-failed-children")
            elif scenario == "approval":
                await _record_approval(env.client, sid, queue)
                await _save(env.client, workflow_id(sid), None, "session-approval")
            elif scenario == "rewind":
                for n in range(1, 7):
                    await lash.send(env.client, sid, f"message {n}", task_queue=queue)
                    if n == 4:
                        await rewind(env.client, sid, 2)
                await lash.close(env.client, sid)
                await _save(env.client, workflow_id(sid), None, "session-rewound")
            else:
                sending = asyncio.create_task(lash.send(env.client, sid, "go", task_queue=queue))
                await asyncio.sleep(2.0)
                await lash.interrupt(env.client, sid)
                await sending
                await lash.send(env.client, sid, "again", task_queue=queue)
                await lash.close(env.client, sid)
                await _save(env.client, workflow_id(sid), None, "session-interrupted")
        await store.close()


async def _record_approval(client: Client, sid: str, queue: str) -> None:
    """Turn 1: two calls wait; one approved, one denied. Turn 2: nobody decides in time."""
    policy = TurnPolicy(approval_tools=["word_count"], approval_timeout=timedelta(seconds=2))
    sending = asyncio.create_task(lash.send(client, sid, "one", task_queue=queue, policy=policy))
    while len(waiting := await _pending(client, sid)) < 2:
        await asyncio.sleep(0.1)
    await lash.approve(client, sid, waiting[0].request.tool_call_id)
    await lash.approve(client, sid, waiting[1].request.tool_call_id, approve=False,
                       reason="not this one")
    await sending
    await lash.send(client, sid, "two", task_queue=queue, policy=policy)
    await lash.close(client, sid)


async def _pending(client: Client, sid: str) -> list[PendingApproval]:
    with contextlib.suppress(Exception):  # not started yet
        return await lash.pending(client, sid)
    return []


async def _continued_runs(client: Client, session_id: str) -> list[str]:
    """Run ids of the session's runs that continued as new, oldest first."""
    runs = [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id(session_id)}'")]
    done = sorted(
        (w for w in runs if w.status == WorkflowExecutionStatus.CONTINUED_AS_NEW),
        key=lambda w: w.start_time,
    )
    return [w.run_id for w in done]


SCENARIOS = {
    "demo": DevServerOptions(),
    "can": DevServerOptions(dynamic_config={"limit.historyCount.suggestContinueAsNew": 30}),
    "slow-can": DevServerOptions(
        dynamic_config={"limit.historyCount.suggestContinueAsNew": 20}
    ),
    "cancel": DevServerOptions(),
    "children": DevServerOptions(),
    "interrupt": DevServerOptions(),
    "approval": DevServerOptions(),
    "rewind": DevServerOptions(),
}


async def main(names: list[str]) -> int:
    HERE.mkdir(parents=True, exist_ok=True)
    for name in names or list(SCENARIOS):
        await _record(SCENARIOS[name], name)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
