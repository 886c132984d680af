"""Rebuilding a session's state at a past turn from its workflow histories: how long it takes.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_history [--turns 1000]

One session runs the demo script (tools, python state, a sub-agent every fifth turn) for
``--turns`` turns on a bundled dev server, whose default threshold continues it as new every
few hundred turns. Then, at turns 100, 1,000 and 10,000 (those the run reaches), the time to
read the histories and rebuild the state (``checkpoint.history``), from the live server (the runs
the turn needs, as ``rebuild --at-turn`` reads them: in full the run that holds it and the
newest, the first event of every other run; only the events the reader uses converted) and from
exported files (each run's ``to_json()``: every file parsed, and the same two runs read past
their first event, as ``rebuild --at-turn --history-file`` reads them), each with a store
opened afresh (cold: the first rebuild in a new process, as the CLI runs it) and the median of
five more (warm node cache). The goal: at most 0.5 s at 1,000 turns.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from benchmarks._turns_main import run_turns_benchmark
from checkpoint.history import SessionHistory, read_history, rebuild_state, runs_for_turn
from checkpoint.store import SessionStore, load_persisted_session_state, open_store
from workflows.host import client as lash
from workflows.host.cli._history import fetch_runs, read_files
from workflows.host.devserver import dev_server
from workflows.host.worker import build_worker

BENCH_KEY = b"bench-key"
MARKS = (100, 1_000, 10_000)
PROGRESS_EVERY = 500
"""Turns between progress lines (on stderr) while the session is driven."""


async def _timed(make: Callable[[int], Awaitable[SessionHistory]], store: SessionStore,
                 turn: int, repeats: int = 5) -> tuple[float, float, float]:
    """(cold, warm median, of which reading the histories) seconds."""
    times, reads = [], []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        history = await make(turn)
        read = time.perf_counter()
        await rebuild_state(store, history, turn)
        times.append(time.perf_counter() - start)
        reads.append(read - start)
    return times[0], statistics.median(times[1:]), statistics.median(reads[1:])


async def _bench(turns: int, workdir: Path) -> None:
    url = f"sqlite:///{workdir / 'bench.db'}"
    store = await open_store(url)
    marks = [m for m in MARKS if m <= turns] or [turns]
    async with dev_server() as env:
        client, queue = env.client, f"bench-{uuid.uuid4().hex[:6]}"
        sid = f"bench-history-{uuid.uuid4().hex[:6]}"
        worker = build_worker(client, store, task_queue=queue,
                              providers=ProviderRegistry.of(ScriptedProvider(None)),
                              execution_state_key=BENCH_KEY)
        expected = {}
        started = time.perf_counter()
        async with worker:
            for n in range(1, turns + 1):
                await lash.send(client, sid, f"benchmark message {n}", task_queue=queue)
                if n in marks:
                    state = await load_persisted_session_state(store, sid)
                    assert state is not None
                    expected[n] = state.model_dump(mode="json")
                if n % PROGRESS_EVERY == 0:
                    print(f"  turn {n:,} of {turns:,}", file=sys.stderr, flush=True)
        print(f"{turns} demo turns in {time.perf_counter() - started:.0f} s")
        runs = await fetch_runs(client, sid)
        paths = []
        for i, run_id in enumerate(await _run_ids(client, sid)):
            history = await client.get_workflow_handle(
                f"lash-session/{sid}", run_id=run_id).fetch_history()
            paths.append(workdir / f"run-{i}.json")
            paths[-1].write_text(history.to_json())
        size = sum(p.stat().st_size for p in paths)
        print(f"{len(runs)} runs, exported {size / 1e6:.1f} MB of history JSON")

        async def live(turn: int) -> SessionHistory:  # as `rebuild --at-turn` reads it
            return read_history(await fetch_runs(client, sid, for_turn=turn), complete=False)

        async def files(turn: int) -> SessionHistory:
            names = [str(p) for p in paths]
            return read_history(runs_for_turn(read_files(paths), names, turn), names=names)

        print(f"{'source':<8}{'turn':>6}{'nodes':>7}{'cold s':>9}{'warm s':>9}{'read s':>9}")
        for source, make in (("files", files), ("live", live)):
            for mark in marks:
                fresh = await open_store(url)
                cold, warm, read = await _timed(make, fresh, mark)
                rebuilt = await rebuild_state(fresh, await make(mark), mark)
                assert rebuilt.model_dump(mode="json") == expected[mark], "rebuild differs"
                nodes = len(rebuilt.session_graph.nodes)
                print(f"{source:<8}{mark:>6}{nodes:>7}{cold:>9.3f}{warm:>9.3f}{read:>9.3f}")
                await fresh.close()
    await store.close()


async def _run_ids(client: object, sid: str) -> list[str]:
    from temporalio.client import Client

    assert isinstance(client, Client)
    ids: list[str] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(
            f"lash-session/{sid}", run_id=run_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        ids.append(started.original_execution_run_id)
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            return ids


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures (``python -m benchmarks history`` runs it too)."""
    run_turns_benchmark(_bench, argv, prog="bench_history", doc=__doc__, default_turns=1000,
                        turns_help="turns of the session")

if __name__ == "__main__":
    main()
