"""Session workflows on one dev server: history bytes and wall time per turn, and throughput.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_temporal [--turns 1000] [--texts chat|short]

Everything is measured in one run on one bundled dev server, against two baselines, so the
figures are ratios within one run, not absolute claims:

- "bare no-op activity": one no-op activity per update carrying the same ``TurnRequest`` and
  returning an outcome shaped like a plain turn's (orchestration alone);
- "bare chat": the smallest durable chat, one activity per update that takes the new message
  and returns the reply, which the update hands back to its caller, as a chat workflow does.

Both bare workflows continue as new by a session's rule (the server's suggestion, or its update
budget), so none drags a longer history than a session would. Every turn sends the same texts
to all of them: by default (``--texts chat``) the store benchmark's turn, a 200-character message
and a 400-character reply, so both a turn's fixed costs and its text are in the figures;
``--texts short`` sends "N: benchmark message" and a 63-character reply, where fixed costs are
nearly all there is. Printed:

- history bytes per turn (``history_size_bytes`` as the server counts it, per turn of the
  current run; median of the ten turns up to the mark) at turns 10, 100, 1,000 and, with
  ``--turns 10000``, 10,000;
- wall time per turn, lash and bare, each turn a plain update (update-with-start, which
  ``workflows.host.client.send`` uses, costs one more round trip), with the workflows' turns
  interleaved so a busy machine slows them alike. At turn 10: the median over ``--early-rounds``
  fresh sets of sessions of their turns 1-10 (one set's ten turns are too few to tell 1.2x from
  1.3x on a shared machine). At turn 1,000: the median of turns 991-1,000 of the long sessions;
- 200 sessions x 5 turns sent at once to one worker: turns per second and errors.

"lash (plain answers)" makes one model call per turn, as the bare workflows make one activity
call: that is the like-for-like row. "lash (demo script, tools)" runs the demo script, whose turns
call tools, run code and start a sub-agent (a child workflow) every fifth turn; it shows what
that work costs, not orchestration overhead.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client
    from temporalio.worker import Worker

    from activities.agent.providers import ProviderRegistry, ScriptedProvider
    from activities.contract import HeadRef, TurnOutcome, TurnPolicy, TurnRequest
    from benchmarks._texts import REPLY, USER
    from checkpoint.model import TokenLedgerEntry, TokenUsage, TurnReceipt
    from checkpoint.store import open_store
    from workflows.contract import SendInput, SessionInput, TurnReply
    from workflows.host import client as lash
    from workflows.host.devserver import dev_server
    from workflows.plugin import LashPlugin, LashWorkerPlugin

BENCH_KEY = b"bench-key"
BARE = "bare no-op activity"
BARE_CHAT = "bare chat"
PROGRESS_EVERY = 100
"""Turns between progress lines (on stderr) in a long run."""
HISTORY_MARKS = (10, 100, 1_000, 10_000)
"""Turns at which history bytes per turn are printed (those the run reaches)."""
UPDATES_PER_RUN = SessionInput.model_fields["max_updates_per_run"].get_default()
"""A session's update budget per run (the server allows 2,000)."""


@dataclass(frozen=True)
class Texts:
    """What every workflow of a run is sent and answers, turn after turn."""

    message: str
    reply: str

    def for_turn(self, n: int) -> str:
        """Turn ``n``'s message: numbered, so no two turns send the same text."""
        return f"{n}: {self.message}"


TEXTS = {
    "chat": Texts(USER, REPLY),
    "short": Texts("benchmark message",
                   "A plain answer with no tools, to time the orchestration itself."),
}
"""``--texts``: a short chat exchange (the store benchmark's turn), or next to no text."""


class BareActivities:
    """The bare workflows' activities: no work, the run's reply text."""

    def __init__(self, reply: str) -> None:
        self._reply = reply

    @activity.defn(name="bench.noop_turn")
    async def noop_turn(self, request: TurnRequest) -> TurnOutcome:
        """Hands back an outcome shaped like a plain lash turn's, with the run's reply."""
        n = request.turn_index
        usage = TokenUsage(input_tokens=40 + n, output_tokens=12, cached_input_tokens=0)
        return TurnOutcome(
            status="completed",
            receipt=TurnReceipt(head_revision=2 * n, checkpoint_ref=f"{n:064x}",
                                leaf_node_id=f"m{n:032x}"),
            turn_index=n, answer_excerpt=self._reply,
            usage_deltas=[TokenLedgerEntry(source="turn", model="scripted-demo", usage=usage)],
            model_calls=1,
        )

    @activity.defn(name="bench.chat_reply")
    async def chat_reply(self, text: str) -> str:
        """The model call of the smallest chat: the new message in, the reply out."""
        return self._reply


