"""Rewind, fork and resume (issue 12) on a real dev server, with the echo provider."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporal_harness import TEST_KEY, event_types, ledger_sum, store_view, user_texts
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from activities.agent.providers import EchoProvider, ProviderRegistry
from activities.contract import TurnPolicy
from checkpoint.history import LATEST, read_history, rebuild_state, verify_state
from checkpoint.model import HandoffRelation, SessionUsageReport, TokenLedgerEntry, TokenUsage
from checkpoint.store import FORK_REASON, CheckpointStore, load_persisted_session_state
from workflows.contract import RewindInput, workflow_id
from workflows.host import client as lash
from workflows.host.cli import _control
from workflows.host.cli._history import fetch_runs, rewind_line
from workflows.host.cli._runs import RESUMED_FROM_RUN
from workflows.host.worker import build_worker
from workflows.session import SessionWorkflow

ECHO = TurnPolicy(provider="echo", model="echo")


@pytest.fixture
async def echo_worker(
    client: Client, store: CheckpointStore, task_queue: str
) -> AsyncIterator[Worker]:
    w = build_worker(client, store, task_queue=task_queue,
                     providers=ProviderRegistry.of(EchoProvider()), execution_state_key=TEST_KEY)
    async with w:
        yield w


def _sid() -> str:
    return f"tt-{uuid.uuid4().hex[:10]}"


async def _turns(
    client: Client, store: CheckpointStore, sid: str, queue: str, numbers: range
) -> list[TokenLedgerEntry]:
    """Send one message per number; what each turn added to the stored ledger, so a later
    check that the ledger is their sum shows nothing else (a rewind) changed it."""
    deltas: list[TokenLedgerEntry] = []
    for n in numbers:
        before = await _ledger(store, sid)
        outcome = await lash.send(client, sid, f"message {n}", policy=ECHO, task_queue=queue)
        assert outcome.status == "completed"
        assert outcome.turn_index == n
        after = await _ledger(store, sid)
        deltas += [
            TokenLedgerEntry(source=e.source, model=e.model, usage=_minus(e, before))
            for e in after
        ]
    return deltas


async def _ledger(store: CheckpointStore, sid: str) -> list[TokenLedgerEntry]:
    head = await store.load_head(sid)
    return list(head.token_ledger) if head is not None else []


def _minus(entry: TokenLedgerEntry, before: list[TokenLedgerEntry]) -> TokenUsage:
    usage = entry.usage.model_copy()
    for old in before:
        if (old.source, old.model) == (entry.source, entry.model):
            usage = TokenUsage(
                input_tokens=usage.input_tokens - old.usage.input_tokens,
                output_tokens=usage.output_tokens - old.usage.output_tokens,
                cached_input_tokens=usage.cached_input_tokens - old.usage.cached_input_tokens,
                reasoning_tokens=usage.reasoning_tokens - old.usage.reasoning_tokens,
            )
    return usage


async def _all_user_texts(store: CheckpointStore, sid: str) -> list[str]:
    state = await load_persisted_session_state(store, sid)
    assert state is not None
    return [p.content for n in state.session_graph.nodes if (m := n.message()) is not None
            and m.role == "User" for p in m.parts]


async def test_rewind_to_turn_3_of_8_branches_and_keeps_indices_and_ledger(
    client: Client, store: CheckpointStore, task_queue: str, echo_worker: Worker
) -> None:
    """After a rewind to turn 3 of 8 and two messages, the active path is turns 1-3, 9, 10;
    turns 4-8 stay in the graph off the path; the ledger counts all ten turns."""
    sid = _sid()
    deltas = await _turns(client, store, sid, task_queue, range(1, 9))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await lash.handle(client, sid).execute_update(
            SessionWorkflow.rewind, RewindInput(to_turn=9))
    assert "turns 0 to 8" in str(refused.value.cause)
    assert not any("UPDATE_ACCEPTED" in t for t in await event_types(client, sid))
    done = await _control.rewind(client, sid, 3)
    assert done.turn_index == 8 and done.last_answer_excerpt
    assert "message 3" in done.last_answer_excerpt
    view = await store_view(store, sid)
    assert user_texts(view) == [f"message {n}" for n in (1, 2, 3)]
    rewound_now = read_history(await fetch_runs(client, sid, for_turn=LATEST), complete=False)
    assert rewound_now.turn().turn_index == 8, "the latest turn is still turn 8's record"
    assert rewound_now.head is not None and rewound_now.head.head_revision == done.head_revision
    assert await verify_state(store, rewound_now) == [], "verify compares the rewound head"
    deltas += await _turns(client, store, sid, task_queue, range(9, 11))
    view = await store_view(store, sid)
    assert view.turn_index == 10
    assert user_texts(view) == [f"message {n}" for n in (1, 2, 3, 9, 10)]
    assert await _all_user_texts(store, sid) == [f"message {n}" for n in range(1, 11)]
    assert ledger_sum(view.ledger) == ledger_sum(deltas)
    assert await lash.usage(client, sid) == SessionUsageReport.from_entries(view.ledger)
    history = read_history(await fetch_runs(client, sid), complete=False)
    assert await verify_state(store, history) == [], "the rebuild holds the old branch too"
    [rewound] = history.rewinds
    assert (rewound.to_turn, rewound.after_turn) == (3, 8)
    assert rewind_line(rewound).endswith("rewound to turn 3: turn 9 branches from there")


async def test_fork_starts_a_session_at_turn_n_that_shares_the_original(
    client: Client, store: CheckpointStore, task_queue: str, echo_worker: Worker
) -> None:
    """A fork at turn 2 of 4 continues with turn 3 from turns 1-2; the original is untouched
    and the fork records where it came from."""
    sid = _sid()
    await _turns(client, store, sid, task_queue, range(1, 5))
    before = await store.load_session(sid)
    new = await _control.fork(client, store, sid, 2, new_session_id=f"{sid}-f",
                              task_queue=task_queue)
    outcome = await lash.send(client, new, "forked message", policy=ECHO, task_queue=task_queue)
    assert outcome.turn_index == 3
    view = await store_view(store, new)
    assert user_texts(view) == ["message 1", "message 2", "forked message"]
    assert await store.load_session(sid) == before
    meta = await store.load_session_meta(new)
    assert meta is not None and isinstance(meta.relation, HandoffRelation)
    assert meta.relation.reason == FORK_REASON and meta.relation.parent_session_id == sid
    assert meta.relation.metadata["turn"] == 2
    head = await store.load_head(new)
    assert head is not None and head.graph_node_count < 10  # its own nodes only
    fork_before = await store.load_session(new)
    with pytest.raises(_control.ControlError, match=f"session '{new}' already exists"):
        await _control.fork(client, store, sid, 1, new_session_id=new, task_queue=task_queue)
    assert await store.load_session(new) == fork_before


async def test_resume_a_terminated_session_from_its_history(
    client: Client, store: CheckpointStore, task_queue: str, echo_worker: Worker
) -> None:
    """A terminated session resumes with its turn index, conversation and ledger."""
    sid = _sid()
    deltas = await _turns(client, store, sid, task_queue, range(1, 4))
    await lash.handle(client, sid).terminate("test")
    done = await _control.resume(client, sid, task_queue=task_queue)
    assert done.turn_index == 3 and done.run_count == 1
    view = await store_view(store, sid)
    assert await lash.usage(client, sid) == SessionUsageReport.from_entries(view.ledger)
    assert ledger_sum(view.ledger) == ledger_sum(deltas)
    deltas += await _turns(client, store, sid, task_queue, range(4, 5))
    view = await store_view(store, sid)
    assert user_texts(view) == [f"message {n}" for n in range(1, 5)]
    assert ledger_sum(view.ledger) == ledger_sum(deltas)


async def test_a_resumed_session_reads_back_past_the_resume(
    client: Client, store: CheckpointStore, task_queue: str, echo_worker: Worker
) -> None:
    """The resumed workflow names the closed one, so its turns before the resume stay readable:
    history lists all of them, a turn before the resume rebuilds, and a rewind reaches it."""
    sid = _sid()
    await _turns(client, store, sid, task_queue, range(1, 4))
    closed = await lash.handle(client, sid).describe()
    await lash.handle(client, sid).terminate("test")
    with pytest.raises(_control.ControlError, match=r"not running \(its workflow terminated\)"):
        await _control.rewind(client, sid, 2)
    await _control.resume(client, sid, task_queue=task_queue)
    await _turns(client, store, sid, task_queue, range(4, 5))
    history = await _control.session_history(client, sid)
    assert history is not None
    assert len(history.runs) == 2 and history.runs[0].run_id == closed.run_id
    assert [(t.turn_index, t.status) for t in history.turns] == [
        (n, "completed") for n in range(1, 5)]
    rebuilt = await rebuild_state(store, history, 2)
    assert [m.parts[0].content for m in rebuilt.session_graph.messages()
            if m.role == "User"] == ["message 1", "message 2"]
    done = await _control.rewind(client, sid, 2)
    assert done.turn_index == 4
    await _turns(client, store, sid, task_queue, range(5, 6))
    assert user_texts(await store_view(store, sid)) == [f"message {n}" for n in (1, 2, 5)]


async def test_a_session_resumed_from_a_run_the_server_no_longer_has_reads_what_is_left(
    client: Client, store: CheckpointStore, task_queue: str, echo_worker: Worker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resumed-from run that is gone (deleted, past retention) ends the walk, not the read,
    and a warning says which run is missing and how to read it anyway."""
    sid = _sid()
    gone = str(uuid.uuid4())
    await client.start_workflow(
        SessionWorkflow.run, lash.session_input(sid, policy=ECHO), id=workflow_id(sid),
        task_queue=task_queue, memo={RESUMED_FROM_RUN: gone})
    await _turns(client, store, sid, task_queue, range(1, 3))
    history = await _control.session_history(client, sid)
    assert history is not None and len(history.runs) == 1
    assert [t.turn_index for t in history.turns] == [1, 2]
    [warned] = [r.getMessage() for r in caplog.records if "resumed from run" in r.getMessage()]
    assert gone in warned and "--history-file" in warned
