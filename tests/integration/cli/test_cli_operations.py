"""``show --format mermaid|dot``, ``sessions`` and ``gc --dry-run`` against a real dev stack.

The demo script's turn 4 spawns a sub-agent; a branch is then added through the store API (an
alternate user message under the first answer, the leaf left where it was), so the diagrams hold
the active path, another branch and a child session linked from its spawning tool call.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from cli_harness import DevStack, run_cli

from checkpoint.model import Append, RuntimeCommit
from checkpoint.store import open_store
from tests.unit.cli._diagram_checks import check_dot, check_mermaid
from tests.unit.store.store_fixtures import message_node

pytestmark = pytest.mark.temporal


async def _add_branch(store_url: str, session_id: str) -> None:
    store = await open_store(store_url)
    try:
        read = await store.load_session(session_id)
        assert read is not None and read.checkpoint is not None
        first_answer = next(n for n in read.graph.nodes
                            if (m := n.message()) is not None and m.role == "Assistant")
        node = message_node("branch-1", first_answer.node_id, 'what if "we" <tried> #2?')
        await store.commit_runtime_state(RuntimeCommit(
            session_id=session_id, expected_head_revision=read.head_revision,
            config=read.config, checkpoint=read.checkpoint, usage_deltas=[],
            graph=Append(nodes=[node], leaf_node_id=read.graph.leaf_node_id),
            operation_id=f"{session_id}/test-branch",
        ))
    finally:
        await store.close()


def _ok(stack: DevStack, workdir: Path, *args: str) -> str:
    result = run_cli(*args, cwd=workdir, env=stack.env())
    assert result.code == 0, result.err
    return result.out


def test_diagrams_sessions_and_a_dry_run_gc_on_a_session_with_a_branch_and_a_child(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """The exports parse and draw the branch and the linked child; ``sessions`` lists the child
    under its parent; ``gc --dry-run`` leaves every blob row in place."""
    for n in range(1, 5):
        _ok(dev_stack, workdir, "chat", "--provider", "scripted", session_id, f"turn {n}")
    asyncio.run(_add_branch(dev_stack.store_url, session_id))

    mermaid = check_mermaid(_ok(dev_stack, workdir, "show", session_id, "--format", "mermaid",
                                "--all"))
    arrows = [arrow for _, _, arrow in mermaid.edges]
    assert "==>" in arrows and "-->" in arrows  # the active path and the other branch
    assert any("#34;we#34; #60;tried#62; #35;2?" in label for label in mermaid.nodes.values())
    [title] = mermaid.subgraphs
    [(spawner, _, link)] = [e for e in mermaid.edges if e[1] == "c0"]
    assert link.startswith('-.->|"') and "calls" in mermaid.nodes[spawner]

    dot = check_dot(_ok(dev_stack, workdir, "show", session_id, "--format", "dot", "--all"))
    assert len(dot.nodes) == len(mermaid.nodes) and len(dot.subgraphs) == 1

    [child] = json.loads(_ok(dev_stack, workdir, "sessions", "--parent", session_id, "--json"))
    assert title == f"sub-agent {child['session_id']}"
    assert child["relation"] == "child" and child["turn_index"] >= 1
    listed = _ok(dev_stack, workdir, "sessions", "--since", "1h", "--limit", "50")
    assert any(line.split()[0] == session_id for line in listed.splitlines()[1:])

    db = dev_stack.store_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*), sum(length(content)) FROM lash_blobs").fetchone()
    out = _ok(dev_stack, workdir, "gc", "--dry-run")
    assert "dry run, nothing deleted" in out
    with sqlite3.connect(db) as conn:
        after = conn.execute("SELECT count(*), sum(length(content)) FROM lash_blobs").fetchone()
    assert after == before
