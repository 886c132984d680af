"""Checkpoint store cost per turn, against LangGraph's SqliteSaver on the same conversation.

Workload: each turn adds one 200-character user message and one 400-character reply and one
usage delta. For session lengths 10, 1,000 and 10,000 turns (long sessions are built with large
batched commits, one usage row per turn, each length in its own SQLite file or PostgreSQL
schema), it prints:

- bytes written per turn (growth of the database: SQLite file after a WAL checkpoint;
  PostgreSQL relation sizes, dead row versions included) and commit latency p50/p99 of
  ``PER_TURN`` single-turn commits, timed round-robin across the lengths so that machine noise
  falls on all alike;
- "load the head" (``load_head``: head row, hydrated head checkpoint, merged ledger; no node
  read), median at each length, also round-robin: it should be flat;
- informational: loading the whole 1,000-turn conversation into a ``PersistedSessionState``
  (``load_session`` + ``state_from_read``), cold (every node validated) and with the store's
  node cache warm; and per node, validating its JSON against parsing it into plain dicts, next
  to LangGraph's ``get_state`` time per message.

LangGraph runs a ``MessagesState`` graph whose one node appends the reply, on a file
``SqliteSaver``; its ``get_state`` (which decodes the whole history) is timed at each length
(twice at 10,000 turns, where each call is slow). The ratio LangGraph ``get_state`` / our
``load_head`` at 1,000 turns is issue 4's head-load target (>= 2x).

PostgreSQL runs when LASH_BENCH_POSTGRES_URL or LASH_TEST_POSTGRES_URL is set (in a throw-away
schema). Figures are printed, never asserted; ratios are within one run.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._texts import REPLY, USER
from checkpoint._gc_pause import cyclic_gc_paused
from checkpoint.model import (
    Append,
    HydratedSessionCheckpoint,
    PersistedSessionConfig,
    PersistedTurnState,
    RuntimeCommit,
    SessionNodeRecord,
    TokenLedgerEntry,
    TokenUsage,
)
from checkpoint.store import CheckpointStore, make_store, state_from_read

LENGTHS = (10, 1_000, 10_000)
PER_TURN = 40
BATCH_TURNS = 500
LOAD_REPEATS = 15
LG_LOAD_REPEATS = {10: LOAD_REPEATS, 1_000: LOAD_REPEATS, 10_000: 2}
CONFIG = PersistedSessionConfig(
    provider_id="scripted", configured_model="bench", context_window=200_000,
    execution_mode="standard",
)
USAGE = TokenUsage(input_tokens=120, output_tokens=80, cached_input_tokens=0, reasoning_tokens=0)


def _node(node_id: str, parent: str | None, role: str, kind: str, text: str) -> dict[str, Any]:
    data: dict[str, Any] = {"node_id": node_id}
    if parent is not None:
        data["parent_node_id"] = parent
    data.update(timestamp="2026-05-19T09:12:03.512734+00:00", kind="event", event={
        "Conversation": {"id": node_id, "role": role, "parts": [
            {"id": f"{node_id}.p0", "kind": kind, "content": text, "prune_state": "Intact"}]}})
    return data


def turn_nodes(turn: int) -> list[SessionNodeRecord]:
    """The two nodes of turn ``turn`` (ids shaped like lash's ``m`` + 32 hex)."""
    user, reply = f"m{turn:016x}{'0' * 16}", f"m{turn:016x}{'1' * 16}"
    parent = f"m{turn - 1:016x}{'1' * 16}" if turn > 1 else None
    return [
        SessionNodeRecord.model_validate(_node(user, parent, "User", "Text", USER)),
        SessionNodeRecord.model_validate(_node(reply, user, "Assistant", "Prose", REPLY)),
    ]


NEW_JSON = sum(len(n.model_dump_json()) for n in turn_nodes(2))
"""Bytes of one turn's two new nodes as lash's JSON: what the turn adds to the session."""


def make_commit(session: str, first: int, last: int, expected: int | None) -> RuntimeCommit:
    nodes = [n for t in range(first, last + 1) for n in turn_nodes(t)]
    return RuntimeCommit(
        session_id=session, expected_head_revision=expected, config=CONFIG,
        graph=Append(nodes=nodes, leaf_node_id=nodes[-1].node_id),
        checkpoint=HydratedSessionCheckpoint(turn_state=PersistedTurnState(turn_index=last)),
        usage_deltas=[
            TokenLedgerEntry(source="turn", model="bench", usage=USAGE)
            for _ in range(first, last + 1)
        ],
        operation_id=f"{session}:{first}-{last}",
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Target:
    """One session of a given length in its own store (file or schema), so sizes are apart."""

    def __init__(self, store: CheckpointStore, size: Callable[[], Any], length: int) -> None:
        self.store, self._size, self.length = store, size, length
        self.session, self.revision, self.turn = f"s{length}", 0, length
        self.latencies: list[float] = []
        self.before = 0

    async def size(self) -> int:
        return int(await self._size())

    async def build(self) -> None:
        """Commit ``length`` turns in batches of BATCH_TURNS."""
        revision: int | None = None
        for first in range(1, self.length + 1, BATCH_TURNS):
            last = min(self.length, first + BATCH_TURNS - 1)
            receipt = await self.store.commit_runtime_state(
                make_commit(self.session, first, last, revision)
            )
            revision = receipt.head_revision
        self.revision = revision or 0

    async def one_turn(self) -> None:
        self.turn += 1
        commit = make_commit(self.session, self.turn, self.turn, self.revision)
        start = time.perf_counter()
        receipt = await self.store.commit_runtime_state(commit)
        self.latencies.append(time.perf_counter() - start)
        self.revision = receipt.head_revision

    async def load_state(self) -> tuple[float, float]:
        """Median time to load the whole conversation into a state: (cold, warm node cache)."""
        cold = await _load_state(self.store, self.session, clear=True)
        return cold, await _load_state(self.store, self.session, clear=False)

    async def load_head(self) -> float:
        """One ``load_head`` of the session (checked against the length), in seconds."""
        start = time.perf_counter()
        head = await self.store.load_head(self.session)
        elapsed = time.perf_counter() - start
        assert head is not None and head.graph_node_count >= 2 * self.length
        return elapsed


async def load_heads(targets: list[Target]) -> dict[int, float]:
    """Median ``load_head`` time per length, timed round-robin across the lengths."""
    times: dict[int, list[float]] = {t.length: [] for t in targets}
    for _ in range(LOAD_REPEATS):
        for t in targets:
            times[t.length].append(await t.load_head())
    return {n: statistics.median(v) for n, v in times.items()}


async def _load_state(store: CheckpointStore, session: str, clear: bool) -> float:
    times = []
    for _ in range(LOAD_REPEATS):
        if clear:
            store.node_cache.clear()
        start = time.perf_counter()
        read = await store.load_session(session)
        assert read is not None
        state_from_read(read)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def measure(targets: list[Target], settle: Callable[[], Any] | None) -> None:
    """Build every session, then time single-turn commits round-robin across them, so load
    on the machine falls on every length alike."""
    for target in targets:
        await target.build()
    if settle is not None:
        await settle()
    for target in targets:
        target.before = await target.size()
    for round_ in range(PER_TURN):
        for i in range(len(targets)):
            await targets[(round_ + i) % len(targets)].one_turn()


def sqlite_size(path: Path, store: CheckpointStore) -> Callable[[], Any]:
    async def size() -> int:
        backend: Any = store.backend
        await asyncio.to_thread(backend.conn.execute, "PRAGMA wal_checkpoint(TRUNCATE)")
        return path.stat().st_size + _wal(path)
    return size


def _wal(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def postgres_size(url: str) -> Callable[[], Any]:
    async def size() -> int:
        import psycopg

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            cur = await conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
            row = await cur.fetchone()
            return int(row[0]) if row else 0
    return size


def postgres_settle(url: str) -> Callable[[], Any]:
    """After a batched build: VACUUM ANALYZE, what autovacuum does to a long-lived database."""
    async def settle() -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("VACUUM ANALYZE")
    return settle


class LangGraph:
    """LangGraph's MessagesState graph with a node that appends the reply, on SqliteSaver."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        from langchain_core.messages import AIMessage
        from langgraph.checkpoint.sqlite import SqliteSaver
        from langgraph.graph import END, START, MessagesState, StateGraph

        self.path = path
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.saver = SqliteSaver(self.conn)

        def reply(state: MessagesState) -> dict[str, Any]:
            return {"messages": [AIMessage(content=REPLY)]}

        builder = StateGraph(MessagesState)
        builder.add_node("reply", reply)
        builder.add_edge(START, "reply")
        builder.add_edge("reply", END)
        self.graph = builder.compile(checkpointer=self.saver)

    def size(self) -> int:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size + _wal(self.path)

    def measure(self, length: int, per_turn: int) -> dict[str, float]:
        from langchain_core.messages import AIMessage, HumanMessage

        config: Any = {"configurable": {"thread_id": f"t{length}"}}
        history: list[Any] = []
        for _ in range(length):
            history += [HumanMessage(content=USER), AIMessage(content=REPLY)]
        self.graph.update_state(config, {"messages": history})
        before = self.size()
        latencies = []
        for _ in range(per_turn):
            start = time.perf_counter()
            self.graph.invoke({"messages": [HumanMessage(content=USER)]}, config)
            latencies.append(time.perf_counter() - start)
        grown = self.size() - before
        return {"bytes": grown / per_turn, "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99)}

    def get_state(self, length: int) -> float:
        """Median time of ``get_state`` on the thread of ``length`` turns."""
        config: Any = {"configurable": {"thread_id": f"t{length}"}}
        times = []
        for _ in range(LG_LOAD_REPEATS[length]):
            start = time.perf_counter()
            snapshot = self.graph.get_state(config)
            assert len(snapshot.values["messages"]) >= 2 * length
            times.append(time.perf_counter() - start)
        return statistics.median(times)


def _row(name: str, length: int, m: dict[str, float], new: float) -> None:
    """One length's figures; bytes also as a multiple of the turn's new text and new nodes."""
    size = (f"{m['bytes']:>12,.0f} B/turn ({m['bytes'] / new:6.2f}x text,"
            f" {m['bytes'] / NEW_JSON:6.2f}x node JSON)")
    print(f"  {name:<10} {length:>6} turns: {size}   commit p50 {m['p50'] * 1e3:7.2f} ms"
          f"  p99 {m['p99'] * 1e3:7.2f} ms", flush=True)


async def _ours(
    name: str, targets: list[Target], settle: Callable[[], Any] | None, new: float,
    results: dict[Any, Any],
) -> None:
    await measure(targets, settle)
    for t in targets:
        grown = await t.size() - t.before
        m = {"bytes": grown / PER_TURN, "p50": pct(t.latencies, 0.5),
             "p99": pct(t.latencies, 0.99)}
        results[(name, t.length)] = m
        _row(name, t.length, m, new)
    heads = await load_heads(targets)
    results[(name, "head")] = heads
    _heads_row(name, "load the head (load_head)", heads)
    cold, warm = await next(t for t in targets if t.length == 1_000).load_state()
    results[(name, "load")] = (cold, warm)
    print(f"  {name:<10} load the whole 1,000-turn conversation into a state (informational):"
          f" cold {cold * 1e3:.2f} ms, warm node cache {warm * 1e3:.2f} ms", flush=True)


def _heads_row(name: str, what: str, times: dict[int, float]) -> None:
    at = ", ".join(f"{n:,} turns {v * 1e3:.3f} ms" for n, v in times.items())
    print(f"  {name:<10} {what}: {at} (10,000 vs 10: x{times[10_000] / times[10]:.2f})",
          flush=True)


async def _run(tmp: Path) -> None:
    new_text = len(USER) + len(REPLY)
    new_json = NEW_JSON
    print(f"new content per turn: {new_text} characters of text, {new_json} bytes as node JSON;"
          f" {PER_TURN} timed commits per length", flush=True)
    results: dict[Any, Any] = {}
    targets = []
    for length in LENGTHS:
        path = tmp / f"ours-{length}.db"
        store = await make_store(f"sqlite:///{path}").setup()
        targets.append(Target(store, sqlite_size(path, store), length))
    await _ours("sqlite", targets, None, new_text, results)
    for t in targets:
        await t.store.close()

    pg_url = os.environ.get("LASH_BENCH_POSTGRES_URL") or os.environ.get("LASH_TEST_POSTGRES_URL")
    if pg_url:
        await _postgres(pg_url, new_text, results)
    else:
        print("  postgres: skipped (set LASH_BENCH_POSTGRES_URL or LASH_TEST_POSTGRES_URL)")

    lg = LangGraph(tmp / "langgraph.db")
    for length, per_turn in ((10, PER_TURN), (1_000, 10), (10_000, 3)):
        m = lg.measure(length, per_turn)
        results[("langgraph", length)] = m
        _row("langgraph", length, m, new_text)
    lg_states = {n: lg.get_state(n) for n in LENGTHS}
    _heads_row("langgraph", "get_state", lg_states)
    lg_load = lg_states[1_000]
    print("ratios (LangGraph / ours, higher is better for ours):")
    for name in ("sqlite", "postgres"):
        if (name, "load") not in results:
            continue
        head = results[(name, "head")][1_000]
        print(f"  {name}: load the head of the 1,000-turn session: x{lg_load / head:.1f}"
              " (LangGraph get_state / our load_head)")
        cold, warm = results[(name, "load")]
        print(f"  {name}: whole conversation into a state vs get_state at 1,000 turns"
              f" (informational): x{lg_load / cold:.2f} cold, x{lg_load / warm:.2f} warm")
        lg_bytes = {n: results[("langgraph", n)]["bytes"] for n in LENGTHS}
        ratio = {n: lg_bytes[n] / results[(name, n)]["bytes"] for n in LENGTHS}
        sizes = ", ".join(f"at {n:,}: x{r:.1f}" for n, r in ratio.items())
        print(f"  {name}: bytes/turn {sizes}")
        flat = results[(name, 10_000)]["p50"] / results[(name, 10)]["p50"]
        grow = results[(name, 10_000)]["bytes"] / results[(name, 10)]["bytes"]
        print(f"  {name}: 10,000 vs 10 turns: commit p50 x{flat:.2f}, bytes/turn x{grow:.2f}")
    validate, parse = node_parse_costs(1_000)
    print(f"per node of the 1,000-turn session (cold load), against get_state's "
          f"{lg_load / 2_000 * 1e6:.2f} us a message: validating its JSON into the model"
          f" {validate * 1e6:.2f} us, parsing it into plain dicts (pydantic_core.from_json)"
          f" {parse * 1e6:.2f} us", flush=True)


def node_parse_costs(turns: int) -> tuple[float, float]:
    """Seconds per node of the session's stored JSON: (validated into ``SessionNodeRecord``,
    parsed into plain dicts), best of ``LOAD_REPEATS`` with the cyclic GC paused, as a cold
    load pauses it. The second is the floor of any load that reads the JSON."""
    from pydantic_core import from_json

    texts = [n.model_dump_json() for t in range(1, turns + 1) for n in turn_nodes(t)]
    validate = SessionNodeRecord.__pydantic_validator__.validate_json

    def best(parse: Callable[[str], Any]) -> float:
        times = []
        for _ in range(LOAD_REPEATS):
            with cyclic_gc_paused():
                start = time.perf_counter()
                for text in texts:
                    parse(text)
                times.append(time.perf_counter() - start)
        return min(times) / len(texts)

    return best(validate), best(from_json)


async def _postgres(base_url: str, new: float, results: dict[str, Any]) -> None:
    import psycopg

    schemas = {n: f"lash_bench_{uuid.uuid4().hex[:8]}" for n in LENGTHS}
    async with await psycopg.AsyncConnection.connect(base_url, autocommit=True) as conn:
        for schema in schemas.values():
            await conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base_url else "?"
    urls = {n: f"{base_url}{sep}options=-csearch_path%3D{s}" for n, s in schemas.items()}
    targets = []
    try:
        for length, url in urls.items():
            store = await make_store(url).setup()
            targets.append(Target(store, postgres_size(url), length))
        await _ours("postgres", targets, postgres_settle(base_url), new, results)
    finally:
        for t in targets:
            await t.store.close()
        async with await psycopg.AsyncConnection.connect(base_url, autocommit=True) as conn:
            for schema in schemas.values():
                await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lash-bench-store-") as tmp:
        asyncio.run(_run(Path(tmp)))


if __name__ == "__main__":
    main()
