"""The Temporal UI tells the story: activity summaries, current details, search attributes, JSON."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.common import TypedSearchAttributes
from temporalio.worker import Worker

from activities.contract import LOAD_SESSION_HEAD_ACTIVITY, RUN_TURN_ACTIVITY
from checkpoint.store import CheckpointStore
from workflows.host import client as lash
from workflows.sandbox import search as _search
from workflows.sandbox.turn_index import TURN_INDEX_REFRESH
from workflows.session import SessionWorkflow


def _payloads(event: Message) -> list[Payload]:
    """Every Payload inside one history event, found by walking the proto."""
    found: list[Payload] = []

    def walk(message: Message) -> None:
        if isinstance(message, Payload):
            found.append(message)
            return
        for field, value in message.ListFields():
            if field.message_type is None:
                continue
            if isinstance(value, Message):
                walk(value)
                continue
            items = value.values() if hasattr(value, "values") else value
            for item in items:
                if isinstance(item, Message):
                    walk(item)

    walk(event)
    return found


async def test_turn_activities_carry_a_summary_naming_the_turn_and_the_message(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Each turn activity is scheduled with the summary ``turn N · <start of the message>``;
    the head load that opens a new run says what it does."""
    sid = f"ui-{uuid.uuid4().hex[:8]}"
    texts = ["What is the weather like today?", "Tell me a   much longer story " + "x" * 80, "ok"]
    for text in texts:
        await lash.send(client, sid, text, task_queue=task_queue)
    history = await lash.handle(client, sid).fetch_history()
    summaries = [
        (
            event.activity_task_scheduled_event_attributes.activity_type.name,
            json.loads(event.user_metadata.summary.data),
        )
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert summaries[0] == (LOAD_SESSION_HEAD_ACTIVITY, "load the session head from the store")
    assert [name for name, _s in summaries[1:]] == [RUN_TURN_ACTIVITY] * 3
    assert [text for _n, text in summaries[1:]] == [
        "turn 1 · What is the weather like today?",
        "turn 2 · " + ("Tell me a much longer story " + "x" * 80)[:59] + "…",
        "turn 3 · ok",
    ]


async def test_current_details_and_search_attributes_describe_the_session(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Markdown details show turns, head and usage; the Lash* search attributes are set."""
    sid = f"ui-{uuid.uuid4().hex[:8]}"
    for n in range(1, 5):  # turn 4 of the demo script spawns a sub-agent
        outcome = await lash.send(client, sid, f"message {n}", task_queue=task_queue)
    handle = lash.handle(client, sid)
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    details = metadata.current_details
    assert f"Session `{sid}`" in details
    assert f"| 4 | revision {outcome.head_revision} |" in details
    assert "waiting for a message" in details
    attributes = await _attributes_once_index_is(client, sid, 4)
    assert attributes.get(_search.SESSION_ID) == sid
    assert attributes.get(_search.TURN_INDEX) == 4
    assert attributes.get(_search.MODEL) == "scripted-demo"
    assert attributes.get(_search.PARENT_SESSION_ID) is None
    child_id = next(s for s in await store.list_sessions() if s.startswith(f"{sid}.child-"))
    child = await lash.handle(client, child_id).describe()
    assert child.typed_search_attributes.get(_search.PARENT_SESSION_ID) == sid
    found = [w.id async for w in client.list_workflows(f"LashParentSessionId = '{sid}'")]
    assert found in ([], [f"lash-session/{child_id}"])  # visibility may lag; never wrong


async def _attributes_once_index_is(
    client: Client, sid: str, index: int
) -> TypedSearchAttributes:
    """The session's search attributes once ``LashTurnIndex`` shows ``index``: it may trail the
    turns by up to TURN_INDEX_REFRESH (bounded wait: a few times that)."""
    deadline = time.monotonic() + 10 * TURN_INDEX_REFRESH.total_seconds()
    while True:
        attributes = (await lash.describe(client, sid)).typed_search_attributes
        if attributes.get(_search.TURN_INDEX) == index or time.monotonic() > deadline:
            return attributes
        await asyncio.sleep(0.1)


async def test_a_burst_of_turns_upserts_the_turn_index_less_than_once_a_turn(
    client: Client, task_queue: str, worker: Worker
) -> None:
    """Quick turns coalesce their LashTurnIndex upserts (a timer publishes the last one);
    closing the session leaves the exact index on the closed run."""
    sid = f"ui-{uuid.uuid4().hex[:8]}"
    turns = 8
    for n in range(1, turns + 1):
        await lash.send(client, sid, f"quick {n}", task_queue=task_queue)
    attributes = await _attributes_once_index_is(client, sid, turns)
    assert attributes.get(_search.TURN_INDEX) == turns
    await lash.handle(client, sid).signal(SessionWorkflow.close)
    await lash.handle(client, sid).result()
    events = (await lash.handle(client, sid).fetch_history()).events
    upserts = sum(
        "LashTurnIndex" in e.upsert_workflow_search_attributes_event_attributes.search_attributes
        .indexed_fields
        for e in events
    )
    span = (events[-1].event_time.ToDatetime() - events[0].event_time.ToDatetime()).total_seconds()
    # At most: the run's first upsert (every key), one per refresh interval, the final flush.
    assert 1 <= upserts <= 2 + span / TURN_INDEX_REFRESH.total_seconds()
    final = (await lash.describe(client, sid)).typed_search_attributes
    assert final.get(_search.TURN_INDEX) == turns


async def test_every_payload_in_history_is_plain_json(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Inputs, outcomes, updates and carries are ``json/plain``, readable in the UI."""
    sid = f"ui-{uuid.uuid4().hex[:8]}"
    await lash.send(client, sid, "hello", task_queue=task_queue)
    await lash.post(client, sid, "posted", task_queue=task_queue)
    await lash.send(client, sid, "again", task_queue=task_queue)
    history = await lash.handle(client, sid).fetch_history()
    payloads = [p for event in history.events for p in _payloads(event)]
    assert len(payloads) >= 8
    encodings = {p.metadata.get("encoding", b"").decode() for p in payloads}
    assert encodings <= {"json/plain", "binary/null"}, encodings
    for p in payloads:
        if p.metadata.get("encoding") == b"json/plain":
            json.loads(p.data)
