"""An outcome over Temporal's payload limit fails the turn with a clear error, never loops."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import temporal_fakes
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from workflows import client as lash
from workflows._inputs import TurnTimeouts
from workflows.plugin import LashPlugin


async def test_an_oversized_turn_result_fails_the_update_without_retrying(
    client: Client, task_queue: str
) -> None:
    """PayloadsTooLarge is non-retryable: one attempt, then the update fails and says why."""
    temporal_fakes.calls.clear()
    plugin = LashPlugin(extra_activities=[temporal_fakes.oversized_turn])
    async with Worker(client, task_queue=task_queue, plugins=[plugin]):
        sid = f"big-{uuid.uuid4().hex[:8]}"
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await asyncio.wait_for(
                lash.send(client, sid, "make it big", task_queue=task_queue,
                          timeouts=TurnTimeouts(max_attempts=0)),
                timeout=120,
            )
        summary = await lash.summary(client, sid)
    cause = caught.value.cause
    inner = cause.__cause__ if cause is not None else None
    assert getattr(inner, "type", None) == "PayloadsTooLarge", f"{cause} | {inner}"
    assert "exceeded the error limit" in str(inner)
    assert temporal_fakes.calls == [1], "the oversized result must not be retried"
    assert summary.turn_index == 0
    assert summary.last_error and "exceeded the error limit" in summary.last_error
