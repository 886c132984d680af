"""``lash-temporal rewind``, ``fork`` and ``resume``: time travel that changes where a session
goes on, each from the turn receipts its workflow history holds (``checkpoint.history``).

- ``rewind``: the running session's ``rewind`` update, with turn N's checkpoint and leaf read
  from the history; the workflow's activity commits the re-branch (the old turns stay).
- ``fork``: a new session whose first head is the original's turn N, written as one store
  commit that shares the original's nodes and blobs (``checkpoint.store.fork_session``), then
  its workflow, which loads that head like any stored session's.
- ``resume``: a new run of a session whose workflow was closed (terminated, failed, timed out,
  deleted). The history's last completed turn wins over a store head that is ahead of it (a
  turn cut off after progress commits): the run rewinds to that turn, keeping the cut-off
  progress as a branch. With ``--at-turn N`` it rewinds to turn N.

``rewind`` and ``fork`` read only the runs their turn needs (``_runs.session_runs``);
``resume`` reads every run, since the last completed turn may lie before a run of loaded heads.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Literal

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.contract import TurnPolicy
from checkpoint.history import (
    LATEST,
    SessionHistory,
    TurnRecord,
    read_history,
    session_config,
)
from checkpoint.store import SessionStore, fork_session
from workflows.contract import RewindInput, SessionSummary, workflow_id
from workflows.host.cli._history import fetch_runs
from workflows.host.cli._runs import RESUMED_FROM_RUN
from workflows.host.client import handle, session_input, summary
from workflows.session import SessionWorkflow

_REWIND: Any = SessionWorkflow.rewind
"""The update; typed Any because mypy resolves the async update method to the wrong overload."""
HEAD_WAIT = 30.0
"""Seconds ``resume`` waits for the new run to load the session's head before rewinding it."""


class ControlError(Exception):
    """What a time-travel command cannot do, as one line (the CLI prints it)."""


async def session_history(
    client: Client, session_id: str, *, for_turn: int | Literal["latest"] | None = None
) -> SessionHistory | None:
    """Every run's history of the session (or the runs turn ``for_turn`` needs), read as
    turns; None when the server has none."""
    try:
        runs = await fetch_runs(client, session_id, for_turn=for_turn)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return read_history(runs, complete=False)


def _target(history: SessionHistory, turn: int) -> RewindInput:
    """The update that rewinds to ``turn`` (turn 0 of a session that started empty: no ref)."""
    if turn == 0 and all(t.turn_index != 0 for t in history.turns):
        return RewindInput(to_turn=0)
    record = history.turn(turn)
    return RewindInput(to_turn=turn, checkpoint_ref=record.checkpoint_ref,
                       leaf_node_id=record.leaf_node_id)


async def rewind(client: Client, session_id: str, to_turn: int) -> SessionSummary:
    """Rewind the running session to the end of turn ``to_turn``; its summary afterwards."""
    history = await session_history(client, session_id, for_turn=to_turn)
    if history is None:
        raise ControlError(f"session {session_id!r} has no workflow history to rewind in")
    update = _target(history, to_turn)
    try:
        result: SessionSummary = await handle(client, session_id).execute_update(
            _REWIND, update
        )
    except RPCError as err:
        closed = await _closed_status(client, session_id)
        if err.status != RPCStatusCode.NOT_FOUND or closed is None:
            raise
        raise ControlError(
            f"session {session_id!r} is not running (its workflow {closed}); "
            f"`lash-temporal resume {session_id} --at-turn {to_turn}` goes on from there"
        ) from err
    return result


async def _closed_status(client: Client, session_id: str) -> str | None:
    """How the session's latest run ended (``terminated``, ``failed``, ...); None if it runs."""
    status = (await handle(client, session_id).describe()).status
    if status is None or status == WorkflowExecutionStatus.RUNNING:
        return None
    return status.name.lower().replace("_", " ")


def _policy(record: TurnRecord) -> TurnPolicy:
    return TurnPolicy(provider=record.provider, model=record.model,
                      max_context_tokens=record.max_context_tokens)


