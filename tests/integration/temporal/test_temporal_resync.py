"""A session's workflow always continues from the store's head: after close, after a failed turn."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporal_fakes import FailOnceProvider
from temporal_harness import (
    TEST_KEY,
    demo_shape,
    ledger_sum,
    report_sum,
    shape_of,
    store_view,
    user_texts,
)
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry
from activities.contract import SessionHeadRequest, SessionHeadView
from activities.session_head import SessionHeadActivities
from checkpoint.model import TokenLedgerEntry
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.host import client as lash
from workflows.host.worker import build_worker


def _sid() -> str:
    return f"rs-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def provider() -> FailOnceProvider:
    return FailOnceProvider()


@pytest.fixture
async def failing_worker(
    client: Client, store: CheckpointStore, task_queue: str, provider: FailOnceProvider
) -> AsyncIterator[Worker]:
    """A worker playing the demo script, whose provider fails for good when a test says so."""
    w = build_worker(
        client, store, task_queue=task_queue, providers=ProviderRegistry.of(provider),
        execution_state_key=TEST_KEY,
    )
    async with w:
        yield w


async def _store_head(store: CheckpointStore, sid: str) -> tuple[int, str | None]:
    read = await store.load_session(sid)
    assert read is not None
    return read.head_revision, read.checkpoint_ref


async def test_a_closed_session_continues_its_turns_ledger_and_branch_in_a_new_run(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Close, then send: turn 3 follows turns 1-2 on the same branch; summary and usage say so."""
    sid = _sid()
    texts = ["first message", "second message", "third message"]
    outcomes = [await lash.send(client, sid, t, task_queue=task_queue) for t in texts[:2]]
    end = await lash.close(client, sid)
    assert end.turn_index == 2
    revision_before, _ref = await _store_head(store, sid)

    outcomes.append(await lash.send(client, sid, texts[2], task_queue=task_queue))
    third = outcomes[-1]
    assert third.turn_index == 3
    assert third.head_revision > revision_before
    view = await store_view(store, sid)
    assert view.turn_index == 3
    assert user_texts(view) == texts
    assert shape_of(view) == demo_shape(texts), "turn 3 must play the script's turn 3"
    state = await load_persisted_session_state(store, sid)
    graph = state.session_graph
    assert len(graph.active_path_nodes()) == len(graph.nodes), "one branch, nothing left aside"

    summary = await lash.summary(client, sid)
    assert (summary.turn_index, summary.head_revision, summary.checkpoint_ref) == (
        3, third.head_revision, (await _store_head(store, sid))[1],
    )
    assert summary.last_answer_excerpt == third.answer_excerpt
    assert summary.model_calls == sum(o.model_calls for o in outcomes)
    assert summary.tool_calls == sum(o.tool_calls for o in outcomes)
    usage = await lash.usage(client, sid)
    assert report_sum(usage) == ledger_sum(view.ledger)


async def test_a_message_posted_to_a_closed_session_continues_it_too(
    client: Client, store: CheckpointStore, task_queue: str, worker: Worker
) -> None:
    """Signal-with-start also starts from the store: the new run ends at turn 2 with both
    turns in its ledger."""
    sid = _sid()
    await lash.send(client, sid, "hello", task_queue=task_queue)
    await lash.close(client, sid)
    await lash.post(client, sid, "again", task_queue=task_queue)
    end = await lash.close(client, sid)
    view = await store_view(store, sid)
    assert (end.turn_index, view.turn_index, user_texts(view)) == (2, 2, ["hello", "again"])
    assert ledger_sum(end.ledger) == ledger_sum(view.ledger)