class _ContinuesAsNew:
    """What a lash session does to keep its history short, so that a baseline pays for it too:
    continue as new when the server suggests it or at a session's update budget, once no update
    is running (the benchmark sends one update at a time, so no update meets a closing run)."""

    def __init__(self, session_id: str, turn: int) -> None:
        self._turn = turn
        self._updates = 0

    async def _serve(self, session_id: str) -> None:
        await workflow.wait_condition(
            lambda: (workflow.info().is_continue_as_new_suggested()
                     or self._updates >= UPDATES_PER_RUN)
            and workflow.all_handlers_finished()
        )
        workflow.continue_as_new(args=[session_id, self._turn])


@workflow.defn(name="bench.bare_chat")
class BareChatWorkflow(_ContinuesAsNew):
    """The smallest durable chat: an activity per update takes the new message and returns the
    reply, which the update returns to its caller (written twice: activity and update result)."""

    @workflow.init
    def __init__(self, session_id: str, turn: int = 0) -> None:
        super().__init__(session_id, turn)

    @workflow.run
    async def run(self, session_id: str, turn: int = 0) -> None:
        await self._serve(session_id)

    @workflow.update(name="send")
    async def send(self, inp: SendInput) -> str:
        self._updates += 1
        answer: str = await workflow.execute_activity(
            "bench.chat_reply", inp.text, result_type=str,
            start_to_close_timeout=timedelta(minutes=1),
        )
        return answer


@workflow.defn(name="bench.bare")
class BareWorkflow(_ContinuesAsNew):
    """The baseline: one no-op activity per update, same input and output as a lash turn."""

    @workflow.init
    def __init__(self, session_id: str, turn: int = 0) -> None:
        super().__init__(session_id, turn)
        self._busy = False

    @workflow.run
    async def run(self, session_id: str, turn: int = 0) -> None:
        await self._serve(session_id)

    @workflow.update(name="send")
    async def send(self, inp: SendInput) -> TurnReply:
        self._updates += 1
        await workflow.wait_condition(lambda: not self._busy)
        self._busy, self._turn = True, self._turn + 1
        try:
            request = TurnRequest(
                session_id=workflow.info().workflow_id, turn_index=self._turn,
                turn_id=str(workflow.uuid4()), started_at=workflow.now(), user_text=inp.text,
                policy=TurnPolicy(), base=HeadRef(head_revision=self._turn),
            )
            outcome: TurnOutcome = await workflow.execute_activity(
                "bench.noop_turn", request, result_type=TurnOutcome,
                summary=f"turn {self._turn} · {inp.text[:60]}",
                start_to_close_timeout=timedelta(minutes=1),
            )
            return TurnReply.of(outcome)
        finally:
            self._busy = False


@dataclass
class Sample:
    turn: int
    history_bytes: int
    seconds: float


Drivers = dict[str, tuple[str, Callable[[int], Awaitable[None]]]]
"""label -> (workflow id, send turn n)."""


async def _history_size(client: Client, workflow_id: str) -> tuple[str, int]:
    info = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    execution = info.workflow_execution_info
    return execution.execution.run_id, execution.history_size_bytes


async def _drive(client: Client, sessions: Drivers, turns: int) -> dict[str, list[Sample]]:
    """Run ``turns`` turns on every workflow, interleaved turn by turn so that drift on a busy
    machine hits all of them alike; per turn, the history bytes it added and its wall time.

    The order rotates every round: a turn pays for the server work its predecessor left behind
    (visibility updates, a sub-agent's child workflow closing), so a fixed order would bill
    the demo session's aftermath to whichever workflow always came next."""
    report: dict[str, list[Sample]] = {label: [] for label in sessions}
    last = {label: await _history_size(client, wf) for label, (wf, _s) in sessions.items()}
    labels = list(sessions)
    for n in range(1, turns + 1):
        for i in range(len(labels)):
            label = labels[(n + i) % len(labels)]
            workflow_id, send = sessions[label]
            started = time.perf_counter()
            await send(n)
            seconds = time.perf_counter() - started
            run_id, size = await _history_size(client, workflow_id)
            old_run, old_size = last[label]
            grown = size - old_size if run_id == old_run else -1  # -1: continued as new
            report[label].append(Sample(n, grown, seconds))
            last[label] = (run_id, size)
        if turns >= PROGRESS_EVERY and n % PROGRESS_EVERY == 0:
            print(f"  turn {n:,} of {turns:,}", file=sys.stderr, flush=True)
    return report


