"""Shared by the multi-process store tests and their child processes: deterministic commits,
a child launcher, and the consistency check a store must pass after any crash."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
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
    ToolState,
)
from checkpoint.store import CheckpointStore, merge_usage_rows

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CHILD = HERE / "store_child.py"
NODES_PER_COMMIT = 2
USAGE = TokenUsage(input_tokens=12, output_tokens=4, cached_input_tokens=1, reasoning_tokens=2)
CONFIG = PersistedSessionConfig(
    provider_id="scripted", configured_model="m", context_window=1000, execution_mode="standard"
)


def node(node_id: str, parent: str | None, text: str) -> SessionNodeRecord:
    data: dict[str, Any] = {"node_id": node_id, "timestamp": "2026-05-19T09:12:03+00:00"}
    if parent is not None:
        data["parent_node_id"] = parent
    data["kind"] = "event"
    data["event"] = {"Conversation": {"id": node_id, "role": "User", "parts": [
        {"id": f"{node_id}.p0", "kind": "Text", "content": text, "prune_state": "Intact"}]}}
    return SessionNodeRecord.model_validate(data)


def turn_commit(session_id: str, n: int) -> RuntimeCommit:
    """The n-th commit of a crash-test session: always the same content for the same n."""
    parent = f"a{n - 1}" if n > 1 else None
    text = f"turn {n} " + "x" * 200
    tool = ToolState.model_validate({"generation": n, "tools": {}}) if n % 5 == 0 else None
    previous_tool = ToolState.model_validate({"generation": n - n % 5, "tools": {}})
    from checkpoint.blobs import blob_ref

    return RuntimeCommit(
        session_id=session_id,
        expected_head_revision=n - 1 if n > 1 else None,
        config=CONFIG,
        graph=Append(nodes=[node(f"u{n}", parent, text), node(f"a{n}", f"u{n}", text)],
                     leaf_node_id=f"a{n}"),
        checkpoint=HydratedSessionCheckpoint(
            turn_state=PersistedTurnState(turn_index=n),
            tool_state=tool,
            tool_state_ref=None if tool or n < 5 else blob_ref(previous_tool),
            execution_state=bytes([n % 256]) * 64,
        ),
        usage_deltas=[TokenLedgerEntry(source="turn", model="m", usage=USAGE)],
        operation_id=f"op{n}",
    )


async def check_consistent(store: CheckpointStore, session_id: str) -> int:
    """Everything a head says must be there, exactly once. Returns the head revision."""
    read = await store.load_session(session_id)
    if read is None:
        return 0
    revision = read.head_revision
    assert [n.node_id for n in read.graph.nodes] == [
        f"{kind}{n}" for n in range(1, revision + 1) for kind in ("u", "a")
    ]
    assert read.graph.leaf_node_id == f"a{revision}"
    assert read.checkpoint is not None and read.checkpoint.turn_state.turn_index == revision
    assert read.checkpoint.execution_state == bytes([revision % 256]) * 64
    assert len(read.token_ledger) == 1
    assert read.token_ledger[0].usage.input_tokens == USAGE.input_tokens * revision
    assert read.token_ledger == merge_usage_rows(await store.backend.read_usage(session_id))
    head = await store.load_head(session_id)
    assert head is not None and head.head_revision == revision
    assert (head.checkpoint, head.token_ledger) == (read.checkpoint, read.token_ledger)
    for n in (1, revision):
        receipt = await store.load_receipt(session_id, f"op{n}")
        assert receipt is not None and receipt.head_revision == n
    assert await store.load_receipt(session_id, f"op{revision + 1}") is None
    return revision


def spawn(*args: str) -> subprocess.Popen[str]:
    """A child process running ``store_child.py`` with the repository importable."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args], cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


async def read_line(proc: subprocess.Popen[str], timeout: float = 60.0) -> dict[str, Any]:
    """The child's next JSON line (bounded wait)."""
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout)
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        raise AssertionError(f"child exited early: {err[-2000:]}")
    parsed: dict[str, Any] = json.loads(line)
    return parsed
