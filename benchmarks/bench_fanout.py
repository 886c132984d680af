"""Fan-out on one dev server: one parent turn that spawns 20 sub-agents, against bare children.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_fanout [--children 20] [--rounds 5]

Everything runs in one process on one bundled dev server; the figures are ratios within one run:

- wall time of one lash turn whose first model step calls ``spawn_agent`` ``--children`` times
  (scripted; each child answers at once, the parent's second step answers), sent with
  ``workflows.host.client.send`` to a fresh session; against a bare parent workflow that starts as
  many bare children in parallel, each running one no-op activity (``benchmarks._bare_fanout``).
  The two are interleaved, alternating which goes first; median over ``--rounds`` after one
  warm-up of each;
- the parent's history bytes for one fan-out turn (the server's ``history_size_bytes`` before
  and after the turn), per child: the target is refs only, under 2 KB a child, whatever the
  size of the snapshot the children start from. Measured on a session with a small snapshot
  (its second turn) and on one whose earlier turns carried ``--big-turns`` messages of about
  30 KB each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from activities.contract import TurnPolicy
from benchmarks._bare_fanout import BareChild, BareParent, noop
from checkpoint.store import open_store
from workflows.host import client as lash
from workflows.host.devserver import dev_server
from workflows.host.worker import build_worker

BENCH_KEY = b"bench-key"
CHILD_TURNS = [[{"text": "child answer"}]]
BIG_TEXT = ("A long message that makes the session's snapshot large. " * 600)[:30_000]


def _fanout_turn(children: int) -> list[dict[str, Any]]:
    calls = [{"name": "spawn_agent", "args": {"task": f"Sub-task number {i}: answer at once."}}
             for i in range(children)]
    return [{"tool_calls": calls}, {"text": "done"}]


class _Late(ScriptedProvider):
    """Plain answers for ``--big-turns`` turns, then the fan-out turn."""

    kind = "late"


async def _history(client: Client, workflow_id: str) -> tuple[str, int, int]:
    """Run id, history bytes and event count of the workflow's current run."""
    info = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    execution = info.workflow_execution_info
    return execution.execution.run_id, execution.history_size_bytes, execution.history_length


async def _fanout_bytes(client: Client, sid: str, text: str) -> tuple[int, Counter[str]]:
    """History bytes the parent's run grew by during one turn (-1 if it continued as new), and
    the turn's event bytes by event type."""
    run_before, before, events_before = await _history(client, f"lash-session/{sid}")
    outcome = await lash.send_to_running(client, sid, text)
    assert outcome.answer_excerpt == "done", outcome
    run_after, after, _ = await _history(client, f"lash-session/{sid}")
    if run_after != run_before:
        return -1, Counter()
    by_type: Counter[str] = Counter()
    history = await client.get_workflow_handle(f"lash-session/{sid}").fetch_history()
    for event in history.events:
        if event.event_id > events_before:
            by_type[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")] += (
                event.ByteSize()
            )
    return after - before, by_type


