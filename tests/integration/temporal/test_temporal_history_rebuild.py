"""Rebuilding a session at every turn from its workflow histories gives exactly the state the
store held right after that turn: live from the server and from exported files, across
continue-as-new runs, with tool calls, code-mode state, sub-agents and a rewind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from temporal_harness import ROOT, TEST_KEY
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.history import (
    LATEST,
    SessionHistory,
    read_history,
    rebuild_state,
    runs_for_turn,
    verify_state,
)
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.host import client as lash
from workflows.host.cli import _control
from workflows.host.cli._history import fetch_runs, read_files
from workflows.host.devserver import DevServerOptions, dev_server
from workflows.host.worker import build_worker

SUGGEST_AT = 40
"""History events after which the server suggests continue-as-new: a run every few turns."""
TURNS = 30
"""The demo script's five turn shapes (a tool, python, python again, a sub-agent, plain text)
six times over, which at ``SUGGEST_AT`` spans many runs."""
REWIND_AFTER, REWIND_TO = 20, 17
"""After turn 20 the session goes back to turn 17: turns 18-20 stay in the graph as a branch,
and every turn from 21 on is rebuilt with that branch in its graph."""


@pytest.fixture(scope="module")
async def low_threshold_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of its own that suggests continue-as-new after a few turns."""
    options = DevServerOptions(
        dynamic_config={"limit.historyCount.suggestContinueAsNew": SUGGEST_AT}
    )
    async with dev_server(options) as env:
        yield env


async def _export_runs(client: Client, session_id: str, folder: Path) -> list[Path]:
    """Each run's ``fetch_history().to_json()`` in a file of its own, oldest run last."""
    paths: list[Path] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(
            f"lash-session/{session_id}", run_id=run_id).fetch_history()
        path = folder / f"run-{len(paths)}.json"
        path.write_text(history.to_json())
        paths.append(path)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            return paths


def _messages_sent(nodes: list[dict[str, Any]]) -> list[str]:
    """The messages this test sent, among serde nodes in graph order (tool results are user
    messages too)."""
    messages = [n["event"]["Conversation"] for n in nodes
                if n.get("kind") == "event" and "Conversation" in n["event"]]
    texts = [p.get("content", "") for m in messages if m["role"] == "User" for p in m["parts"]]
    return [t for t in texts if t.startswith("message ")]