def _at(samples: list[Sample], turn: int, window: int = 10) -> tuple[float, float]:
    """Median history bytes and seconds per turn over the ``window`` turns up to ``turn``."""
    chosen = [s for s in samples if turn - window < s.turn <= turn]
    sizes = [s.history_bytes for s in chosen if s.history_bytes >= 0]
    return statistics.median(sizes) if sizes else float("nan"), statistics.median(
        s.seconds for s in chosen
    )


async def _throughput(client: Client, queue: str, sessions: int, turns: int) -> tuple[float, int]:
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        sid = f"load-{i}-{uuid.uuid4().hex[:6]}"
        for n in range(turns):
            try:
                await lash.send(client, sid, f"load message {n}", task_queue=queue)
            except Exception as err:  # counted and printed, never hidden
                errors += 1
                print(f"  error in {sid}: {err}", file=sys.stderr)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(sessions)))
    elapsed = time.perf_counter() - started
    return sessions * turns / elapsed, errors


async def _sessions(client: Client, queue: str, texts: Texts, demo: bool) -> Drivers:
    """A fresh lash session per provider (the demo script's only if ``demo``) and a fresh bare
    workflow of each kind, each past its first turn (update-with-start for lash, which is not
    measured)."""
    drivers: Drivers = {}
    sessions = [("lash (demo script, tools)", "scripted")] if demo else []
    for label, provider in [*sessions, ("lash (plain answers)", "plain")]:
        sid = f"bench-{provider}-{uuid.uuid4().hex[:6]}"
        policy = TurnPolicy(provider=provider, model="scripted-demo")
        await lash.send(client, sid, texts.for_turn(0), task_queue=queue, policy=policy)

        async def send(n: int, sid: str = sid) -> None:
            # A plain update, the same call the bare workflow gets (sent again if refused
            # while the run continues as new, as every lash client does).
            await lash.send_to_running(client, sid, texts.for_turn(n))

        drivers[label] = (f"lash-session/{sid}", send)
    bare_id = f"bench-bare-{uuid.uuid4().hex[:6]}"
    await client.start_workflow(BareWorkflow.run, bare_id, id=bare_id, task_queue=queue)
    handle = client.get_workflow_handle_for(BareWorkflow.run, bare_id)  # whichever run is current

    async def bare(n: int) -> None:
        message = SendInput(text=texts.for_turn(n))
        _outcome = await handle.execute_update(BareWorkflow.send, message)

    await bare(0)
    drivers[BARE] = (bare_id, bare)
    chat_id = f"bench-bare-chat-{uuid.uuid4().hex[:6]}"
    await client.start_workflow(BareChatWorkflow.run, chat_id, id=chat_id, task_queue=queue)
    chat_handle = client.get_workflow_handle_for(BareChatWorkflow.run, chat_id)

    async def bare_chat(n: int) -> None:
        _answer = await chat_handle.execute_update(
            BareChatWorkflow.send, SendInput(text=texts.for_turn(n))
        )

    await bare_chat(0)
    drivers[BARE_CHAT] = (chat_id, bare_chat)
    return drivers


async def _bench(args: argparse.Namespace, workdir: Path) -> None:
    script = workdir / "plain.json"
    texts = TEXTS[args.texts]
    script.write_text(json.dumps([[{"text": texts.reply}]]))
    store = await open_store(f"sqlite:///{workdir / 'bench.db'}?synchronous={args.synchronous}")
    print(f"store: SQLite, synchronous={args.synchronous}; turns={args.turns}; turn-10 rounds: "
          f"{args.early_rounds}; load: {args.sessions} sessions x {args.session_turns} turns; "
          f"texts: {args.texts} ({len(texts.for_turn(1))}-character message, "
          f"{len(texts.reply)}-character reply)")
    providers = ProviderRegistry({
        "scripted": lambda: ScriptedProvider(None),
        "plain": lambda: _Plain(script),
    })
    async with dev_server() as env:
        client, queue = env.client, f"bench-{uuid.uuid4().hex[:6]}"
        plugins = [
            LashPlugin(),
            LashWorkerPlugin(store, providers=providers, execution_state_key=BENCH_KEY),
        ]
        bare = BareActivities(texts.reply)
        async with Worker(client, task_queue=queue, plugins=plugins,
                          activities=[bare.noop_turn, bare.chat_reply],
                          workflows=[BareWorkflow, BareChatWorkflow],
                          max_concurrent_activities=64):
            async def fresh() -> Drivers:
                return await _sessions(client, queue, texts, args.demo)

            early: dict[str, list[Sample]] = {}
            for _round in range(max(0, args.early_rounds - 1)):
                for label, samples in (await _drive(client, await fresh(),
                                                    min(10, args.turns))).items():
                    early.setdefault(label, []).extend(samples)
            report = await _drive(client, await fresh(), args.turns)
            for label, samples in report.items():
                early.setdefault(label, []).extend(s for s in samples if s.turn <= 10)
            _print_history(report, args.turns)
            _print_times(early, report, args.turns)
            rate, errors = await _throughput(client, queue, args.sessions, args.session_turns)
            print(f"\n{args.sessions} sessions x {args.session_turns} turns at once, one worker: "
                  f"{rate:.1f} turns/s, {errors} errors")
    await store.close()


