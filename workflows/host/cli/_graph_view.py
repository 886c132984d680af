"""The session graph as ``show`` needs it: message nodes listed flat, never nested.

A session of 10,000 turns has tens of thousands of nodes in one long chain, so nothing here
recurses or nests one node inside another: nodes are listed with their parent's id (the nearest
message ancestor, as in lash's UI tree), the active path is a list of ids, and every pass is
linear in the number of nodes. The text tree is drawn from that list with an explicit stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from checkpoint.model import Message, SessionGraph

ROLE_LABELS = {"User": "you", "Assistant": "agent", "System": "system"}


@dataclass(frozen=True, slots=True)
class MessageNode:
    """One message of the graph; ``parent_id`` is its nearest message ancestor (None: a root)."""

    node_id: str
    parent_id: str | None
    message: Message
    timestamp: str

    @property
    def label(self) -> str:
        """``you``, ``agent``, ``tool`` (a message of tool results only) or ``system``."""
        if is_tool_results(self.message):
            return "tool"
        return ROLE_LABELS.get(self.message.role, self.message.role.lower())


def is_tool_results(message: Message) -> bool:
    """A user-role message that only carries tool results (not something a person wrote)."""
    return bool(message.parts) and all(p.kind == "ToolResult" for p in message.parts)


def is_turn_start(message: Message) -> bool:
    """A message a person sent: where a turn starts."""
    return message.role == "User" and not is_tool_results(message)


@dataclass(frozen=True)
class MessageGraph:
    """The message nodes in stored order, the active path's message ids, the node count."""

    nodes: list[MessageNode]
    active_path: list[str]
    """Message node ids from the root to the leaf."""
    node_count: int
    """Every node of the graph, tool and mode nodes included."""
    leaf_node_id: str | None = None
    """The graph's leaf (any kind of node)."""

    @classmethod
    def of(cls, graph: SessionGraph) -> MessageGraph:
        """One pass over the nodes, plus one walk from the leaf up."""
        parent_of: dict[str, str | None] = {}
        messages: dict[str, tuple[Message, str]] = {}
        for node in graph.nodes:
            parent_of[node.node_id] = node.parent_node_id
            message = node.message()
            if message is not None:
                messages[node.node_id] = (message, node.timestamp)
        nearest = _nearest_messages(parent_of, messages)
        nodes = [
            MessageNode(node_id, nearest.get(parent_of[node_id] or ""), message, timestamp)
            for node_id, (message, timestamp) in messages.items()
        ]
        path: list[str] = []
        seen: set[str] = set()
        current = graph.leaf_node_id
        while current is not None and current in parent_of and current not in seen:
            seen.add(current)
            if current in messages:
                path.append(current)
            current = parent_of[current]
        return cls(nodes, path[::-1], len(parent_of), graph.leaf_node_id)

    def turn_count(self) -> int:
        """Turns on the active path (messages a person sent)."""
        by_id = {n.node_id: n for n in self.nodes}
        return sum(1 for i in self.active_path if is_turn_start(by_id[i].message))

    def last_turns_root(self, turns: int) -> str | None:
        """Where the last ``turns`` turns of the active path start (None: there are no more)."""
        by_id = {n.node_id: n for n in self.nodes}
        starts = [i for i in self.active_path if is_turn_start(by_id[i].message)]
        return starts[-turns] if 0 < turns < len(starts) else None

    def children(self) -> dict[str | None, list[MessageNode]]:
        """Each node's children (key None: the roots), oldest first."""
        kids: dict[str | None, list[MessageNode]] = {}
        for node in self.nodes:
            kids.setdefault(node.parent_id, []).append(node)
        for siblings in kids.values():
            if len(siblings) > 1:
                siblings.sort(key=lambda n: n.timestamp)
        return kids