async def fork(
    client: Client,
    store: SessionStore,
    session_id: str,
    at_turn: int | None,
    *,
    new_session_id: str | None = None,
    task_queue: str,
) -> str:
    """Fork ``session_id`` at turn ``at_turn`` (the latest when None) into a new session and
    start its workflow; returns the new session's id. The original is not written."""
    history = await session_history(
        client, session_id, for_turn=LATEST if at_turn is None else at_turn
    )
    if history is None:
        raise ControlError(f"session {session_id!r} has no workflow history to fork from")
    record = history.turn(at_turn)
    new_id = new_session_id or f"{session_id}.fork-{record.turn_index}-{uuid.uuid4().hex[:6]}"
    if await store.load_head(new_id) is not None:
        raise ControlError(f"session {new_id!r} already exists; a fork needs a new session id")
    await fork_session(
        store, source_session_id=session_id, session_id=new_id, turn=record.turn_index,
        leaf_node_id=record.leaf_node_id, checkpoint_ref=record.checkpoint_ref,
        config=await session_config(store, history, record), ledger=record.ledger,
        created_at=f"unix:{int(time.time())}",
    )
    await client.start_workflow(
        SessionWorkflow.run, session_input(new_id, policy=_policy(record)),
        id=workflow_id(new_id), task_queue=task_queue,
        static_summary=f"fork of {session_id} at turn {record.turn_index}",
    )
    return new_id


def _last_completed(history: SessionHistory) -> TurnRecord | None:
    done = [t for t in history.turns if t.status != "loaded"]
    return done[-1] if done else (history.turns[-1] if history.turns else None)


async def _loaded(client: Client, session_id: str) -> SessionSummary:
    """The new run's summary once it has loaded the head (or found none)."""
    deadline = time.monotonic() + HEAD_WAIT
    while True:
        closed = await _closed_status(client, session_id)
        if closed is not None:
            raise ControlError(
                f"session {session_id!r}: the resumed workflow {closed} before it loaded the "
                f"session (`temporal workflow show -w {workflow_id(session_id)}` says why)")
        current = await summary(client, session_id)
        if current.head_revision is not None or time.monotonic() > deadline:
            return current
        await asyncio.sleep(0.1)


async def resume(
    client: Client,
    session_id: str,
    at_turn: int | None = None,
    *,
    policy: TurnPolicy | None = None,
    task_queue: str,
) -> SessionSummary:
    """Start a new run of a closed session from its history's last completed turn (or turn
    ``at_turn``), rewinding the store's head there when it is elsewhere."""
    try:
        closed = await handle(client, session_id).describe()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        closed = None
    status = closed.status if closed is not None else None
    if status == WorkflowExecutionStatus.RUNNING:
        raise ControlError(f"session {session_id!r} is running; `rewind` it instead")
    history = await session_history(client, session_id) if status is not None else None
    record: TurnRecord | None = None
    if history is not None:
        record = history.turn(at_turn) if at_turn is not None else _last_completed(history)
    elif at_turn is not None:
        raise ControlError(f"session {session_id!r} has no workflow history to find turn "
                           f"{at_turn} in; resume without --at-turn takes the store's head")
    if policy is None:
        policy = _policy(record) if record is not None else TurnPolicy()
    await client.start_workflow(
        SessionWorkflow.run, session_input(session_id, policy=policy),
        id=workflow_id(session_id), task_queue=task_queue,
        static_summary=f"session {session_id} (resumed)",
        memo={RESUMED_FROM_RUN: closed.run_id} if closed is not None else None,
    )
    loaded = await _loaded(client, session_id)
    # Without --at-turn, only a head ahead of the last completed turn moves (a cut-off turn's
    # progress took the next index); a head a rewind moved keeps that index and stays.
    if record is None or loaded.head_revision == record.head_revision or (
        at_turn is None and loaded.turn_index <= record.turn_index
    ):
        return loaded
    assert history is not None
    result: SessionSummary = await handle(client, session_id).execute_update(
        _REWIND, _target(history, record.turn_index)
    )
    return result


__all__ = ["ControlError", "fork", "resume", "rewind", "session_history"]
