"""What forking a long session writes: a fork shares the source's nodes and blobs.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_fork [--turns 1000]

A ``--turns``-turn session (bench_store's workload: a 200-character message and a 400-character
reply per turn) is committed to a SQLite store; then ``fork_session`` forks it at its last turn.
Printed: the bytes the fork wrote (the sum of the lengths of every new or changed column value,
over all tables; and the file's growth after a WAL checkpoint, in whole pages), against the
bytes of the conversation's node rows, which a fork that copied would write at least; and the
time to load the fork's whole state (its reads follow the fork point into the source) against
loading the source's. Goal: a few KB whatever the length. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_store import BATCH_TURNS, make_commit, sqlite_size
from checkpoint.store import CheckpointStore, fork_session, load_persisted_session_state, open_store


def _column_bytes(path: Path) -> int:
    """Sum of the lengths of every stored value (text and blobs by length, numbers as 8)."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'lash_%'")]
        total = 0
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                total += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row
                             if v is not None)
        return total
    finally:
        conn.close()


async def _build(store: CheckpointStore, session: str, turns: int) -> None:
    revision: int | None = None
    for first in range(1, turns + 1, BATCH_TURNS):
        last = min(turns, first + BATCH_TURNS - 1)
        receipt = await store.commit_runtime_state(make_commit(session, first, last, revision))
        revision = receipt.head_revision


async def _load_time(store: CheckpointStore, session: str) -> tuple[float, int]:
    store.node_cache.clear()  # cold: every node validated, as in a new process
    start = time.perf_counter()
    state = await load_persisted_session_state(store, session)
    assert state is not None
    return time.perf_counter() - start, len(state.session_graph.nodes)


async def _bench(turns: int, workdir: Path) -> None:
    path = workdir / "fork.db"
    store = await open_store(f"sqlite:///{path}")
    size = sqlite_size(path, store)
    try:
        await _build(store, "source", turns)
        head = await store.load_head("source")
        read = await store.load_session("source")
        assert head is not None and read is not None
        node_bytes = sum(len(n.model_dump_json()) for n in read.graph.nodes)
        file_before, columns_before = await size(), _column_bytes(path)
        started = time.perf_counter()
        await fork_session(
            store, source_session_id="source", session_id="forked", turn=turns,
            leaf_node_id=head.leaf_node_id, checkpoint_ref=head.checkpoint_ref,
            config=head.config, ledger=head.token_ledger, created_at="unix:0",
        )
        took = time.perf_counter() - started
        file_after, columns_after = await size(), _column_bytes(path)
        source_load, source_nodes = await _load_time(store, "source")
        fork_load, fork_nodes = await _load_time(store, "forked")
    finally:
        await store.close()
    print(f"fork of a {turns}-turn session ({source_nodes} nodes, {node_bytes:,} bytes of node "
          f"JSON) at its last turn, SQLite:")
    print(f"  written by the fork: {columns_after - columns_before:,} bytes of column values; "
          f"file growth {file_after - file_before:,} bytes (whole pages); {took * 1000:.1f} ms")
    print(f"  a copying fork would write at least {node_bytes:,} bytes "
          f"({node_bytes / max(columns_after - columns_before, 1):.0f}x)")
    print(f"  load the whole state: source {source_load * 1000:.1f} ms, fork {fork_load * 1000:.1f}"
          f" ms ({fork_nodes} nodes, read through the fork point)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__"
                             else [])
    with tempfile.TemporaryDirectory(prefix="lash-bench-fork-") as tmp:
        asyncio.run(_bench(args.turns, Path(tmp)))


if __name__ == "__main__":
    main()
