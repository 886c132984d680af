"""A scripted session on a real dev server: store contents after every turn, order, sub-agents."""

from __future__ import annotations

import asyncio
import json
import uuid

from temporal_harness import (
    demo_shape,
    ledger_sum,
    report_sum,
    shape_of,
    store_view,
    user_texts,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from checkpoint.store import CheckpointStore
from workflows.contract import TurnReply, TurnTimeouts
from workflows.host import client as lash
from workflows.session import SessionWorkflow


async def test_a_turn_leaves_its_answer_in_history_once_and_send_still_returns_it(
    client: Client, task_queue: str, worker: Worker
) -> None:
    """The turn's outcome carries the answer; the ``send`` update's result does not repeat it,
    and ``send`` reads it back with the ``answer`` query."""
    sid = _sid()
    reply = await lash.send(client, sid, "message 1: tell me something", task_queue=task_queue)
    assert reply.answer_excerpt
    history = await lash.handle(client, sid).fetch_history()
    excerpt = reply.answer_excerpt.encode()
    holding = [e.event_type for e in history.events if excerpt in e.SerializeToString()]
    assert holding == [EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
    [completed] = [e for e in history.events if e.HasField(
        "workflow_execution_update_completed_event_attributes")]
    result = completed.workflow_execution_update_completed_event_attributes.outcome.success
    assert json.loads(result.payloads[0].data) == {
        "status": "completed", "turn_index": 1, "head_revision": reply.head_revision,
        "model_calls": reply.model_calls, "tool_calls": reply.tool_calls,
    }
    assert await lash.handle(client, sid).query(SessionWorkflow.answer, 2) is None


def _sid() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


async def test_twenty_turns_leave_the_expected_messages_ledger_and_turn_index(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """After each of 20 turns the store holds that turn's messages, the summed ledger and index."""
    sid = _sid()
    texts: list[str] = []
    python_results: list[str] = []
    for n in range(1, 21):
        texts.append(f"message {n}: tell me something")
        outcome = await lash.send(client, sid, texts[-1], task_queue=task_queue)
        assert outcome.status == "completed"
        assert outcome.turn_index == n
        view = await store_view(store, sid)
        assert view.turn_index == n
        assert user_texts(view) == texts
        assert shape_of(view) == demo_shape(texts)
        assert ledger_sum(view.ledger) == report_sum(await lash.usage(client, sid))
        summary = await lash.summary(client, sid)
        assert (summary.turn_index, summary.head_revision) == (n, outcome.head_revision)
        head = await store.load_head(sid)
        assert head is not None and summary.checkpoint_ref == head.checkpoint_ref
        assert summary.last_answer_excerpt == outcome.answer_excerpt
        answers = [c for r, parts in view.messages if r == "Assistant" for k, c, _ in parts
                   if k == "Prose"]
        assert answers[-1] == outcome.answer_excerpt
        python_results = [c for r, parts in view.messages for k, c, t in parts
                          if k == "ToolResult" and t == "python"]
    # The interpreter state survived every turn: +21, x2, +21, x2, ...
    expected, total = [], 0
    for n in range(1, 21):
        if n % 5 == 2:
            total += 21
            expected.append(f"{total}\n")
        elif n % 5 == 3:
            total *= 2
            expected.append(f"{total}\n")
    assert python_results == expected
    usage = await lash.usage(client, sid)
    assert usage.by_source.keys() == {"turn", "subagent"}
    assert ledger_sum(view.ledger) == {
        (row.source, row.model): (row.usage.input_tokens, row.usage.output_tokens,
                                  row.usage.cached_input_tokens, row.usage.reasoning_tokens)
        for row in usage.by_source_model
    }


async def test_sub_agents_run_as_child_sessions_and_their_usage_lands_as_subagent(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Turn 4 of the demo spawns a sub-agent: a child workflow whose ledger the parent records."""
    sid = _sid()
    for n in range(1, 5):
        outcome = await lash.send(client, sid, f"turn {n}", task_queue=task_queue)
    assert outcome.status == "completed"
    children = [s for s in await store.list_sessions() if s.startswith(f"{sid}.child-")]
    assert len(children) == 1
    child = lash.handle(client, children[0])
    end = await child.result()
    # A child's result says only whether it failed; its answer is in the store, where the
    # parent's turn reads it (and its summary query tells it too).
    assert end.error is None and end.answer == ""
    assert (await lash.summary(client, children[0])).last_answer_excerpt.startswith(
        "Sub-agent report"
    )
    description = await child.describe()
    assert description.parent_id == f"lash-session/{sid}"
    parent_ledger = ledger_sum((await store_view(store, sid)).ledger)
    child_ledger = ledger_sum((await store_view(store, children[0])).ledger)
    assert parent_ledger[("subagent", "scripted-demo")] == child_ledger[("turn", "scripted-demo")]


async def test_concurrent_messages_run_one_at_a_time_in_arrival_order(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Updates and signals sent at once become turns in the order the server accepted them."""
    sid = _sid()
    await lash.send(client, sid, "first", task_queue=task_queue)
    sends = [
        asyncio.create_task(lash.send(client, sid, f"update {i}", task_queue=task_queue))
        for i in range(4)
    ]
    for i in range(3):
        await lash.post(client, sid, f"signal {i}", task_queue=task_queue)
    outcomes: list[TurnReply] = await asyncio.gather(*sends)
    await lash.send(client, sid, "last", task_queue=task_queue)
    view = await store_view(store, sid)
    texts = user_texts(view)
    assert texts[0] == "first" and texts[-1] == "last"
    assert sorted(texts[1:-1]) == sorted([f"update {i}" for i in range(4)] +
                                         [f"signal {i}" for i in range(3)])
    # Turn indexes are consecutive and each update got the outcome of its own message.
    assert sorted(o.turn_index for o in outcomes) == sorted(
        texts.index(f"update {i}") + 1 for i in range(4)
    )
    for i, o in enumerate(outcomes):
        assert o.turn_index == texts.index(f"update {i}") + 1
    history = await lash.handle(client, sid).fetch_history()
    arrival = []
    for event in history.events:
        kind = event.WhichOneof("attributes")
        if kind == "workflow_execution_signaled_event_attributes":
            arrival.append("signal")
        elif kind == "workflow_execution_update_accepted_event_attributes":
            arrival.append("update")
    assert arrival == ["update"] + [t.split()[0] for t in texts[1:-1]] + ["update"]


async def test_a_failed_turn_fails_its_update_and_the_workflow_keeps_running(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """A non-retryable turn failure reaches the caller as an error; the session stays open."""
    from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError

    from activities.contract import TurnPolicy

    sid = _sid()
    await lash.send(client, sid, "hello", task_queue=task_queue)
    bad = TurnPolicy(provider="no-such-provider")
    # The policy is fixed at start, so a second session carries the bad one.
    sid2 = _sid()
    try:
        await lash.send(client, sid2, "hello", policy=bad, task_queue=task_queue,
                        timeouts=TurnTimeouts(max_attempts=3))
    except WorkflowUpdateFailedError as err:
        message = str(err.cause.cause) if err.cause and err.cause.cause else str(err.cause)
        assert "no-such-provider" in message
    else:
        raise AssertionError("a turn with an unknown provider must fail")
    summary = await lash.summary(client, sid2)
    assert summary.turn_index == 0
    assert summary.last_error and "no-such-provider" in summary.last_error
    # The same session takes the next message, and the healthy one never noticed.
    assert (await lash.send(client, sid, "still here", task_queue=task_queue)).turn_index == 2
    assert (await lash.summary(client, sid)).last_error is None
    status = (await lash.handle(client, sid2).describe()).status
    assert status == WorkflowExecutionStatus.RUNNING


async def test_close_runs_the_queued_messages_then_ends_with_the_ledger(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Closing a session finishes what was queued; the result carries the turn index and ledger."""
    sid = _sid()
    await lash.send(client, sid, "one", task_queue=task_queue)
    await lash.post(client, sid, "two", task_queue=task_queue)
    await lash.post(client, sid, "three", task_queue=task_queue)
    end = await lash.close(client, sid)
    view = await store_view(store, sid)
    assert user_texts(view) == ["one", "two", "three"]
    assert end.turn_index == view.turn_index == 3
    assert ledger_sum(end.ledger) == ledger_sum(view.ledger)
    assert end.error is None and end.answer
