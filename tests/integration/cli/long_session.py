"""Long sessions written straight into a SQLite store, for ``show`` at 1,000 and 10,000 turns.

Driving 10,000 turns through Temporal takes many minutes; ``show`` reads the graph from the
store, so the tests give a real session (one turn through the dev stack, for its workflow) a
store of their own that holds ``turns`` turns, committed in batches through the store API.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

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
from checkpoint.store import open_store

BATCH = 500
QUESTION = "How many words are in this sentence about durable agent sessions on Temporal?"
ANSWER = "Let me count that for you: the sentence has thirteen words, and the session goes on."
CONFIG = PersistedSessionConfig(
    provider_id="scripted", configured_model="scripted-demo", context_window=200_000,
    execution_mode="standard",
)
USAGE = TokenUsage(input_tokens=120, output_tokens=30, cached_input_tokens=0, reasoning_tokens=0)


def _node(node_id: str, parent: str | None, role: str, text: str) -> SessionNodeRecord:
    data: dict[str, Any] = {"node_id": node_id}
    if parent is not None:
        data["parent_node_id"] = parent
    data.update(timestamp=f"2026-05-19T09:12:03.{int(node_id[1:], 16) % 10**6:06d}+00:00",
                kind="event", event={"Conversation": {"id": node_id, "role": role, "parts": [
                    {"id": f"{node_id}.p0", "kind": "Text", "content": text,
                     "prune_state": "Intact"}]}})
    return SessionNodeRecord.model_validate(data)


def _turn(turn: int) -> list[SessionNodeRecord]:
    user, reply = f"m{turn:016x}{'0' * 16}", f"m{turn:016x}{'1' * 16}"
    parent = f"m{turn - 1:016x}{'1' * 16}" if turn > 1 else None
    return [_node(user, parent, "User", f"{QUESTION} ({turn})"),
            _node(reply, user, "Assistant", f"{ANSWER} ({turn})")]


async def _build(path: Path, session_id: str, turns: int) -> None:
    store = await open_store(f"sqlite:///{path}")
    try:
        revision: int | None = None
        for first in range(1, turns + 1, BATCH):
            last = min(turns, first + BATCH - 1)
            nodes = [n for t in range(first, last + 1) for n in _turn(t)]
            receipt = await store.commit_runtime_state(RuntimeCommit(
                session_id=session_id, expected_head_revision=revision, config=CONFIG,
                graph=Append(nodes=nodes, leaf_node_id=nodes[-1].node_id),
                checkpoint=HydratedSessionCheckpoint(
                    turn_state=PersistedTurnState(turn_index=last)
                ),
                usage_deltas=[TokenLedgerEntry(source="turn", model="scripted-demo", usage=USAGE)
                              for _ in range(first, last + 1)],
                operation_id=f"{session_id}:{first}-{last}",
            ))
            revision = receipt.head_revision
    finally:
        await store.close()


def build_long_session(path: Path, session_id: str, turns: int) -> str:
    """A SQLite store at ``path`` holding ``turns`` turns of ``session_id``; its URL."""
    asyncio.run(_build(path, session_id, turns))
    return f"sqlite:///{path.resolve()}"
