"""``lash-temporal show``: the relation, and descendant sessions with status and usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_harness import DevStack, run_cli

pytestmark = pytest.mark.temporal


def _show(stack: DevStack, workdir: Path, session_id: str, *flags: str) -> str:
    result = run_cli("show", session_id, *flags, cwd=workdir, env=stack.env())
    assert result.code == 0, result.err
    return result.out


def _shown(stack: DevStack, workdir: Path, session_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(_show(stack, workdir, session_id, "--json"))
    return shown


def test_show_lists_the_sub_agent_and_its_relation(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """After the demo's turn 4 the root lists its completed child; the child names its parent."""
    for n in range(1, 5):
        result = run_cli("chat", "--provider", "scripted",
                         session_id, f"turn {n}", cwd=workdir, env=dev_stack.env())
        assert result.code == 0, result.err
    root = _shown(dev_stack, workdir, session_id)
    assert root["relation"] == "root" and root["meta"]["relation"] == {"kind": "root"}
    [child] = root["descendants"]
    assert child["parent_session_id"] == session_id and child["depth"] == 1
    assert child["status"] == "completed"
    assert child["session_name"] == "Summarise our conversation so far."
    own = _shown(dev_stack, workdir, child["session_id"])
    assert child["usage"] == own["usage"]["usage"] and child["usage"]["total_tokens"] > 0
    call = child["originating_tool_call_id"]
    assert own["relation"] == f"child of {session_id} via tool call {call}"
    assert own["descendants"] == []

    text = _show(dev_stack, workdir, session_id)
    assert "  relation       root\n" in text
    tokens = f"{child['usage']['total_tokens']:,}"
    assert (
        f"descendants (1)\n  └ {child['session_id']} · completed · {tokens} tokens · "
        "Summarise our conversation so far.\n"
    ) in text
    child_text = _show(dev_stack, workdir, child["session_id"])
    assert f"  relation       child of {session_id} via tool call {call}\n" in child_text
    assert "descendants (0)\n  (none)\n" in child_text
