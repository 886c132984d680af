"""Child process for the multi-process store tests (run by ``store_harness.spawn``).

``store_child.py crash URL SESSION PROGRESS``: commit ``turn_commit(n)`` for n = head + 1, + 2,
... until killed (prints ``{"ready": ...}`` first; appends n to PROGRESS before each commit).
``store_child.py race URL SESSION WORKER COUNT``: wait for a line on stdin, then make COUNT
commits on top of whatever head it reads, printing each win and each conflict as a JSON line.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys

from store_harness import USAGE, node, turn_commit

from checkpoint.errors import HeadRevisionConflict
from checkpoint.model import (
    Append,
    HydratedSessionCheckpoint,
    PersistedSessionConfig,
    PersistedTurnState,
    RuntimeCommit,
    TokenLedgerEntry,
)
from checkpoint.store import open_store

_MAX_ATTEMPTS = 500


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


async def crash(url: str, session_id: str, progress: str) -> None:
    store = await open_store(url)
    first = (await store.load_head_revision(session_id) or 0) + 1
    emit(ready=first)
    with open(progress, "a") as log:
        for n in range(first, first + 100_000):
            log.write(f"{n}\n")
            log.flush()
            await store.commit_runtime_state(turn_commit(session_id, n))


async def race(url: str, session_id: str, worker: str, count: int) -> None:
    store = await open_store(url)
    emit(ready=worker)
    await asyncio.to_thread(sys.stdin.readline)
    rng = random.Random(worker)
    config = PersistedSessionConfig(
        provider_id="scripted", configured_model="m", context_window=1, execution_mode="standard"
    )
    for i in range(count):
        for _ in range(_MAX_ATTEMPTS):
            revision = await store.load_head_revision(session_id)
            await asyncio.sleep(rng.uniform(0, 0.004))
            commit = RuntimeCommit(
                session_id=session_id, expected_head_revision=revision, config=config,
                graph=Append(nodes=[node(f"{worker}-{i}", None, "x")],
                             leaf_node_id=f"{worker}-{i}"),
                checkpoint=HydratedSessionCheckpoint(turn_state=PersistedTurnState(turn_index=i)),
                usage_deltas=[TokenLedgerEntry(source=worker, model="m", usage=USAGE)],
                operation_id=f"{worker}:{i}",
            )
            try:
                receipt = await store.commit_runtime_state(commit)
            except HeadRevisionConflict as exc:
                emit(conflict=f"{worker}:{i}", expected=exc.expected, actual=exc.actual)
                continue
            emit(won=f"{worker}:{i}", revision=receipt.head_revision)
            break
    await store.close()
    emit(done=worker)


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "crash":
        asyncio.run(crash(argv[1], argv[2], argv[3]))
    elif mode == "race":
        asyncio.run(race(argv[1], argv[2], argv[3], int(argv[4])))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
