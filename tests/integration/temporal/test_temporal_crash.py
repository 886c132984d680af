"""A worker process SIGKILLed mid-turn costs nothing: a fresh one finishes the turn exactly once."""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import timedelta
from pathlib import Path

from temporal_harness import StoreView, WorkerProcess, call_lines, store_view
from temporalio.client import Client

from checkpoint.store import CheckpointStore
from workflows.contract import TurnTimeouts
from workflows.host import client as lash

SEED = 20261125
RUNS = 12
DELAY_S = 0.2
FAST = TurnTimeouts(
    heartbeat=timedelta(seconds=2),
    retry_initial=timedelta(milliseconds=200),
    retry_maximum=timedelta(seconds=1),
)
"""A dead worker is noticed after 2 s, and the retry follows at once."""

CRASH_SCRIPT = [
    [
        {"text": "Counting.", "tool_calls": [{"name": "word_count", "args": {"text": "a b c"}}]},
        {"text": "Adding.", "tool_calls": [
            {"name": "python", "args": {"code": "x = globals().get('x', 0) + 5\nx"}}]},
        {"text": "Noting.", "tool_calls": [{"name": "remember", "args": {"note": "crash test"}}]},
        {"text": "Counting again.", "tool_calls": [
            {"name": "word_count", "args": {"text": "one two"}}]},
        {"text": "Doubling.", "tool_calls": [{"name": "python", "args": {"code": "x = x * 2\nx"}}]},
        {"text": "All done: ten."},
    ]
]
MODEL_CALLS = len(CRASH_SCRIPT[0])


def _lines_for(log: Path, sid: str) -> list[dict[str, object]]:
    return [line for line in call_lines(log) if line["session_id"] == sid]


async def _wait_for_calls(log: Path, sid: str, count: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while len(_lines_for(log, sid)) < count:
        assert time.monotonic() < deadline, f"no {count} calls logged for {sid} in {timeout_s}s"
        await asyncio.sleep(0.02)


async def test_sigkill_mid_turn_at_twelve_points_leaves_one_turn_no_repeats(
    client: Client, store: CheckpointStore, store_url: str, task_queue: str, tmp_path: Path
) -> None:
    """Kill the worker after 1..6 completed calls (+ seeded jitter), 12 times: every turn ends
    like an uncrashed one (same messages, nodes, ledger) and no journaled call runs again."""
    script = tmp_path / "crash-script.json"
    script.write_text(json.dumps(CRASH_SCRIPT))
    log = tmp_path / "calls.jsonl"
    env = {
        "LASH_SCRIPTED_SCRIPT": str(script),
        "LASH_SCRIPTED_CALL_LOG": str(log),
        "LASH_SCRIPTED_DELAY_S": str(DELAY_S),
    }
    target = client.service_client.config.target_host

    def new_worker() -> WorkerProcess:
        return WorkerProcess(
            target, task_queue, store_url, tmp_path / "worker.log", env,
            extra_args=["--sticky-timeout-s", "2"],  # a dead worker's cache is given up fast
        ).start()

    worker = new_worker()
    reference_sid = "crash-reference"
    await lash.send(client, reference_sid, "run the script", task_queue=task_queue, timeouts=FAST)
    reference: StoreView = await store_view(store, reference_sid)
    assert reference.turn_index == 1

    rng = random.Random(SEED)
    points = [(1 + i % MODEL_CALLS, rng.uniform(0, DELAY_S)) for i in range(RUNS)]
    repeats_allowed = 0
    try:
        for run, (after_calls, jitter) in enumerate(points):
            sid = f"crash-{run}"
            turn = asyncio.create_task(
                lash.send(client, sid, "run the script", task_queue=task_queue, timeouts=FAST)
            )
            await _wait_for_calls(log, sid, after_calls)
            await asyncio.sleep(jitter)
            victim = worker.pid
            worker.kill()
            turn_id = str(_lines_for(log, sid)[0]["turn_id"])
            journaled = {
                k for k in await store.load_effects(sid, turn_id) if k.startswith("model:")
            }
            worker = new_worker()
            outcome = await asyncio.wait_for(turn, timeout=120)

            assert outcome.status == "completed" and outcome.turn_index == 1, run
            view = await store_view(store, sid)
            assert view == reference, f"run {run}: the store differs from an uncrashed turn"
            lines = _lines_for(log, sid)
            keys = [str(line["call_key"]) for line in lines]
            assert len(set(keys)) == MODEL_CALLS, f"run {run}: calls missing"
            for line in lines:
                step_key = f"model:{line['step']}"
                if line["pid"] != victim:
                    # Nothing the store had journaled when the worker died is called again.
                    assert step_key not in journaled, f"run {run}: journaled call {step_key} re-ran"
            repeats_allowed += len(keys) - len(set(keys))
    finally:
        worker.stop()
    # At most the one call per run that completed in the instant before it was journaled.
    assert repeats_allowed <= RUNS
