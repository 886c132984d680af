"""``lash-temporal show``: summary, usage and graph; the history figures Temporal reports."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from cli_harness import TEMPORAL, DevStack, run_cli

from workflows.host.devserver import HOST, free_port

pytestmark = pytest.mark.temporal


def _chat(stack: DevStack, session_id: str, workdir: Path, *messages: str) -> None:
    for text in messages:
        result = run_cli("chat", "--provider", "scripted",
                         session_id, text, cwd=workdir, env=stack.env())
        assert result.code == 0, result.err


def test_show_prints_summary_usage_and_graph(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """Turns, head, checkpoint, history figures, a usage table and the conversation tree."""
    _chat(dev_stack, session_id, workdir, "count my words", "keep a total")
    result = run_cli("show", session_id, cwd=workdir, env=dev_stack.env())
    assert result.code == 0, result.err
    out = result.out
    assert f"session {session_id} · workflow lash-session/{session_id} (running)" in out
    assert "  turns          2\n" in out
    assert "  head revision  " in out and "  head revision  none" not in out
    assert "  history        " in out and " events, " in out
    usage_rows = [line.split() for line in out.splitlines() if line.startswith("  turn ")]
    assert [row[:2] for row in usage_rows] == [["turn", "scripted-demo"]]
    assert "● you: count my words" in out
    assert "● agent: Let me count that for you. [calls word_count]" in out
    assert "● tool: [python result: 21]" in out
    tree = out.split("other branches)\n", 1)[1].splitlines()
    assert len(tree) == 8 and all(line.startswith("  ● ") for line in tree)  # one linear path


def _describe(stack: DevStack, session_id: str) -> dict[str, Any]:
    """``temporal workflow describe``'s execution info for the session."""
    described = subprocess.run(
        [str(TEMPORAL), "workflow", "describe", "--address", stack.address,
         "-w", f"lash-session/{session_id}", "--output", "json"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    info: dict[str, Any] = json.loads(described.stdout)["workflowExecutionInfo"]
    return info


def _await_published_turn_index(stack: DevStack, session_id: str, turn_index: int) -> None:
    """Wait until the session has upserted ``LashTurnIndex`` = ``turn_index``.

    Quick turns leave the index to a timer (at most a second later), whose events would land
    between ``show`` and ``describe``; once it is published the history stays still.
    """
    deadline = time.monotonic() + 30
    while True:
        fields = _describe(stack, session_id).get("searchAttributes", {}).get("indexedFields", {})
        published = fields.get("LashTurnIndex", {}).get("data")
        if published is not None and json.loads(base64.b64decode(published)) == turn_index:
            return
        assert time.monotonic() < deadline, f"LashTurnIndex still {published!r} after 30 s"
        time.sleep(0.2)


def test_show_json_reports_the_history_temporal_describe_reports(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """``show --json`` history length and size equal ``temporal workflow describe``'s."""
    _chat(dev_stack, session_id, workdir, "one", "two", "three")
    _await_published_turn_index(dev_stack, session_id, 3)
    result = run_cli("show", session_id, "--json", cwd=workdir, env=dev_stack.env())
    assert result.code == 0, result.err
    shown = json.loads(result.out)
    info = _describe(dev_stack, session_id)
    assert shown["history_length"] == int(info["historyLength"])
    assert shown["history_size_bytes"] == int(info["historySizeBytes"])
    assert shown["run_id"] == info["execution"]["runId"]
    assert shown["turn_index"] == 3
    assert shown["summary"]["turn_index"] == 3
    assert shown["head_revision"] == shown["summary"]["head_revision"]
    assert shown["checkpoint_ref"] == shown["summary"]["checkpoint_ref"]
    assert shown["usage"]["by_source"]["turn"]["total_tokens"] > 0
    # Every count of the prompt window, also those history leaves out (equal to the prompt's).
    prompt = shown["prompt"]
    assert (prompt["turns"], prompt["path_turns"]) == (3, 3)
    assert prompt["path_messages"] == prompt["messages"] > 0
    graph = shown["graph"]
    roots = [n for n in graph["nodes"] if n["parent_id"] is None]
    assert [n["role"] for n in roots] == ["User"] and graph["active_path"][0] == roots[0]["node_id"]
    assert graph["active_path"] == [n["node_id"] for n in graph["nodes"]]  # one linear path


def test_show_unknown_session_is_one_line_naming_it(dev_stack: DevStack, workdir: Path) -> None:
    """No workflow for the id: exit 1, the session id and the address in one line."""
    result = run_cli("show", "no-such-session", cwd=workdir, env=dev_stack.env())
    assert result.code == 1
    assert result.error_line() == (
        "lash-temporal: error: no session 'no-such-session' "
        f"(no workflow lash-session/no-such-session at {dev_stack.address})"
    )


def test_show_with_a_missing_store_file_says_so(
    dev_stack: DevStack, session_id: str, workdir: Path
) -> None:
    """A SQLite store URL that points nowhere is an error, not a silently empty new store."""
    _chat(dev_stack, session_id, workdir, "hi")
    missing = workdir / "elsewhere.db"
    result = run_cli("--store", f"sqlite:///{missing}", "show", session_id, cwd=workdir,
                     env=dev_stack.env())
    assert result.code == 1
    assert f"store sqlite:///{missing} does not exist" in result.error_line()
    assert not missing.exists()


def test_show_with_unreachable_server_is_one_line(workdir: Path, dev_stack: DevStack) -> None:
    """The server check comes first, with the address in the message."""
    address = f"{HOST}:{free_port()}"
    result = run_cli("--address", address, "show", "s", cwd=workdir, env=dev_stack.env())
    assert result.code == 1
    assert f"cannot reach Temporal at {address}" in result.error_line()