class _Plain(ScriptedProvider):
    kind = "plain"


def _print_history(report: dict[str, list[Sample]], turns: int) -> None:
    points = [t for t in HISTORY_MARKS if t <= turns]
    print(f"\nhistory bytes per turn (server's history_size_bytes, current run), turns={turns}")
    print(f"  {'workflow':<28}" + "".join(f"{'turn ' + str(t):>14}" for t in points)
          + f"{'runs (CAN)':>12}")
    for label, samples in report.items():
        cans = sum(1 for s in samples if s.history_bytes < 0)
        print(f"  {label:<28}" + "".join(f"{_at(samples, t)[0]:>14.0f}" for t in points)
              + f"{cans + 1:>12}")
    for baseline in (BARE, BARE_CHAT):
        base = report[baseline]
        for label, samples in report.items():
            if label.startswith("lash"):
                ratios = [_at(samples, t)[0] / _at(base, t)[0] for t in points]
                print(f"  ratio {label} / {baseline}: "
                      + ", ".join(f"{r:.2f}x" for r in ratios))


def _print_times(
    early: dict[str, list[Sample]], report: dict[str, list[Sample]], turns: int
) -> None:
    """Median wall time per turn at turn 10 (pooled rounds) and at the last mark."""
    rounds = len(early[BARE]) // min(10, turns)
    late = 1000 if turns >= 1000 else None
    print(f"\nwall time per turn (turns interleaved; turn 10: median of turns 1-10 of {rounds} "
          f"sets of sessions" + ("; turn 1,000: median of turns 991-1,000)" if late else ")"))
    columns: dict[str, list[float]] = {}
    for label in report:
        columns[label] = [statistics.median(s.seconds for s in early[label])]
        if late:
            columns[label].append(_at(report[label], late)[1])
    names = ["turn 10"] + (["turn 1,000"] if late else [])
    for label, values in columns.items():
        cells = ", ".join(f"{n}: {v * 1000:.1f} ms" for n, v in zip(names, values, strict=True))
        print(f"  {label:<28} {cells}")
    for label, values in columns.items():
        if label != BARE:
            ratios = [v / b for v, b in zip(values, columns[BARE], strict=True)]
            print(f"  ratio {label} / bare: "
                  + ", ".join(f"{n}: {r:.2f}x" for n, r in zip(names, ratios, strict=True)))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures (``python -m benchmarks temporal`` runs it too)."""
    parser = argparse.ArgumentParser(prog="bench_temporal", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=1000, help="turns per measured session")
    parser.add_argument("--sessions", type=int, default=200, help="concurrent sessions")
    parser.add_argument("--session-turns", type=int, default=5,
                        help="turns per concurrent session")
    parser.add_argument("--early-rounds", type=int, default=5,
                        help="fresh sets of sessions whose turns 1-10 give the turn-10 time")
    parser.add_argument("--texts", choices=sorted(TEXTS), default="chat",
                        help="chat: a 200-character message and a 400-character reply a turn; "
                             "short: 'N: benchmark message' and a 63-character reply")
    parser.add_argument("--no-demo", dest="demo", action="store_false",
                        help="leave out the demo script's session, the slowest (half the wall "
                             "time of a --turns 10000 run)")
    parser.add_argument("--synchronous", choices=["full", "normal"], default="full",
                        help="SQLite durability: full fsyncs every commit; normal (WAL) survives "
                             "a killed process but may lose the last commits on power loss")
    args, _names = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="lash-bench-") as workdir:
        asyncio.run(_bench(args, Path(workdir)))


if __name__ == "__main__":
    main()
