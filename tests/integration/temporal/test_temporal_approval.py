"""Human approval on a real dev server: a call that needs it waits, visibly, for a decision
made once; denied, the model sees why; approved, it runs at most once, worker crashes included."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from temporal_harness import ROOT, TEST_KEY, WorkerProcess, event_types
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from activities.agent.tools import default_tools
from activities.contract import TurnPolicy
from checkpoint.model import OutcomeFailure, OutcomeSuccess, PersistedSessionState
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.contract import PendingApproval, TurnTimeouts
from workflows.host import client as lash
from workflows.host.cli import _control
from workflows.host.cli._approve import approve as approve_command
from workflows.host.cli._config import Target
from workflows.host.worker import build_worker

HERE = Path(__file__).parent
TWO_DEPLOYS = [[
    {"text": "Deploying.", "tool_calls": [{"name": "deploy", "args": {"target": "prod"}},
                                         {"name": "deploy", "args": {"target": "staging"}}]},
    {"text": "Done."},
]]
ONE_DEPLOY = [[
    {"text": "Deploying.", "tool_calls": [{"name": "deploy", "args": {"target": "prod"}}]},
    {"text": "Done."},
]]
COUNT = [[
    {"text": "Counting.", "tool_calls": [{"name": "word_count", "args": {"text": "a b c"}}]},
    {"text": "Counted."},
]]
FAST = TurnTimeouts(heartbeat=timedelta(seconds=2), retry_initial=timedelta(milliseconds=200),
                    retry_maximum=timedelta(seconds=1))


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _waiting(client: Client, sid: str, count: int) -> list[PendingApproval]:
    async def check() -> bool:
        try:
            return len(await lash.pending(client, sid)) == count
        except Exception:  # the workflow has not started yet
            return False
    await _until(check, f"{count} calls waiting in {sid}")
    return await lash.pending(client, sid)


def _results(state: PersistedSessionState) -> dict[str, tuple[str, object]]:
    """Each tool call's target and outcome: ("ok", payload) or ("failed", message)."""
    out: dict[str, tuple[str, object]] = {}
    for record in state.session_graph.tool_calls():
        outcome = record.output.outcome
        args = record.args if isinstance(record.args, dict) else {}
        key = str(args.get("target", record.tool))
        if isinstance(outcome, OutcomeSuccess):
            out[key] = ("ok", outcome.payload)
        elif isinstance(outcome, OutcomeFailure):
            out[key] = ("failed", outcome.payload.message)
    return out


def _deploy_worker(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, script: object,
) -> tuple[Worker, Path]:
    """An in-process worker with ``approval_tools`` playing ``script``, and the file that
    counts ``deploy``'s effects."""
    effects = tmp_path / "effects.txt"
    monkeypatch.setenv("LASH_TEST_EFFECTS", str(effects))
    from approval_tools import TOOLS

    worker = build_worker(
        client, store, task_queue=task_queue, tools=TOOLS, execution_state_key=TEST_KEY,
        providers=ProviderRegistry.of(ScriptedProvider(_script(tmp_path, script))),
    )
    return worker, effects


async def _denied_by_the_stop(store: CheckpointStore, sid: str, effects: Path) -> None:
    """The waiting call never ran, and the model saw it denied because the turn stopped."""
    assert not effects.exists()
    state = await load_persisted_session_state(store, sid)
    assert state is not None
    stopped = "denied: the turn was stopped before anyone decided"
    assert _results(state) == {"prod": ("failed", stopped)}


def _script(tmp_path: Path, script: object) -> Path:
    path = tmp_path / f"script-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(script))
    return path


