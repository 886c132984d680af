"""Large messages by reference: history bytes per turn by message size, and what a 1 MB message
costs in wall time against a 100-byte one.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_payload [--turns 10]

Three sessions on one bundled dev server and one SQLite store, one per message size (100 B,
10 KB, 1 MB), each turn one scripted model call that answers "Noted."; the sessions take turns
round by round, so drift on a loaded machine hits every size alike. After a warm-up turn each,
``--turns`` measured turns: the history bytes they add (the serialized events of the run,
divided by the turns; the turn-index timer's events included) and the median wall time of
``send``. Payloads from 4 KiB travel by reference (``workflows.payloads``), so the bytes per turn
should be flat; the latency ratio is what storing, hashing and reading back 1 MB costs, with the
agent loop handling a 1 MB message.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path

from temporalio.client import Client

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from activities.contract import TurnPolicy
from benchmarks._turns_main import run_turns_benchmark
from checkpoint.store import open_store
from workflows.contract import workflow_id
from workflows.host import client as lash
from workflows.host.devserver import dev_server
from workflows.host.worker import build_worker
from workflows.payloads import with_payload_store

BENCH_KEY = b"bench-key"
SIZES = (100, 10_000, 1_000_000)
POLICY = TurnPolicy(max_context_tokens=400_000)
"""Large enough for a 1 MB message (about 340 K estimated tokens), too small for two: each
prompt holds the new message only, so the figure is a turn's cost, not a growing context's."""


def _message(size: int, n: int) -> str:
    """``size`` bytes of text that differ per turn (no two turns share a blob)."""
    head = f"message {n}: "
    return head + ("lorem ipsum dolor " * (size // 18 + 1))[: size - len(head)]


async def _history_bytes(client: Client, session_id: str) -> int:
    history = await client.get_workflow_handle(workflow_id(session_id)).fetch_history()
    return sum(event.ByteSize() for event in history.events)


async def _bench(turns: int, workdir: Path) -> None:
    store = await open_store(f"sqlite:///{workdir / 'bench.db'}")
    script = workdir / "script.json"
    script.write_text(json.dumps([[{"text": "Noted."}]]))
    async with dev_server() as env:
        client = with_payload_store(env.client, store)
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        worker = build_worker(client, store, task_queue=queue, execution_state_key=BENCH_KEY,
                              providers=ProviderRegistry.of(ScriptedProvider(script)))
        sids = {size: f"bench-payload-{size}-{uuid.uuid4().hex[:6]}" for size in SIZES}
        times: dict[int, list[float]] = {size: [] for size in SIZES}
        async with worker:
            for size in SIZES:  # warm-up: starts each session (its first turn is larger)
                await lash.send(client, sids[size], _message(size, 0), policy=POLICY,
                                task_queue=queue)
            await asyncio.sleep(1.2)  # let the turn-index timer fire before the baseline
            before = {size: await _history_bytes(client, sids[size]) for size in SIZES}
            for n in range(1, turns + 1):
                for size in SIZES:
                    text = _message(size, n)
                    start = time.perf_counter()
                    await lash.send(client, sids[size], text, policy=POLICY, task_queue=queue)
                    times[size].append(time.perf_counter() - start)
            await asyncio.sleep(1.2)
            after = {size: await _history_bytes(client, sids[size]) for size in SIZES}
    await store.close()
    print(f"{turns} turns per size after a warm-up turn; payloads from 4 KiB by reference")
    print(f"{'message':>10}{'history B/turn':>16}{'median ms':>11}")
    for size in SIZES:
        per_turn = (after[size] - before[size]) / turns
        print(f"{size:>10,}{per_turn:>16,.0f}{statistics.median(times[size]) * 1e3:>11.1f}")
    small, large = (statistics.median(times[s]) for s in (SIZES[0], SIZES[-1]))
    print(f"1 MB against 100 B: {large / small:.2f}x the wall time "
          f"(+{(large - small) * 1e3:.1f} ms a turn)")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures (``python -m benchmarks payload`` runs it too)."""
    run_turns_benchmark(_bench, argv, prog="bench_payload", doc=__doc__, default_turns=10,
                        turns_help="measured turns per size")

if __name__ == "__main__":
    main()
