"""``show --json``: one JSON object, written as it is read, its size linear in the session.

The graph is flat: ``nodes`` lists every message once with its parent's id, and ``active_path``
is a list of ids, so a node is never nested in another (a nested tree grew with the square of a
chain's length and overflowed the recursion limit near 130 turns). The head fields are written
first, then one line per message: nothing is held as one string.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from workflows.host.cli._graph_view import MessageGraph, MessageNode
from workflows.host.cli._render import message_text


def _value(value: Any, indent: str) -> str:
    # Strings in JSON never hold a raw newline, so re-indenting the lines of dumps is safe.
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)


def write_json_head(fields: dict[str, Any], out: TextIO) -> None:
    """Open the object and write ``fields``; ``write_json_graph`` writes the rest and closes it."""
    out.write("{\n")
    for key, value in fields.items():
        out.write(f"  {json.dumps(key)}: {_value(value, '  ')},\n")


def node_json(node: MessageNode) -> dict[str, Any]:
    """One message of the graph: ids, role, what it says, when."""
    return {
        "node_id": node.node_id,
        "parent_id": node.parent_id,
        "role": node.message.role,
        "text": message_text(node.message),
        "timestamp": node.timestamp,
    }


def write_json_graph(graph: MessageGraph | None, out: TextIO) -> None:
    """The ``graph`` field, then the end of the object."""
    nodes = graph.nodes if graph else []
    head = {
        "leaf_node_id": graph.leaf_node_id if graph else None,
        "node_count": graph.node_count if graph else 0,
        "message_count": len(nodes),
        "active_path": graph.active_path if graph else [],
    }
    out.write('  "graph": {\n')
    for key, value in head.items():
        out.write(f"    {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    out.write('    "nodes": [')
    for i, node in enumerate(nodes):
        out.write(",\n      " if i else "\n      ")
        out.write(json.dumps(node_json(node), ensure_ascii=False))
    out.write("\n    ]\n  }\n}\n" if nodes else "]\n  }\n}\n")


__all__ = ["node_json", "write_json_graph", "write_json_head"]
