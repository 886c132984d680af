"""``show --format mermaid|dot``: a session's graph as a diagram, branches and sub-agents drawn.

One diagram node per message (``n0``, ``n1``, … in stored order: node ids are not safe
identifiers in either language), an edge from each message to its children, the active path
drawn bold, other branches thin; a branch the view cuts short ends in one box that counts the
messages left out. Each descendant session is a subgraph (a DOT cluster) with
one node, linked by a dashed edge from the message whose tool call spawned it, or from its
parent session's node for deeper descendants. Labels are one line, shortened and escaped, so
no message text can end a label or inject syntax. Output is written line by line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from activities.contract import shorten
from checkpoint.model import ChildRelation, SessionMeta
from workflows.host.cli._graph_view import Folded, MessageGraph, MessageNode, view_walk
from workflows.host.cli._render import message_text, plural

FORMATS = ("mermaid", "dot")
LABEL_CHARS = 48
ACTIVE_COLOR = "#0b62c4"

_MERMAID_ESCAPES = str.maketrans({c: f"#{ord(c)};" for c in '"#&<>`|[]{}()'})
_DOT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


@dataclass(frozen=True)
class Descendant:
    """A session below the shown one and the session that started it."""

    meta: SessionMeta
    parent_session_id: str


@dataclass(frozen=True)
class _Layout:
    """What both languages draw: diagram ids, labels, edges, the links to sub-agents."""

    nodes: list[tuple[str, str, bool]]
    """(diagram id, label, on the active path)."""
    edges: list[tuple[str, str, bool]]
    """(from, to, both ends on the active path)."""
    subs: list[tuple[str, str, str, str]]
    """(diagram id, cluster title, label, linked from diagram id or "")."""
    links: list[tuple[str, str, str]]
    """(from, to, tool call id or "")."""


def _label(node: MessageNode) -> str:
    return shorten(f"{node.label}: {message_text(node.message)}", LABEL_CHARS, one_line=True)


def _layout(
    session_id: str, graph: MessageGraph | None, start: str | None,
    descendants: list[Descendant], branch_messages: int | None,
) -> _Layout:
    shown: list[MessageNode] = []
    folds: list[Folded] = []
    if graph is not None:
        for item, _ in view_walk(graph, start, branch_messages):
            if isinstance(item, Folded):
                folds.append(item)
            else:
                shown.append(item)
    active = set(graph.active_path) if graph else set()
    ids = {node.node_id: f"n{i}" for i, node in enumerate(shown)}
    nodes = [(ids[n.node_id], _label(n), n.node_id in active) for n in shown]
    edges = [
        (ids[n.parent_id], ids[n.node_id], n.node_id in active and n.parent_id in active)
        for n in shown if n.parent_id in ids
    ]
    for i, fold in enumerate(folds):  # a branch cut short: one box counts what is left out
        nodes.append((f"f{i}", f"… {plural(fold.count, 'more message')}", False))
        edges.append((ids[fold.after.node_id], f"f{i}", False))
    spawner = {
        part.tool_call_id: ids[n.node_id]
        for n in shown for part in n.message.parts
        if part.kind == "ToolCall" and part.tool_call_id
    }
    sub_ids = {session_id: ""}
    subs, links = [], []
    for i, d in enumerate(descendants):
        sub_id = f"c{i}"
        sub_ids[d.meta.session_id] = sub_id
        relation = d.meta.relation
        call = relation.originating_tool_call_id if isinstance(relation, ChildRelation) else None
        source = (spawner.get(call or "", "") if d.parent_session_id == session_id
                  else sub_ids.get(d.parent_session_id, ""))
        name = shorten(d.meta.session_name or "", LABEL_CHARS, one_line=True)
        subs.append((sub_id, f"sub-agent {d.meta.session_id}", name or d.meta.session_id, source))
        if source:
            links.append((source, sub_id, call or ""))
    return _Layout(nodes, edges, subs, links)


def mermaid_lines(
    session_id: str, graph: MessageGraph | None, descendants: list[Descendant],
    start: str | None = None, branch_messages: int | None = None,
) -> Iterator[str]:
    """A Mermaid ``flowchart TD``; ``start``: draw only the subtree from that message;
    ``branch_messages``: cut each other branch to that many messages (``view_walk``)."""
    m = _layout(session_id, graph, start, descendants, branch_messages)
    yield "flowchart TD"
    yield f"  %% session {session_id.translate(_MERMAID_ESCAPES)}"
    for node_id, label, _ in m.nodes:
        yield f'  {node_id}["{label.translate(_MERMAID_ESCAPES)}"]'
    for a, b, hot in m.edges:
        yield f"  {a} {'==>' if hot else '-->'} {b}"
    for i, (sub_id, title, label, _) in enumerate(m.subs):
        yield f'  subgraph s{i}["{title.translate(_MERMAID_ESCAPES)}"]'
        yield f'    {sub_id}["{label.translate(_MERMAID_ESCAPES)}"]'
        yield "  end"
    for a, b, call in m.links:
        text = f'|"{call.translate(_MERMAID_ESCAPES)}"|' if call else ""
        yield f"  {a} -.->{text} {b}"
    yield f"  classDef active stroke:{ACTIVE_COLOR},stroke-width:2px"
    yield "  classDef branch stroke-dasharray:4 3"
    yield "  classDef agent fill:#f3eefc,stroke:#7a4fc4"
    for cls, members in (
        ("active", [n for n, _, hot in m.nodes if hot]),
        ("branch", [n for n, _, hot in m.nodes if not hot]),
        ("agent", [s[0] for s in m.subs]),
    ):
        for i in range(0, len(members), 50):
            yield f"  class {','.join(members[i : i + 50])} {cls}"


def dot_lines(
    session_id: str, graph: MessageGraph | None, descendants: list[Descendant],
    start: str | None = None, branch_messages: int | None = None,
) -> Iterator[str]:
    """A Graphviz ``digraph``; ``start``: draw only the subtree from that message;
    ``branch_messages``: cut each other branch to that many messages (``view_walk``)."""
    m = _layout(session_id, graph, start, descendants, branch_messages)
    yield f'digraph "{session_id.translate(_DOT_ESCAPES)}" {{'
    yield "  rankdir=TB;"
    yield '  node [shape=box, style="rounded", fontname="Helvetica"];'
    bold, dashed = f'style="rounded,bold", color="{ACTIVE_COLOR}"', 'style="rounded,dashed"'
    for node_id, label, hot in m.nodes:
        yield f'  {node_id} [label="{label.translate(_DOT_ESCAPES)}", {bold if hot else dashed}];'
    thick = f' [penwidth=2, color="{ACTIVE_COLOR}"]'
    for a, b, hot in m.edges:
        yield f"  {a} -> {b}{thick if hot else ''};"
    for i, (sub_id, title, label, _) in enumerate(m.subs):
        yield f"  subgraph cluster_{i} {{"
        yield f'    label="{title.translate(_DOT_ESCAPES)}"; style="rounded"; color="#7a4fc4";'
        yield f'    {sub_id} [label="{label.translate(_DOT_ESCAPES)}"];'
        yield "  }"
    for a, b, call in m.links:
        text = f', label="{call.translate(_DOT_ESCAPES)}"' if call else ""
        yield f"  {a} -> {b} [style=dashed{text}];"
    yield "}"


__all__ = ["FORMATS", "Descendant", "dot_lines", "mermaid_lines"]
