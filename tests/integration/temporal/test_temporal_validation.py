"""Bad input is refused before it reaches history; posted bad input is dropped and reported."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporal_harness import event_types, store_view, user_texts
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.contract import MAX_USER_TEXT_BYTES
from checkpoint.store import CheckpointStore
from workflows.contract import SendInput
from workflows.host import client as lash
from workflows.payloads import with_payload_store
from workflows.session import SessionWorkflow

TIMER_EVENTS = {
    "timer_fired_event_attributes", "workflow_task_scheduled_event_attributes",
    "workflow_task_started_event_attributes", "workflow_task_completed_event_attributes",
    "upsert_workflow_search_attributes_event_attributes",
}

BAD_INPUTS: list[tuple[str, Any, str]] = [
    ("empty", {"text": ""}, "must not be empty"),
    ("blank", {"text": " \n\t "}, "must not be empty"),
    ("oversized", {"text": "x" * (MAX_USER_TEXT_BYTES + 1)}, "too large"),
    ("oversized-utf8", {"text": "é" * (MAX_USER_TEXT_BYTES // 2 + 1)}, "too large"),
    ("wrong-type", {"text": 42}, "valid string"),
    ("unknown-field", {"text": "hi", "secret_prompt": "x"}, "Extra inputs"),
    ("not-an-object", "just a string", "SendInput"),
]


@pytest.mark.parametrize(("case", "payload", "reason"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
async def test_a_bad_update_is_rejected_and_leaves_no_event_in_history(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker,
    case: str, payload: Any, reason: str,
) -> None:
    """Empty, oversized or malformed input is rejected by the validator: history is unchanged."""
    sid = f"v-{uuid.uuid4().hex[:10]}"
    client = with_payload_store(client, store)  # an oversized message travels by reference
    await lash.send(client, sid, "a good first message", task_queue=task_queue)
    before = await event_types(client, sid)
    handle = client.get_workflow_handle(f"lash-session/{sid}")
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update("send", payload)
    failure = caught.value.cause
    text = f"{failure} {failure.__cause__ if failure else ''}"
    assert reason in text, text
    after = await event_types(client, sid)
    assert after[:len(before)] == before
    # Only the LashTurnIndex timer may have fired meanwhile (a 64 MiB upload takes a second).
    assert set(after[len(before):]) <= TIMER_EVENTS, after[len(before):]
    # The session is unharmed: the next good message is turn 2.
    outcome = await lash.send(client, sid, "a good second message", task_queue=task_queue)
    assert outcome.turn_index == 2
    assert user_texts(await store_view(store, sid)) == [
        "a good first message", "a good second message"
    ]


async def test_the_client_refuses_bad_text_before_calling_the_server(
    client: Client, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``send`` checks the text itself, so no workflow is started for an empty message or one
    past the configured limit (LASH_MAX_MESSAGE_BYTES), which the error names with the size."""
    sid = f"v-{uuid.uuid4().hex[:10]}"
    with pytest.raises(ValueError, match="must not be empty"):
        await lash.send(client, sid, "   ", task_queue=task_queue)
    monkeypatch.setenv("LASH_MAX_MESSAGE_BYTES", "1000")
    with pytest.raises(ValueError, match=r"too large \(1,001 bytes; at most 1,000\)"):
        await lash.send(client, sid, "x" * 1001, task_queue=task_queue)
    with pytest.raises(RPCError) as missing:
        await lash.handle(client, sid).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND


async def test_a_bad_posted_message_is_dropped_and_reported_in_the_summary(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Signals cannot be refused, so the workflow drops bad ones and says so; nothing runs."""
    sid = f"v-{uuid.uuid4().hex[:10]}"
    await lash.send(client, sid, "hello", task_queue=task_queue)
    handle = client.get_workflow_handle(f"lash-session/{sid}")
    await handle.signal(SessionWorkflow.post, SendInput(text="   "))
    for _ in range(100):  # bounded: the signal is handled within a workflow task or two
        summary = await lash.summary(client, sid)
        if summary.last_error:
            break
        await asyncio.sleep(0.1)
    assert summary.last_error and "dropped a posted message" in summary.last_error
    await lash.send(client, sid, "after", task_queue=task_queue)
    summary = await lash.summary(client, sid)
    assert summary.turn_index == 2
    assert user_texts(await store_view(store, sid)) == ["hello", "after"]
    history_kinds = await event_types(client, sid)
    assert "workflow_execution_signaled_event_attributes" in history_kinds