async def test_a_denied_call_reaches_the_model_and_an_approved_one_runs_once(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two calls wait, shown by ``pending``, the summary and the UI's current details; a bad
    decision is refused without a history event; prod is denied, staging approved: one effect,
    and the model's tool results say which."""
    worker, effects = _deploy_worker(client, store, task_queue, tmp_path, monkeypatch, TWO_DEPLOYS)
    sid = f"approve-{uuid.uuid4().hex[:8]}"
    async with worker:
        turn = asyncio.create_task(lash.send(client, sid, "deploy both", task_queue=task_queue))
        waiting = await _waiting(client, sid, 2)
        by_target = {json.loads(w.request.args_excerpt)["target"]: w.request for w in waiting}
        assert {r.tool for r in by_target.values()} == {"deploy"}
        summary = await lash.summary(client, sid)
        assert summary.in_flight and len(summary.pending_approvals) == 2
        meta = await lash.handle(client, sid).query(
            "__temporal_workflow_metadata", result_type=WorkflowMetadata
        )
        assert "waiting for approval (2 call(s))" in meta.current_details
        assert f"call `{by_target['prod'].tool_call_id}`" in meta.current_details
        assert not effects.exists(), "a call needing approval ran before anyone decided"

        before = await event_types(client, sid)
        with pytest.raises(WorkflowUpdateFailedError) as unknown:
            await lash.approve(client, sid, "call_nope")
        assert "no call 'call_nope' waiting" in str(unknown.value.cause)
        prod, staging = by_target["prod"].tool_call_id, by_target["staging"].tool_call_id
        denied = await lash.approve(client, sid, prod, approve=False, reason="not on Friday")
        assert (denied.approved, denied.waiting) == (False, 1)
        with pytest.raises(WorkflowUpdateFailedError) as twice:
            await lash.approve(client, sid, prod)
        assert "already denied" in str(twice.value.cause)
        await lash.approve(client, sid, staging)
        reply = await asyncio.wait_for(turn, 60)
        after = await event_types(client, sid)
        assert (await lash.pending(client, sid)) == []

    assert reply.status == "completed" and reply.answer_excerpt == "Done."
    assert effects.read_text().splitlines() == ["staging"]
    # Four approve calls, two accepted: the refused ones left no event.
    accepted = after.count("workflow_execution_update_accepted_event_attributes")
    assert accepted - before.count("workflow_execution_update_accepted_event_attributes") == 2
    state = await load_persisted_session_state(store, sid)
    assert state is not None
    assert _results(state) == {
        "prod": ("failed", "denied: not on Friday"),
        "staging": ("ok", "deployed to staging"),
    }


async def test_policy_gates_a_builtin_and_a_timeout_denies_it(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path
) -> None:
    """``approval_tools`` makes ``word_count`` wait; nobody answers within the policy's
    timeout, so the call is denied and the turn completes."""
    worker = build_worker(
        client, store, task_queue=task_queue, tools=default_tools(), execution_state_key=TEST_KEY,
        providers=ProviderRegistry.of(ScriptedProvider(_script(tmp_path, COUNT))),
    )
    sid = f"approve-timeout-{uuid.uuid4().hex[:8]}"
    policy = TurnPolicy(approval_tools=["word_count"], approval_timeout=timedelta(seconds=2))
    async with worker:
        turn = asyncio.create_task(
            lash.send(client, sid, "count", task_queue=task_queue, policy=policy)
        )
        [waiting] = await _waiting(client, sid, 1)
        assert waiting.deadline is not None
        assert waiting.deadline - waiting.asked_at == timedelta(seconds=2)
        reply = await asyncio.wait_for(turn, 60)
    assert reply.status == "completed" and reply.answer_excerpt == "Counted."
    state = await load_persisted_session_state(store, sid)
    assert state is not None
    assert _results(state) == {"word_count": ("failed", "denied: no decision within 0:00:02")}


async def test_an_interrupt_denies_the_waiting_call_and_ends_the_turn(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker, effects = _deploy_worker(client, store, task_queue, tmp_path, monkeypatch, ONE_DEPLOY)
    sid = f"approve-interrupt-{uuid.uuid4().hex[:8]}"
    async with worker:
        turn = asyncio.create_task(lash.send(client, sid, "deploy", task_queue=task_queue))
        await _waiting(client, sid, 1)
        assert await lash.interrupt(client, sid) == 1
        reply = await asyncio.wait_for(turn, 60)
    assert reply.status == "interrupted"
    await _denied_by_the_stop(store, sid, effects)


async def test_an_approved_call_runs_at_most_once_across_worker_kills(
    client: Client, store: CheckpointStore, store_url: str, task_queue: str, tmp_path: Path
) -> None:
    """Turn 1: the worker is SIGKILLed while the call waits; approved on the next worker, the
    call runs once. Turn 2: SIGKILLed while the approved call runs (its effect done,
    its result not yet journaled): the next attempt does not run it again and tells the model."""
    effects = tmp_path / "effects.txt"
    env = {
        "PYTHONPATH": f"{ROOT}:{HERE}",
        "LASH_SCRIPTED_SCRIPT": str(_script(tmp_path, [ONE_DEPLOY[0], ONE_DEPLOY[0]])),
        "LASH_TEST_EFFECTS": str(effects),
        "LASH_TEST_TOOL_SLEEP_S": "30",
    }
    target = client.service_client.config.target_host

    def new_worker(sleep_s: str) -> WorkerProcess:
        return WorkerProcess(
            target, task_queue, store_url, tmp_path / "worker.log",
            {**env, "LASH_TEST_TOOL_SLEEP_S": sleep_s},
            extra_args=["--tools", "approval_tools:TOOLS", "--sticky-timeout-s", "2"],
        ).start()

    sid = f"approve-crash-{uuid.uuid4().hex[:8]}"
    worker = new_worker("0")
    try:
        turn = asyncio.create_task(
            lash.send(client, sid, "deploy", task_queue=task_queue, timeouts=FAST)
        )
        [first] = await _waiting(client, sid, 1)
        worker.kill()  # a decision needs a live worker (its validator runs there)
        worker = new_worker("0")
        await lash.approve(client, sid, first.request.tool_call_id)
        one = await asyncio.wait_for(turn, 120)
        assert one.status == "completed" and effects.read_text().splitlines() == ["prod"]

        worker.kill()
        worker = new_worker("30")  # this worker's deploy hangs after its effect
        turn = asyncio.create_task(
            lash.send(client, sid, "deploy again", task_queue=task_queue, timeouts=FAST)
        )
        [second] = await _waiting(client, sid, 1)
        await lash.approve(client, sid, second.request.tool_call_id)
        await _until(lambda: _lines(effects, 2), "the second deploy's effect")
        worker.kill()
        worker = new_worker("0")
        two = await asyncio.wait_for(turn, 120)
    finally:
        worker.kill()
    assert two.status == "completed"
    assert effects.read_text().splitlines() == ["prod", "prod"], "an approved call ran twice"
    state = await load_persisted_session_state(store, sid)
    assert state is not None
    outcomes = [r.output.outcome for r in state.session_graph.tool_calls()]
    assert isinstance(outcomes[0], OutcomeSuccess)
    assert isinstance(outcomes[1], OutcomeFailure)
    assert "stopped before it finished; it is not run again" in outcomes[1].payload.message


async def _lines(path: Path, count: int) -> bool:
    return path.exists() and len(path.read_text().splitlines()) >= count


async def test_a_cancelled_session_denies_the_waiting_call_and_ends_cancelled(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancelling the workflow (the UI's Request Cancellation) while a call waits: the call is
    denied, the turn ends at its next safe point with what it completed, the run ends Canceled."""
    worker, effects = _deploy_worker(client, store, task_queue, tmp_path, monkeypatch, ONE_DEPLOY)
    sid = f"approve-cancel-{uuid.uuid4().hex[:8]}"
    async with worker:
        turn = asyncio.create_task(lash.send(client, sid, "deploy", task_queue=task_queue))
        await _waiting(client, sid, 1)
        await lash.handle(client, sid).cancel()
        reply = await asyncio.wait_for(turn, 60)
        description = await lash.describe(client, sid)
    assert reply.status == "interrupted"
    assert description.status is not None and description.status.name == "CANCELED"
    await _denied_by_the_stop(store, sid, effects)


async def test_a_sub_agents_waiting_call_is_listed_and_decided_from_the_root(
    client: Client, store: CheckpointStore, store_url: str, task_queue: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A child's gated call shows in the root's ``pending`` and details, naming the child; the
    CLI's ``approve ROOT CALL`` decides it in the child; the entry goes once decided."""
    script = {
        "turns": [[{"text": "Delegating.",
                    "tool_calls": [{"name": "spawn_agent", "args": {"task": "deploy prod"}}]},
                   {"text": "Parent done."}]],
        "child_turns": ONE_DEPLOY,
    }
    worker, effects = _deploy_worker(client, store, task_queue, tmp_path, monkeypatch, script)
    sid = f"approve-child-{uuid.uuid4().hex[:8]}"
    target = Target(address=client.service_client.config.target_host, namespace="default",
                    task_queue=task_queue, store_url=store_url, store_given=True)
    async with worker:
        turn = asyncio.create_task(lash.send(client, sid, "delegate", task_queue=task_queue))
        [waiting] = await _waiting(client, sid, 1)
        assert waiting.session_id.startswith(f"{sid}.child-")
        assert waiting.request.tool == "deploy"
        meta = await lash.handle(client, sid).query(
            "__temporal_workflow_metadata", result_type=WorkflowMetadata
        )
        assert (f"call `{waiting.request.tool_call_id}` in sub-agent `{waiting.session_id}`"
                in meta.current_details)
        said = await approve_command(target, sid, None, deny=False, reason="", every=False)
        assert said == (f"approved call {waiting.request.tool_call_id} in sub-agent "
                        f"{waiting.session_id}; 0 still waiting")
        reply = await asyncio.wait_for(turn, 60)
        assert await lash.pending(client, sid) == []
    assert reply.status == "completed" and reply.answer_excerpt == "Parent done."
    assert effects.read_text().splitlines() == ["prod"]


async def test_resume_takes_the_history_over_the_progress_of_a_cut_off_turn(
    client: Client, store: CheckpointStore, task_queue: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Turn 2 commits progress (a call waits for approval) and its workflow is terminated, so
    the store's head is ahead of the history's last completed turn. ``resume`` goes on from
    turn 1: the cut-off turn stays in the graph as a branch, its index stays used, and the
    call that waited never runs."""
    script = [[{"text": "Hello."}], *ONE_DEPLOY, [{"text": "After the resume."}]]
    worker, effects = _deploy_worker(client, store, task_queue, tmp_path, monkeypatch, script)
    sid = f"cutoff-{uuid.uuid4().hex[:8]}"
    async with worker:
        await lash.send(client, sid, "hello", task_queue=task_queue)
        first = await store.load_head(sid)
        turn = asyncio.create_task(lash.send(client, sid, "deploy it", task_queue=task_queue))
        await _waiting(client, sid, 1)
        ahead = await store.load_head(sid)
        assert first is not None and ahead is not None
        assert ahead.head_revision > first.head_revision, "the waiting turn committed nothing"
        await lash.handle(client, sid).terminate("cut off while a call waits")
        with pytest.raises((WorkflowUpdateFailedError, RPCError)):  # it never gets an answer
            await asyncio.wait_for(turn, 30)

        resumed = await _control.resume(client, sid, task_queue=task_queue)
        assert resumed.turn_index == 2, "the cut-off turn's index is used"
        state = await load_persisted_session_state(store, sid)
        assert state is not None
        assert [m.parts[0].content for m in state.session_graph.messages()
                if m.role == "User"] == ["hello"]
        assert "deploy it" in state.session_graph.model_dump_json(), "the branch is gone"

        reply = await lash.send(client, sid, "and now?", task_queue=task_queue)
    assert (reply.turn_index, reply.answer_excerpt) == (3, "After the resume.")
    state = await load_persisted_session_state(store, sid)
    assert state is not None
    assert [m.parts[0].content for m in state.session_graph.messages()
            if m.role == "User"] == ["hello", "and now?"]
    assert not effects.exists(), "the call that waited for approval ran"
