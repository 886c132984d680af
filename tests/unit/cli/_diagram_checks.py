"""Structure checks for ``show --format mermaid|dot`` output, shared by unit and CLI tests.

Not a full parser: each check is a rule a renderer relies on (a header, ids declared once,
edges between declared nodes, labels that cannot end early, balanced blocks)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = r"[A-Za-z][A-Za-z0-9_]*"
_MERMAID_NODE = re.compile(rf'^\s*({_ID})\["([^"]*)"\]$')
_MERMAID_EDGE = re.compile(rf'^\s*({_ID}) (-->|==>|-\.->(?:\|"[^"]*"\|)?) ({_ID})$')
_MERMAID_SUB = re.compile(r'^\s*subgraph (\w+)\["([^"]*)"\]$')
_DOT_NODE = re.compile(rf'^\s*({_ID}) \[label="((?:[^"\\]|\\.)*)"(?:, [^\]]*)?\];$')
_DOT_EDGE = re.compile(rf"^\s*({_ID}) -> ({_ID})(?: \[[^\]]*\])?;$")


@dataclass
class Diagram:
    """Nodes (id -> label), edges (from, to, arrow) and subgraph titles found."""

    nodes: dict[str, str]
    edges: list[tuple[str, str, str]]
    subgraphs: list[str]


def check_mermaid(text: str) -> Diagram:
    """Every line is a header, comment, node, edge, subgraph, end or class line; ids unique."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD", lines[0]
    found = Diagram({}, [], [])
    depth = 0
    for line in lines[1:]:
        if m := _MERMAID_NODE.match(line):
            assert m[1] not in found.nodes, f"{m[1]} declared twice"
            assert "\n" not in m[2] and '"' not in m[2]
            found.nodes[m[1]] = m[2]
        elif m := _MERMAID_EDGE.match(line):
            found.edges.append((m[1], m[3], m[2]))
        elif m := _MERMAID_SUB.match(line):
            depth += 1
            found.subgraphs.append(m[2])
        elif line.strip() == "end":
            depth -= 1
            assert depth >= 0, "end without subgraph"
        else:
            assert re.match(r"^\s*(%%|classDef |class )", line), f"unexpected line: {line!r}"
    assert depth == 0, "unclosed subgraph"
    for a, b, _ in found.edges:
        assert a in found.nodes and b in found.nodes, f"edge {a} -> {b} to an undeclared node"
    return found


def check_dot(text: str) -> Diagram:
    """``digraph "..." {`` ... ``}``: braces balanced, ids unique, edges between declared nodes."""
    lines = text.splitlines()
    assert re.match(r'^digraph "(?:[^"\\]|\\.)*" \{$', lines[0]), lines[0]
    assert lines[-1] == "}"
    found = Diagram({}, [], [])
    depth = 0
    for line in lines:
        stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)  # braces inside strings don't count
        depth += stripped.count("{") - stripped.count("}")
        assert depth >= 0
        if m := _DOT_NODE.match(line):
            assert m[1] not in found.nodes, f"{m[1]} declared twice"
            found.nodes[m[1]] = m[2]
        elif m := _DOT_EDGE.match(line):
            found.edges.append((m[1], m[2], "->"))
        elif line.strip().startswith("subgraph cluster_"):
            found.subgraphs.append(line.strip())
    assert depth == 0, "unbalanced braces"
    for a, b, _ in found.edges:
        assert a in found.nodes and b in found.nodes, f"edge {a} -> {b} to an undeclared node"
    return found