def _cli(env: WorkflowEnvironment, store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    address = env.client.service_client.config.target_host
    return subprocess.run(
        [sys.executable, "-m", "workflows.host.cli", "--address", address, "--store", store_url,
         *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def _assert_every_turn(
    store: CheckpointStore, history: SessionHistory, expected: dict[int, dict[str, Any]]
) -> None:
    assert [t.turn_index for t in history.turns] == sorted(expected)
    for n, want in expected.items():
        rebuilt = await rebuild_state(store, history, n)
        assert rebuilt.model_dump(mode="json") == want, f"turn {n}"


async def _assert_runs_one_turn_needs(
    store: CheckpointStore, live: SessionHistory, expected: dict[int, dict[str, Any]],
    read: Callable[[int | Literal["latest"]], Awaitable[SessionHistory]],
) -> None:
    """Read for one turn (from the server or from files), only the run that holds it and the
    newest run are read in full (the others keep their first event), and every turn still
    rebuilds to the stored state (a later run's rewind included)."""
    def whole(history: SessionHistory) -> set[str]:
        """The runs read in full (a cut run holds its first event only)."""
        assert [r.run_id for r in history.runs] == [r.run_id for r in live.runs]
        pairs = list(zip(history.runs, live.runs, strict=True))
        assert all(r.events in (1, full.events) for r, full in pairs)
        return {r.run_id for r, full in pairs if r.events == full.events}

    newest = live.runs[-1].run_id
    for n, want in expected.items():
        needed = await read(n)
        assert (await rebuild_state(store, needed, n)).model_dump(mode="json") == want, n
        assert whole(needed) == {live.turn(n).run_id, newest}, n
    latest = await read(LATEST)
    assert newest in whole(latest) and len(whole(latest)) <= 2, latest.runs
    assert await verify_state(store, latest) == []


async def test_every_turn_rebuilds_to_the_stored_state_live_and_from_files(
    low_threshold_env: WorkflowEnvironment, store: CheckpointStore, store_url: str,
    task_queue: str, tmp_path: Path,
) -> None:
    """At every turn N, live and from exported files, the rebuild is JSON-equal to what
    ``load_persisted_session_state`` returned right after N (the old branch of a rewind
    included); verify finds no difference."""
    client = low_threshold_env.client
    sid = f"rebuild-{uuid.uuid4().hex[:8]}"
    providers = ProviderRegistry.of(ScriptedProvider(None))
    expected: dict[int, dict[str, Any]] = {}
    worker = build_worker(client, store, task_queue=task_queue, providers=providers,
                          execution_state_key=TEST_KEY)
    async with worker:
        for n in range(1, TURNS + 1):
            outcome = await lash.send(client, sid, f"message {n}", task_queue=task_queue)
            assert outcome.turn_index == n
            state = await load_persisted_session_state(store, sid)
            assert state is not None
            expected[n] = state.model_dump(mode="json")
            if n == REWIND_AFTER:
                await _control.rewind(client, sid, REWIND_TO)
        assert expected[TURNS]["execution_state_ref"], "the python tool left interpreter state"
        sent = _messages_sent(expected[TURNS]["session_graph"]["nodes"])
        assert sent == [f"message {n}" for n in range(1, TURNS + 1)], "the old branch stays"

        live = read_history(await fetch_runs(client, sid), complete=False)
        assert len(live.runs) >= 3, "the low threshold should force at least three runs"
        await _assert_every_turn(store, live, expected)
        assert await verify_state(store, live) == []

        async def read_live(turn: int | Literal["latest"]) -> SessionHistory:
            return read_history(await fetch_runs(client, sid, for_turn=turn), complete=False)

        await _assert_runs_one_turn_needs(store, live, expected, read_live)

        paths = await _export_runs(client, sid, tmp_path)
        names, exported = [str(p) for p in paths], read_files(paths)
        from_files = read_history(exported, names=names)
        await _assert_every_turn(store, from_files, expected)

        async def read_files_for(turn: int | Literal["latest"]) -> SessionHistory:
            return read_history(runs_for_turn(exported, names, turn), names=names)

        await _assert_runs_one_turn_needs(store, from_files, expected, read_files_for)

        children = await store.list_child_sessions(sid)
        assert children, "turn 4 spawned a sub-agent"
        child = read_history(await fetch_runs(client, children[0].session_id), complete=False)
        assert await verify_state(store, child) == []

        files = [a for p in paths for a in ("--history-file", str(p))]
        done = _cli(low_threshold_env, store_url, "rebuild", sid, "--at-turn", "7", "--json",
                    *files)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected[7]
        verified = _cli(low_threshold_env, store_url, "rebuild", sid, "--verify")
        assert verified.returncode == 0, verified.stderr
        listed = _cli(low_threshold_env, store_url, "history", sid)
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.strip().splitlines()
        assert len(lines) == 2 + TURNS and f'"message {TURNS}"' in lines[-1]
        rewound = f"rewound to turn {REWIND_TO}: turn {REWIND_AFTER + 1} branches from there"
        assert lines[1 + REWIND_AFTER].endswith(rewound)


async def test_verify_lists_the_paths_where_the_store_moved_on(
    client: Client, store: CheckpointStore, worker: object, task_queue: str
) -> None:
    """A history that stops before the store's head is rebuilt as it was; verify names what
    differs from the head (graph, turn, ledger...), and rebuilding still works."""
    sid = f"moved-{uuid.uuid4().hex[:8]}"
    await lash.send(client, sid, "first", task_queue=task_queue)
    before = read_history(await fetch_runs(client, sid), complete=False)
    stored = await load_persisted_session_state(store, sid)
    assert stored is not None
    at_one = stored.model_dump(mode="json")
    await lash.send(client, sid, "second", task_queue=task_queue)
    problems = await verify_state(store, before)
    assert "$.session_graph.nodes: 5 items rebuilt, 10 in the store" in problems
    assert any(p.startswith("$.turn_index:") for p in problems)
    assert (await rebuild_state(store, before)).model_dump(mode="json") == at_one
