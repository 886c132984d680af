"""Continue-as-new never stalls a session whose turns are slow, wherever in a turn the server's
suggestion lands.

A refused update leaves no event, so the server drops the workflow task that delivered it,
together with whatever the run decided in it. A run that refused the first message after the
suggestion arrived at the end of a turn was never woken again: with turns over a second apart
(any real model), 4 thresholds in 14 left a message unanswered. This sweeps the threshold over
more than one turn's worth of events, one dev server per threshold (started one by one, run
at once).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

from temporal_harness import TEST_KEY
from temporalio.testing import WorkflowEnvironment

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.store import open_store
from workflows.host import client as lash
from workflows.host.devserver import DevServerOptions, dev_server
from workflows.host.worker import build_worker

FIRST_THRESHOLD = 18
THRESHOLDS = range(FIRST_THRESHOLD, FIRST_THRESHOLD + 14)
"""History lengths at which the server suggests continue-as-new: a plain turn adds about 10
events, so 14 consecutive values put the suggestion at every point of a turn."""
MESSAGES = 5
SLOW_TURN_S = 1.2
"""Longer than the turn-index refresh timer (one second), which used to hide the stall."""
ANSWER_WITHIN_S = 30.0


async def _converse(env: WorkflowEnvironment, threshold: int, tmp_path: Path) -> tuple[int, int]:
    """Send every message; returns (runs, last turn index). Fails if a message goes unanswered."""
    script = tmp_path / "plain.json"
    script.write_text(json.dumps([[{"text": "ok"}]]))
    store = await open_store(f"sqlite:///{tmp_path / f'store-{threshold}.db'}")
    task_queue = f"slow-{uuid.uuid4().hex[:8]}"
    providers = ProviderRegistry.of(ScriptedProvider(script, delay_s=SLOW_TURN_S))
    sid = f"slow-{threshold}-{uuid.uuid4().hex[:6]}"
    try:
        async with build_worker(env.client, store, task_queue=task_queue, providers=providers,
                                execution_state_key=TEST_KEY):
            for n in range(1, MESSAGES + 1):
                try:
                    outcome = await asyncio.wait_for(
                        lash.send(env.client, sid, f"m{n}", task_queue=task_queue),
                        ANSWER_WITHIN_S,
                    )
                except TimeoutError:
                    raise AssertionError(
                        f"threshold {threshold}: message {n} unanswered after {ANSWER_WITHIN_S} s"
                    ) from None
                assert outcome.turn_index == n, (threshold, n, outcome.turn_index)
            summary = await lash.summary(env.client, sid)
    finally:
        await store.close()
    return summary.run_count, summary.turn_index


async def test_every_message_is_answered_wherever_the_suggestion_lands(tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        # One at a time: each server holds its ports before the next picks free ones (picked
        # all at once, two servers could be handed the same port).
        envs = [
            await stack.enter_async_context(
                dev_server(DevServerOptions(
                    dynamic_config={"limit.historyCount.suggestContinueAsNew": threshold}
                ))
            )
            for threshold in THRESHOLDS
        ]
        results = await asyncio.gather(
            *(
                _converse(env, threshold, tmp_path)
                for env, threshold in zip(envs, THRESHOLDS, strict=True)
            )
        )
    for threshold, (runs, turn_index) in zip(THRESHOLDS, results, strict=True):
        assert turn_index == MESSAGES, threshold
        # Every threshold is crossed at least once in five turns.
        assert runs >= 2, (threshold, runs)
    print("runs per threshold:", dict(zip(THRESHOLDS, (r for r, _ in results), strict=True)))
