"""Several processes on one store: SIGKILL mid-commit, and racing writers (SQLite, PostgreSQL).

Kill delays come from a seeded RNG, so a failing round can be replayed; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from store_harness import check_consistent, read_line, spawn, turn_commit

from checkpoint.model import (
    HydratedSessionCheckpoint,
    PersistedSessionConfig,
    PersistedTurnState,
    RuntimeCommit,
    Unchanged,
)
from checkpoint.store import merge_usage_rows, open_store

SEED = 20261125
ROUNDS = 20
RACE_COMMITS = 25


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


async def test_sigkill_mid_commit_leaves_the_commit_or_nothing(
    store_url: str, tmp_path: Path
) -> None:
    """20 children killed at seeded random points: the store reopens clean, every head is
    consistent (graph, ledger, receipts), and retrying the in-flight commit applies it once."""
    rng = random.Random(SEED)
    landed = cut_short = 0
    progress = tmp_path / "progress.log"
    for _ in range(ROUNDS):
        progress.write_text("")
        proc = spawn("crash", store_url, "crash", str(progress))
        try:
            await read_line(proc)
            await asyncio.sleep(rng.uniform(0.0, 0.25))
        finally:
            proc.kill()
            await asyncio.to_thread(proc.wait, 30)
        store = await open_store(store_url)
        try:
            revision = await check_consistent(store, "crash")
            assert revision >= landed
            started = progress.read_text().split()
            in_flight = int(started[-1]) if started else revision + 1
            assert in_flight in (revision, revision + 1)
            cut_short += in_flight == revision + 1
            retried = turn_commit("crash", revision + 1)
            receipt = await store.commit_runtime_state(retried)
            assert receipt.head_revision == revision + 1
            assert await store.commit_runtime_state(retried) == receipt
            landed = await check_consistent(store, "crash")
        finally:
            await store.close()
    assert landed > 2 * ROUNDS, "the children should have committed between kills"
    assert cut_short > 0, "no kill hit a commit in flight; the crash path was not exercised"


async def test_racing_processes_have_one_winner_per_revision(store_url: str) -> None:
    """Two processes commit to one session: each revision has exactly one winner, the loser
    gets HeadRevisionConflict and retries, and no node or usage row is lost or doubled."""
    store = await open_store(store_url)
    config = PersistedSessionConfig(
        provider_id="scripted", configured_model="m", context_window=1, execution_mode="standard"
    )
    await store.commit_runtime_state(RuntimeCommit(
        session_id="race", expected_head_revision=None, config=config,
        graph=Unchanged(leaf_node_id=None),
        checkpoint=HydratedSessionCheckpoint(turn_state=PersistedTurnState(turn_index=0)),
        operation_id="init",
    ))
    workers = ("w1", "w2")
    procs = [spawn("race", store_url, "race", w, str(RACE_COMMITS)) for w in workers]
    wins: dict[int, str] = {}
    conflicts = 0
    try:
        for proc in procs:
            await read_line(proc)
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            while "done" not in (line := await read_line(proc, timeout=120)):
                if "conflict" in line:
                    conflicts += 1
                    continue
                assert line["revision"] not in wins, f"two winners for {line['revision']}"
                wins[line["revision"]] = line["won"]
    finally:
        for proc in procs:
            proc.kill()
            await asyncio.to_thread(proc.wait, 30)
    try:
        total = len(workers) * RACE_COMMITS
        assert sorted(wins) == list(range(2, total + 2))
        assert conflicts > 0, "the two writers never collided; the race was not exercised"
        read = await store.load_session("race")
        assert read is not None and read.head_revision == total + 1
        expected_nodes = {f"{w}-{i}" for w in workers for i in range(RACE_COMMITS)}
        assert {n.node_id for n in read.graph.nodes} == expected_nodes
        assert len(read.graph.nodes) == total
        ledger = {e.source: e.usage.input_tokens for e in read.token_ledger}
        assert ledger == {w: 12 * RACE_COMMITS for w in workers}
        assert read.token_ledger == merge_usage_rows(await store.backend.read_usage("race"))
        for revision, op in wins.items():
            receipt = await store.load_receipt("race", op)
            assert receipt is not None and receipt.head_revision == revision
    finally:
        await store.close()
