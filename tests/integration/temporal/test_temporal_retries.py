"""Which turn failures retry: payload limits and contract errors fail at once, the rest retry;
a head that cannot be loaded refuses the turn after a bounded number of attempts."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import temporal_fakes
from temporal_harness import TEST_KEY
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from activities.agent.providers import ModelReply, ModelRequest, ProviderRegistry, ScriptedProvider
from checkpoint.errors import ProviderError
from checkpoint.store import CheckpointStore
from workflows.contract import TurnTimeouts
from workflows.host import client as lash
from workflows.host.worker import build_worker
from workflows.plugin import LashPlugin
from workflows.session import HEAD_LOAD_ATTEMPTS, SessionWorkflow


def _worker(client: Client, task_queue: str, turn: Callable[..., Any],
            head: Callable[..., Any] = temporal_fakes.no_stored_head) -> Worker:
    """The session workflow with the client-side plugin and fake activities (fake turns store
    nothing, so by default no session has a stored head)."""
    return Worker(client, task_queue=task_queue, workflows=[SessionWorkflow],
                  activities=[turn, head], plugins=[LashPlugin()])


async def test_an_oversized_turn_result_fails_the_update_without_retrying(
    client: Client, task_queue: str
) -> None:
    """PayloadsTooLarge is non-retryable: one attempt, then the update fails and says why."""
    temporal_fakes.calls.clear()
    async with _worker(client, task_queue, temporal_fakes.oversized_turn):
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


async def test_a_contract_error_subclass_fails_the_turn_on_the_first_attempt(
    client: Client, task_queue: str
) -> None:
    """The plugin's interceptor makes any ContractError subclass non-retryable by isinstance."""
    temporal_fakes.calls.clear()
    async with _worker(client, task_queue, temporal_fakes.contract_breaking_turn):
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await asyncio.wait_for(
                lash.send(client, f"cx-{uuid.uuid4().hex[:8]}", "go", task_queue=task_queue),
                timeout=60,
            )
    inner = caught.value.cause.__cause__ if caught.value.cause else None
    assert getattr(inner, "type", None) == "ScriptTooShortError"
    assert "the script has no such turn" in str(inner)
    assert temporal_fakes.calls == [1]


async def test_an_ordinary_error_is_retried_until_the_turn_succeeds(
    client: Client, task_queue: str
) -> None:
    """Transient failures keep Temporal's retries: the third attempt's outcome is returned."""
    temporal_fakes.calls.clear()
    fast = TurnTimeouts(retry_initial=timedelta(milliseconds=50))
    async with _worker(client, task_queue, temporal_fakes.flaky_turn):
        outcome = await asyncio.wait_for(
            lash.send(client, f"fl-{uuid.uuid4().hex[:8]}", "go", task_queue=task_queue,
                      timeouts=fast),
            timeout=60,
        )
    assert outcome.answer_excerpt == "third time lucky"
    assert temporal_fakes.calls == [1, 2, 3]


async def test_a_head_that_cannot_be_loaded_refuses_the_turn_instead_of_guessing_its_index(
    client: Client, task_queue: str
) -> None:
    """No head, no turn: the update fails naming the head, and run_turn is never scheduled."""
    temporal_fakes.calls.clear()
    temporal_fakes.head_calls.clear()
    sid = f"hd-{uuid.uuid4().hex[:8]}"
    async with _worker(client, task_queue, temporal_fakes.flaky_turn,
                       temporal_fakes.unreadable_head):
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await asyncio.wait_for(lash.send(client, sid, "go", task_queue=task_queue), 60)
        summary = await lash.summary(client, sid)
    cause = caught.value.cause
    assert getattr(cause, "type", None) == "SessionHeadUnavailable", cause
    assert "session head could not be loaded" in str(cause)
    assert "is damaged" in str(cause)
    assert temporal_fakes.calls == [], "no turn may run on a guessed turn index"
    assert temporal_fakes.head_calls == [1, 1], "once at run start, once before the turn"
    assert summary.last_error and "is damaged" in summary.last_error
    assert summary.turn_index == 0


async def test_an_unreachable_store_bounds_the_head_load_and_refuses_the_turn(
    client: Client, task_queue: str
) -> None:
    """A retryable head failure is tried HEAD_LOAD_ATTEMPTS times per load, then the turn fails."""
    temporal_fakes.calls.clear()
    temporal_fakes.head_calls.clear()
    fast = TurnTimeouts(retry_initial=timedelta(milliseconds=20),
                        retry_maximum=timedelta(milliseconds=50))
    async with _worker(client, task_queue, temporal_fakes.flaky_turn,
                       temporal_fakes.unreachable_head):
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await asyncio.wait_for(
                lash.send(client, f"hu-{uuid.uuid4().hex[:8]}", "go", task_queue=task_queue,
                          timeouts=fast),
                60,
            )
    assert "the store went away" in str(caught.value.cause)
    attempts = list(range(1, HEAD_LOAD_ATTEMPTS + 1))
    assert temporal_fakes.head_calls == attempts + attempts
    assert temporal_fakes.calls == []


class _DownThenUp:
    """A model endpoint that refuses the first ``failures`` calls (retryable), then answers."""

    kind = "scripted"
    input_usage_excludes_cached_tokens = False

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.inner = ScriptedProvider(None)

    async def complete(self, request: ModelRequest) -> ModelReply:
        if self.failures > 0:
            self.failures -= 1
            raise ProviderError("scripted", "connection refused at http://127.0.0.1:9/v1",
                                retryable=True)
        return await self.inner.complete(request)


async def test_a_retrying_turn_shows_its_attempt_and_cause_in_the_current_details(
    client: Client, store: CheckpointStore, task_queue: str
) -> None:
    """The failing attempt reports itself: the UI's current details and ``summary`` say which
    attempt failed and why while Temporal waits to retry; the note goes when the turn ends."""
    slow = TurnTimeouts(retry_initial=timedelta(seconds=2), retry_maximum=timedelta(seconds=2))
    worker = build_worker(client, store, task_queue=task_queue, execution_state_key=TEST_KEY,
                          providers=ProviderRegistry.of(_DownThenUp(failures=2)))
    sid = f"retry-note-{uuid.uuid4().hex[:8]}"
    seen: set[str] = set()
    async with worker:
        turn = asyncio.create_task(lash.send(client, sid, "hi", task_queue=task_queue,
                                             timeouts=slow))
        while not turn.done():
            with contextlib.suppress(Exception):  # the workflow may not have started yet
                meta = await lash.handle(client, sid).query(
                    "__temporal_workflow_metadata", result_type=WorkflowMetadata
                )
                summary = await lash.summary(client, sid)
                if summary.turn_retry:
                    seen.add(summary.turn_retry)
                    assert f"retrying ({summary.turn_retry})" in meta.current_details
            await asyncio.sleep(0.2)
        reply = await turn
        after = await lash.handle(client, sid).query(
            "__temporal_workflow_metadata", result_type=WorkflowMetadata
        )
    assert reply.status == "completed"
    cause = "connection refused at http://127.0.0.1:9/v1"
    assert {f"attempt 1 failed: {cause}", f"attempt 2 failed: {cause}"} <= {
        note.replace("provider 'scripted': ", "") for note in seen
    }, seen
    assert "retrying" not in after.current_details
