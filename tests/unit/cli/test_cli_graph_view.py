"""``show``'s graph view: flat, linear, no recursion; the text summary prints the last turns."""

from __future__ import annotations

import io
import json
from typing import Any

from checkpoint.model import SessionGraph, SessionNodeRecord
from workflows.host.cli._graph_view import MessageGraph
from workflows.host.cli._render import is_fold_line, tree_lines
from workflows.host.cli._show import graph_lines
from workflows.host.cli._show_json import write_json_graph, write_json_head

STAMP = "2026-05-19T09:12:03.{:06d}+00:00"


def _message(node_id: str, parent: str | None, role: str, text: str, n: int) -> dict[str, Any]:
    data: dict[str, Any] = {"node_id": node_id, "timestamp": STAMP.format(n), "kind": "event",
                            "event": {"Conversation": {"id": node_id, "role": role, "parts": [
                                {"id": f"{node_id}.p", "kind": "Text", "content": text,
                                 "prune_state": "Intact"}]}}}
    if parent is not None:
        data["parent_node_id"] = parent
    return data


def _chain(turns: int) -> SessionGraph:
    """``turns`` user/agent pairs in one chain."""
    nodes: list[SessionNodeRecord] = []
    parent: str | None = None
    for t in range(turns):
        for role in ("User", "Assistant"):
            node_id = f"{role[0]}{t}"
            nodes.append(SessionNodeRecord.model_validate(
                _message(node_id, parent, role, f"{role} says {t}", len(nodes))))
            parent = node_id
    return SessionGraph.from_nodes(nodes, parent)


def test_a_chain_far_past_the_recursion_limit_renders_and_dumps() -> None:
    """20,000 messages in one chain: text and JSON both work, JSON parses, parents are flat."""
    view = MessageGraph.of(_chain(10_000))
    lines = list(tree_lines(view))
    assert len(lines) == 20_000 and lines[-1] == "● agent: Assistant says 9999"
    out = io.StringIO()
    write_json_head({"session_id": "s"}, out)
    write_json_graph(view, out)
    data = json.loads(out.getvalue())
    nodes = data["graph"]["nodes"]
    assert len(nodes) == 20_000 and data["graph"]["active_path"][-1] == "A9999"
    assert nodes[1] == {"node_id": "A0", "parent_id": "U0", "role": "Assistant",
                        "text": "Assistant says 0", "timestamp": STAMP.format(1)}


def test_last_turns_start_at_the_nth_last_user_message_and_keep_later_branches() -> None:
    """The cut is a turn start on the active path; a fork after it stays visible."""
    graph = _chain(5)
    graph.branch_to("U4")
    graph.append_message(SessionNodeRecord.model_validate(
        _message("B", "U4", "Assistant", "another answer", 99)).message())  # type: ignore[arg-type]
    view = MessageGraph.of(graph)
    start = view.last_turns_root(2)
    assert start == "U3" and view.turn_count() == 5
    assert view.last_turns_root(5) is None and view.last_turns_root(9) is None
    assert list(tree_lines(view, start)) == [
        "● you: User says 3",
        "● agent: Assistant says 3",
        "● you: User says 4",
        "├─ ○ agent: Assistant says 4",
        "└─ ● agent: another answer",
    ]


def test_an_empty_graph_is_valid_json() -> None:
    """No head yet: the graph field is there, empty."""
    out = io.StringIO()
    write_json_head({}, out)
    write_json_graph(None, out)
    assert json.loads(out.getvalue())["graph"]["nodes"] == []


def _rewound(turns: int, to_turn: int) -> SessionGraph:
    """``turns`` turns, then a rewind to the end of turn ``to_turn`` and one new turn."""
    graph = _chain(turns)
    graph.branch_to(f"A{to_turn - 1}")
    for i, role in enumerate(("User", "Assistant")):
        graph.append_message(SessionNodeRecord.model_validate(_message(
            f"N{role[0]}", None, role, f"new {role}", 900_000 + i)).message())  # type: ignore[arg-type]
    return graph


def test_a_long_old_branch_is_cut_to_its_first_messages_and_counts_the_rest() -> None:
    """A rewind from turn 300 to turn 2: the old 298 turns show as four messages and a count;
    the active path is whole; without a cut, every message prints."""
    view = MessageGraph.of(_rewound(300, 2))
    lines = list(tree_lines(view, None, 4))
    assert lines == [
        "● you: User says 0",
        "● agent: Assistant says 0",
        "● you: User says 1",
        "● agent: Assistant says 1",
        "├─ ○ you: User says 2",
        "│  ○ agent: Assistant says 2",
        "│  ○ you: User says 3",
        "│  ○ agent: Assistant says 3",
        "│  … 592 more messages on this branch",
        "└─ ● you: new User",
        "   ● agent: new Assistant",
    ]
    assert [is_fold_line(line) for line in lines].count(True) == 1
    assert len(list(tree_lines(view))) == len(view.nodes) == 602


def test_a_branch_no_longer_than_the_cut_prints_whole() -> None:
    """Cut at exactly the branch's length: nothing is left out, so no count line."""
    view = MessageGraph.of(_rewound(4, 2))
    lines = list(tree_lines(view, None, 4))
    assert len(lines) == len(view.nodes) and not any(map(is_fold_line, lines))
    assert sum(1 for line in tree_lines(view, None, 3) if is_fold_line(line)) == 1


def test_the_text_view_counts_only_the_messages_it_prints() -> None:
    """``show``'s header counts message lines, not the count line, and says branches were cut."""
    view = MessageGraph.of(_rewound(300, 2))
    header, *tree = list(graph_lines(view, last_turns=20))[1:]
    assert header.startswith("graph (showing 10 of 602 messages: all 3 turns, other branches cut "
                             "to 4 messages, --all shows every message")
    assert len(tree) == 11
    header, *tree = list(graph_lines(view, last_turns=None))[1:]
    assert header.startswith("graph (602 messages;") and len(tree) == 602
