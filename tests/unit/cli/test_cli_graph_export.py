"""``show --format mermaid|dot``: a branch and a sub-agent drawn, the output well formed."""

from __future__ import annotations

from typing import Any

from checkpoint.model import ChildRelation, SessionGraph, SessionMeta, SessionNodeRecord
from tests.unit.cli._diagram_checks import check_dot, check_mermaid
from workflows.host.cli._graph_export import Descendant, dot_lines, mermaid_lines
from workflows.host.cli._graph_view import MessageGraph

STAMP = "2026-05-19T09:12:03.{:06d}+00:00"
NASTY = 'say "hi" <b>#1</b> | [x] {y} `z` \\ end\nnext'


def _node(node_id: str, parent: str | None, role: str, n: int, parts: list[dict[str, Any]]) -> (
    SessionNodeRecord
):
    data: dict[str, Any] = {"node_id": node_id, "timestamp": STAMP.format(n), "kind": "event",
                            "event": {"Conversation": {"id": node_id, "role": role,
                                                       "parts": parts}}}
    if parent is not None:
        data["parent_node_id"] = parent
    return SessionNodeRecord.model_validate(data)


def _text(node_id: str, text: str) -> list[dict[str, Any]]:
    return [{"id": f"{node_id}.p", "kind": "Text", "content": text, "prune_state": "Intact"}]


def _graph() -> MessageGraph:
    """u0 -> a0 (calls a tool, call-1) -> u1 -> a1, and a branch u0 -> u1b -> a1b (the leaf)."""
    call = [{"id": "a0.c", "kind": "ToolCall", "content": "{}", "tool_call_id": "call-1",
             "tool_name": "spawn_agent", "prune_state": "Intact"}]
    nodes = [
        _node("u0", None, "User", 0, _text("u0", NASTY)),
        _node("a0", "u0", "Assistant", 1, call),
        _node("u1", "a0", "User", 2, _text("u1", "first try")),
        _node("a1", "u1", "Assistant", 3, _text("a1", "answer")),
        _node("u1b", "u0", "User", 4, _text("u1b", "second try")),
        _node("a1b", "u1b", "Assistant", 5, _text("a1b", "better answer")),
    ]
    return MessageGraph.of(SessionGraph.from_nodes(nodes, "a1b"))


def _family() -> list[Descendant]:
    def meta(sid: str, parent: str, call: str | None) -> SessionMeta:
        return SessionMeta(session_id=sid, session_name=f'task "{sid}"', created_at="unix:1",
                           model="m", relation=ChildRelation(parent_session_id=parent,
                                                             originating_tool_call_id=call))
    return [Descendant(meta("kid", "root", "call-1"), "root"),
            Descendant(meta("grandkid", "kid", "call-9"), "kid")]


def test_mermaid_declares_each_message_once_and_links_the_sub_agent_to_its_call() -> None:
    """Header, one node per message, edges between declared nodes, the active path bold
    (``==>``), the branch thin, escaped labels, and dashed links to the descendants."""
    text = "\n".join(mermaid_lines("root", _graph(), _family()))
    found = check_mermaid(text)
    messages = {k: v for k, v in found.nodes.items() if k.startswith("n")}
    assert len(messages) == 6 and len(found.subgraphs) == 2
    arrows = sorted(arrow for _, _, arrow in found.edges)
    assert arrows.count("==>") == 2 and arrows.count("-->") == 3
    spawner = next(k for k, v in messages.items() if "calls spawn_agent" in v)
    assert (spawner, "c0", '-.->|"call-1"|') in found.edges
    assert ("c0", "c1", '-.->|"call-9"|') in found.edges
    first = messages["n0"]
    assert "#34;hi#34;" in first and "#60;b#62;" in first and "#124;" in first
    assert "\n" not in first and "<" not in first
    assert "class n0,n4,n5 active" in text


def test_dot_is_a_balanced_digraph_with_the_same_nodes_and_links() -> None:
    """``digraph``, balanced braces, escaped quotes and backslashes, one cluster per
    descendant, the active path's edges thick."""
    text = "\n".join(dot_lines('ro"ot', _graph(), _family()))
    found = check_dot(text)
    assert text.startswith('digraph "ro\\"ot" {')
    assert len([k for k in found.nodes if k.startswith("n")]) == 6
    assert len(found.subgraphs) == 2 and "c0" in found.nodes and "c1" in found.nodes
    assert '\\"hi\\"' in found.nodes["n0"] and "\\\\" in found.nodes["n0"]
    assert sum("penwidth=2" in line for line in text.splitlines()) == 2


def test_a_subtree_export_keeps_every_edge_between_declared_nodes() -> None:
    """Drawing from a message (``--last``) declares only its subtree; a sub-agent whose call
    is not drawn stays, unlinked."""
    text = "\n".join(mermaid_lines("root", _graph(), _family(), start="u1b"))
    found = check_mermaid(text)
    assert len([k for k in found.nodes if k.startswith("n")]) == 2
    assert [(a, b) for a, b, _ in found.edges if b == "c0"] == []
    assert check_dot("\n".join(dot_lines("root", None, []))).nodes == {}


def test_a_cut_branch_ends_in_one_box_that_counts_the_rest() -> None:
    """With a cut, each other branch draws its first messages and one box for the rest, linked
    from the last one drawn; both languages draw the same boxes."""
    graph = MessageGraph.of(_long_branch())
    mermaid = check_mermaid("\n".join(mermaid_lines("root", graph, [], branch_messages=2)))
    dot = check_dot("\n".join(dot_lines("root", graph, [], branch_messages=2)))
    assert mermaid.nodes["f0"] == "… 38 more messages" and dot.nodes["f0"] == mermaid.nodes["f0"]
    assert len(mermaid.nodes) == len(dot.nodes) == 4 + 2 + 1 + 2
    [(last, _, arrow)] = [e for e in mermaid.edges if e[1] == "f0"]
    assert arrow == "-->" and mermaid.nodes[last] == "agent: old 1"
    assert len(check_mermaid("\n".join(mermaid_lines("root", graph, []))).nodes) == 46


def _long_branch() -> SessionGraph:
    """Two turns, 20 more, then a rewind to the end of turn 2 and one new turn."""
    nodes: list[SessionNodeRecord] = []
    parent: str | None = None
    for prefix, count, text in (("m", 4, "first"), ("o", 40, "old"), ("n", 2, "new")):
        if prefix == "n":
            parent = "m3"
        for i in range(count):
            node_id = f"{prefix}{i}"
            role = "User" if i % 2 == 0 else "Assistant"
            nodes.append(_node(node_id, parent, role, len(nodes), _text(node_id, f"{text} {i}")))
            parent = node_id
    return SessionGraph.from_nodes(nodes, parent)