async def _bench(args: argparse.Namespace, workdir: Path) -> None:
    fan = workdir / "fanout.json"
    fan.write_text(json.dumps({"turns": [_fanout_turn(args.children)],
                               "child_turns": CHILD_TURNS}))
    late = workdir / "late.json"
    late.write_text(json.dumps({
        "turns": [[{"text": "noted"}]] * args.big_turns + [_fanout_turn(args.children)],
        "child_turns": CHILD_TURNS,
    }))
    providers = ProviderRegistry({
        "scripted": lambda: ScriptedProvider(fan),
        "late": lambda: _Late(late),
    })
    store = await open_store(f"sqlite:///{workdir / 'bench.db'}")
    print(f"children per turn: {args.children}; rounds: {args.rounds} (+1 warm-up); "
          f"big session: {args.big_turns} earlier turns of {len(BIG_TEXT):,} chars")
    async with dev_server() as env:
        client = env.client
        lash_queue, bare_queue = (f"bench-{k}-{uuid.uuid4().hex[:6]}" for k in ("lash", "bare"))
        lash_worker = build_worker(client, store, task_queue=lash_queue, providers=providers,
                                   execution_state_key=BENCH_KEY)
        bare_worker = Worker(client, task_queue=bare_queue, workflows=[BareParent, BareChild],
                             activities=[noop], max_concurrent_activities=64)
        async with lash_worker, bare_worker:
            last_sid, last_bare = "", ""

            async def lash_round() -> float:
                nonlocal last_sid
                last_sid = f"bench-fan-{uuid.uuid4().hex[:6]}"
                started = time.perf_counter()
                outcome = await lash.send(client, last_sid, "fan out", task_queue=lash_queue)
                seconds = time.perf_counter() - started
                assert outcome.answer_excerpt == "done", outcome
                return seconds

            async def bare_round() -> float:
                nonlocal last_bare
                last_bare = f"bench-bare-{uuid.uuid4().hex[:6]}"
                started = time.perf_counter()
                answers = await client.execute_workflow(
                    BareParent.run, args.children, id=last_bare, task_queue=bare_queue
                )
                seconds = time.perf_counter() - started
                assert len(answers) == args.children
                return seconds

            rounds = {"lash": lash_round, "bare": bare_round}
            times: dict[str, list[float]] = {label: [] for label in rounds}
            for r in range(args.rounds + 1):
                order = list(rounds) if r % 2 else list(reversed(rounds))
                for label in order:
                    seconds = await rounds[label]()
                    if r:  # round 0 warms up the workers and the server
                        times[label].append(seconds)
            _print_times(times, args.children)

            small = await _fanout_bytes(client, last_sid, "fan out again")
            big_sid = f"bench-big-{uuid.uuid4().hex[:6]}"
            policy = TurnPolicy(provider="late")
            await lash.send(client, big_sid, BIG_TEXT, task_queue=lash_queue, policy=policy)
            for _ in range(args.big_turns - 1):
                await lash.send_to_running(client, big_sid, BIG_TEXT)
            big = await _fanout_bytes(client, big_sid, "fan out now")
            _, bare, _ = await _history(client, last_bare)
            _print_bytes(args, small[0], big[0], bare)
            _print_breakdown(big[1], args.children)
    await store.close()


def _print_times(times: dict[str, list[float]], children: int) -> None:
    lash_s, bare_s = statistics.median(times["lash"]), statistics.median(times["bare"])
    print(f"\nwall time of one turn spawning {children} children in parallel "
          f"(median of {len(times['lash'])} interleaved rounds)")
    for label, samples in times.items():
        cells = ", ".join(f"{s * 1000:.0f}" for s in samples)
        print(f"  {label:<5} median {statistics.median(samples) * 1000:7.0f} ms  (rounds: {cells})")
    print(f"  ratio lash / bare: {lash_s / bare_s:.2f}x")


def _print_bytes(args: argparse.Namespace, small: int, big: int, bare: int) -> None:
    """Per child: the lash turn's growth, and the bare parent's whole history for reference."""
    print(f"\nparent history bytes for one fan-out turn (history_size_bytes after - before), "
          f"per child of {args.children}; target < 2,048")
    rows = (("lash, small snapshot (its turn 2)", small),
            (f"lash, big snapshot (after {args.big_turns} x 30 KB turns)", big),
            ("bare parent, its whole history", bare))
    for label, grown in rows:
        cell = "continued as new" if grown < 0 else f"{grown / args.children:,.0f} B per child"
        print(f"  {label:<46} {cell}  (in all: {grown:,} B)")


def _print_breakdown(by_type: Counter[str], children: int) -> None:
    """Where the big-snapshot turn's bytes go (events' own sizes, so the sum differs a little
    from the server's count)."""
    print("  big-snapshot turn by event type (bytes per child):")
    for name, size in by_type.most_common(8):
        print(f"    {name:<44} {size / children:7,.0f}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures (``python -m benchmarks fanout`` runs it too)."""
    parser = argparse.ArgumentParser(prog="bench_fanout", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=20, help="sub-agents per turn")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each")
    parser.add_argument("--big-turns", type=int, default=10,
                        help="30 KB turns before the big session's fan-out turn")
    args, _names = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="lash-bench-") as workdir:
        asyncio.run(_bench(args, Path(workdir)))


if __name__ == "__main__":
    main()