async def test_after_a_turn_fails_past_a_progress_commit_the_next_turn_takes_the_next_index(
    client: Client, store: CheckpointStore, task_queue: str, failing_worker: Worker,
    provider: FailOnceProvider,
) -> None:
    """The failed turn 2 stored its first tool round with index 2, so the good turn is 3; the
    usage of that round's model call is in the ledger (its progress commit counted it), and the
    workflow's usage report, reloaded from the store, says the same."""
    sid = _sid()
    good = [await lash.send(client, sid, "one", task_queue=task_queue)]
    after_one = await store_view(store, sid)
    provider.fail_at_step = 1
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await lash.send(client, sid, "two", task_queue=task_queue)
    assert "scripted failure at step 1" in str(caught.value.cause.__cause__)

    failed = await store_view(store, sid)
    assert failed.turn_index == 2
    assert user_texts(failed) == ["one", "two"]
    summary = await lash.summary(client, sid)
    assert (summary.head_revision, summary.checkpoint_ref) == await _store_head(store, sid)
    assert summary.turn_index == 2
    assert summary.last_error and "scripted failure at step 1" in summary.last_error
    assert summary.last_answer_excerpt == good[0].answer_excerpt

    good.append(await lash.send(client, sid, "three", task_queue=task_queue))
    assert good[-1].turn_index == 3
    view = await store_view(store, sid)
    assert view.turn_index == 3
    assert user_texts(view) == ["one", "two", "three"]
    summary = await lash.summary(client, sid)
    assert (summary.turn_index, summary.head_revision, summary.checkpoint_ref) == (
        3, *await _store_head(store, sid),
    )
    assert summary.last_error is None
    counted_by_failed_turn = ledger_sum([*failed.ledger, *_negated(after_one.ledger)])
    assert list(counted_by_failed_turn) == [("turn", "scripted-demo")]
    assert min(counted_by_failed_turn[("turn", "scripted-demo")][:2]) > 0
    counted_by_turn_three = ledger_sum([*view.ledger, *_negated(failed.ledger)])
    assert list(counted_by_turn_three) == [("turn", "scripted-demo")]
    assert min(counted_by_turn_three[("turn", "scripted-demo")][:2]) > 0
    usage = await lash.usage(client, sid)
    assert report_sum(usage) == ledger_sum(view.ledger)


def _negated(entries: list[TokenLedgerEntry]) -> list[TokenLedgerEntry]:
    """Entries whose figures count negative (to subtract one ledger from another)."""
    return [
        e.model_copy(update={"usage": e.usage.model_copy(update={
            k: -v for k, v in e.usage.model_dump().items()
        })})
        for e in entries
    ]


async def test_after_a_turn_fails_before_storing_anything_the_next_turn_reuses_its_index(
    client: Client, store: CheckpointStore, task_queue: str, failing_worker: Worker,
    provider: FailOnceProvider,
) -> None:
    """A turn that failed at its first model call left no trace, so its index is still free."""
    sid = _sid()
    first = await lash.send(client, sid, "one", task_queue=task_queue)
    provider.fail_at_step = 0
    with pytest.raises(WorkflowUpdateFailedError):
        await lash.send(client, sid, "two", task_queue=task_queue)
    summary = await lash.summary(client, sid)
    assert (summary.turn_index, summary.head_revision) == (1, first.head_revision)

    second = await lash.send(client, sid, "three", task_queue=task_queue)
    assert second.turn_index == 2
    view = await store_view(store, sid)
    assert (view.turn_index, user_texts(view)) == (2, ["one", "three"])
    summary = await lash.summary(client, sid)
    assert (summary.turn_index, summary.head_revision) == (2, second.head_revision)


async def test_the_head_of_a_session_the_store_does_not_hold_is_empty(
    store: CheckpointStore,
) -> None:
    """A brand-new session: no head, turn 0, nothing in the ledger, so the workflow starts empty."""
    view = await SessionHeadActivities(store).load_session_head(
        SessionHeadRequest(session_id=_sid())
    )
    assert view == SessionHeadView()
    assert (view.head, view.turn_index, view.ledger, view.last_answer_excerpt) == (None, 0, [], "")