def _nearest_messages(
    parent_of: dict[str, str | None], messages: dict[str, Any]
) -> dict[str, str | None]:
    """For every node, itself if it is a message, else its nearest message ancestor.

    Each node is resolved once (memoised), so the whole pass is linear; a dangling parent or a
    cycle resolves to None.
    """
    nearest: dict[str, str | None] = {}
    for start in parent_of:
        chain: list[str] = []
        in_chain: set[str] = set()
        current: str | None = start
        found: str | None = None
        while current is not None:
            if current in nearest:
                found = nearest[current]
                break
            if current in messages:
                found = current
                break
            if current not in parent_of or current in in_chain:
                break
            chain.append(current)
            in_chain.add(current)
            current = parent_of[current]
        for node_id in chain:
            nearest[node_id] = found
        if start in messages:
            nearest[start] = start
    return nearest


def walk_tree(
    kids: dict[str | None, list[MessageNode]], roots: list[MessageNode]
) -> Iterator[tuple[MessageNode, str]]:
    """Depth first, each node with its line prefix: chains stay flat, forks get ``├─``/``└─``."""
    # (node, prefix of its own line, prefix of what follows it in the same chain)
    stack = [(n, h, r) for n, (h, r) in zip(roots, _branch_prefixes(len(roots), ""), strict=True)]
    stack.reverse()
    while stack:
        node, head, rest = stack.pop()
        yield node, head
        children = kids.get(node.node_id, ())
        if len(children) == 1:
            stack.append((children[0], rest, rest))
        elif children:
            pairs = list(zip(children, _branch_prefixes(len(children), rest), strict=True))
            stack.extend((child, h, r) for child, (h, r) in reversed(pairs))


@dataclass(frozen=True, slots=True)
class Folded:
    """``count`` messages of a branch off the active path that a view leaves out, below
    ``after``, the branch's last message shown."""

    after: MessageNode
    count: int


def view_walk(
    graph: MessageGraph, start: str | None = None, branch_messages: int | None = None
) -> Iterator[tuple[MessageNode | Folded, str]]:
    """``walk_tree`` over the forest (or the subtree from ``start``); with ``branch_messages``
    (at least 1), each branch off the active path stops after that many messages and one
    ``Folded`` stands for the rest: a rewind of a long session leaves its old turns as a branch
    thousands of messages long. ``show``'s text and diagrams both draw this walk."""
    kids = graph.children()
    roots = [n for n in graph.nodes if n.node_id == start] if start else kids.get(None, [])
    active = set(graph.active_path)
    walk = walk_tree(kids, roots)
    for node, prefix in walk:
        yield node, prefix
        off_path_root = node.parent_id is None or node.parent_id in active
        if branch_messages is None or node.node_id in active or not off_path_root:
            continue
        hidden = _subtree_size(kids, node) - branch_messages
        if hidden <= 0:
            continue
        last = node
        for _ in range(branch_messages - 1):  # walk_tree yields a subtree in one piece
            last, shown_prefix = next(walk)
            yield last, shown_prefix
        for _ in range(hidden):
            next(walk)
        yield Folded(last, hidden), _continuation(prefix)


def _subtree_size(kids: dict[str | None, list[MessageNode]], root: MessageNode) -> int:
    """Messages in the subtree from ``root``, itself included (no recursion)."""
    size, stack = 0, [root]
    while stack:
        node = stack.pop()
        size += 1
        stack.extend(kids.get(node.node_id, ()))
    return size


def _continuation(prefix: str) -> str:
    """The prefix of the lines that go on below a line with ``prefix`` in the same branch."""
    if prefix.endswith("├─ "):
        return prefix[:-3] + "│  "
    if prefix.endswith("└─ "):
        return prefix[:-3] + "   "
    return prefix


def _branch_prefixes(count: int, indent: str) -> Iterator[tuple[str, str]]:
    """Prefixes of sibling branches: the line's own, then its continuation's."""
    if count == 1:
        yield indent, indent
        return
    for i in range(count):
        last = i == count - 1
        yield indent + ("└─ " if last else "├─ "), indent + ("   " if last else "│  ")


__all__ = [
    "Folded",
    "MessageGraph",
    "MessageNode",
    "is_tool_results",
    "is_turn_start",
    "view_walk",
    "walk_tree",
]
