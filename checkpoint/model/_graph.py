"""SessionGraph: the conversation DAG with lash's append, branch and read rules (spec §3).

Nodes are immutable once appended: the graph shares them (and the messages and records inside
them) with its read model, forks and copies (even ``deepcopy``) instead of copying them.
Change the graph only through its methods; they keep the cache (id index, active path, read
model) right.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import PrivateAttr

from ._ids import current_id_source
from ._message import Message
from ._mode import ModeEvent
from ._node_ids import (
    fresh_message_id,
    fresh_semantic_node_id,
    stable_tool_call_key,
    tool_call_active_read_key,
    unique_message_node_id,
    unique_tool_node_id,
)
from ._nodes import (
    ConversationEvent,
    EventPayload,
    ModeEventRecord,
    PluginPayload,
    SessionEventRecord,
    SessionNodeRecord,
    ToolEvent,
    ToolEventRecord,
)
from ._read_model import GraphCache
from ._rebranch import rebranch_tail
from ._serde import SerdeModel, skip_none
from ._tool_call import ToolCallRecord


@dataclass
class SessionMessageTreeNode:
    """A message in the UI tree: parent = nearest message ancestor; children by timestamp."""

    node_id: str
    parent_message_node_id: str | None
    message: Message
    timestamp: str
    active: bool
    children: list[SessionMessageTreeNode] = field(default_factory=list)


class SessionGraph(SerdeModel):
    """``SessionGraphData``: ``{"nodes": [...] (default []), "leaf_node_id"? (skip None)}``."""

    nodes: list[SessionNodeRecord] = []
    leaf_node_id: str | None = skip_none()
    _cache: GraphCache | None = PrivateAttr(default=None)

    # --- identity: the cache is derived state, never part of equality or copies ---------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SessionGraph):
            return NotImplemented
        return self.leaf_node_id == other.leaf_node_id and self.nodes == other.nodes

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> SessionGraph:
        return SessionGraph.from_nodes(list(self.nodes), self.leaf_node_id)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> SessionGraph:
        """A new node list over the same immutable nodes (lash clones an Arc): a copied state can
        append and branch on its own, and copying a 4,000-node state stays cheap."""
        return self.__copy__()

    @classmethod
    def from_nodes(cls, nodes: list[SessionNodeRecord], leaf_node_id: str | None) -> SessionGraph:
        """A graph over existing nodes (no validation of the nodes again)."""
        graph = cls.model_construct(nodes=nodes, leaf_node_id=leaf_node_id)
        graph._cache = None
        return graph

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in ("nodes", "leaf_node_id"):
            self._cache = None  # assigned from outside: rebuild on the next read

    def _index(self) -> GraphCache:
        cache = self._cache
        if cache is None:
            cache = self._cache = GraphCache(self.nodes, self.leaf_node_id)
        return cache

    def invalidate_cache(self) -> None:
        """Drop the derived cache (call after editing ``nodes`` or the leaf by hand)."""
        self._cache = None

    def _exists(self, node_id: str) -> bool:
        return node_id in self._index().by_id

    # --- reads ---------------------------------------------------------------------------------

    def active_path(self) -> Sequence[SessionNodeRecord]:
        """Leaf to root by parent links, reversed; a dangling parent ends the path."""
        return self._index().path

    def active_path_nodes(self) -> Sequence[SessionNodeRecord]:
        """lash's name for :meth:`active_path`."""
        return self.active_path()

    def messages(self) -> Sequence[Message]:
        """Read model: active-path messages, minus transient ones and repeated message ids."""
        return self._index().messages

    def tool_calls(self) -> Sequence[ToolCallRecord]:
        """Read model: the records of the active path's Tool/Invocation nodes, in order."""
        return self._index().tool_calls

    def active_events(self) -> Sequence[SessionEventRecord]:
        """Read model: every event on the active path (plugin nodes excluded)."""
        return self._index().events

    def find_node(self, node_id: str) -> SessionNodeRecord | None:
        index = self._index().by_id.get(node_id)
        return None if index is None else self.nodes[index]

    def node_index(self, node_id: str) -> int | None:
        return self._index().by_id.get(node_id)

    def active_path_contains(self, node_id: str) -> bool:
        return any(node.node_id == node_id for node in self._index().path)

    def user_message_count(self) -> int:
        return sum(
            1 for node in self.nodes if (m := node.message()) is not None and m.role == "User"
        )

    # --- appends: each moves the leaf to the new node --------------------------------------------

    def _append_node(self, node: SessionNodeRecord) -> str:
        previous_leaf = self.leaf_node_id
        self.nodes.append(node)
        if self._cache is not None:
            self._cache.appended(len(self.nodes) - 1, node, previous_leaf)
        self.__dict__["leaf_node_id"] = node.node_id  # keeps the cache just extended
        return node.node_id

    def _new_node(self, node_id: str, payload: EventPayload | PluginPayload) -> SessionNodeRecord:
        return SessionNodeRecord.model_construct(
            node_id=node_id,
            parent_node_id=self.leaf_node_id,
            timestamp=current_id_source().now(),
            payload=payload,
        )

    def append_message(self, message: Message) -> str:
        """One message node (no filtering); returns its node id (§3.2)."""
        if not message.id:
            message = message.model_copy(update={"id": fresh_message_id()})
        node_id = unique_message_node_id(message.id, self._exists)
        payload = EventPayload.model_construct(
            kind="event", event=ConversationEvent.model_construct(message=message)
        )
        return self._append_node(self._new_node(node_id, payload))

    def append_active_conversation_messages(self, messages: Iterable[Message]) -> list[str]:
        """Append the non-transient messages (no id dedup)."""
        return [self.append_message(m) for m in messages if not m.is_transient()]

    def append_tool_call_records(self, records: Iterable[ToolCallRecord]) -> list[str]:
        """One ``tool:{stable_key}`` node per record; returns their node ids."""
        ids = []
        for record in records:
            stable_key = stable_tool_call_key(record)
            node_id = unique_tool_node_id(stable_key, self._exists)
            invocation = ToolEvent.model_construct(stable_key=stable_key, record=record)
            event = ToolEventRecord.model_construct(event=invocation)
            payload = EventPayload.model_construct(kind="event", event=event)
            ids.append(self._append_node(self._new_node(node_id, payload)))
        return ids

    def append_active_read_delta(
        self, messages: Iterable[Message], tool_calls: Iterable[ToolCallRecord]
    ) -> None:
        """Append what the read model lacks: new message ids first, then unseen tool calls."""
        cache = self._index()
        batch_ids: set[str] = set()
        new_messages = []
        for message in messages:
            if message.is_transient() or message.id in cache.message_ids or message.id in batch_ids:
                continue
            batch_ids.add(message.id)
            new_messages.append(message)
        known = cache.tool_call_keys()
        batch_keys: set[str] = set()
        new_calls = []
        for record in tool_calls:
            key = tool_call_active_read_key(stable_tool_call_key(record), record)
            if key in known or key in batch_keys:
                continue
            batch_keys.add(key)
            new_calls.append(record)
        for message in new_messages:
            self.append_message(message)
        self.append_tool_call_records(new_calls)

    def append_mode_event(self, event: ModeEvent) -> str:
        """A ``mode:{hex}`` node."""
        node_id = fresh_semantic_node_id("mode", self._exists)
        payload = EventPayload.model_construct(
            kind="event", event=ModeEventRecord.model_construct(event=event)
        )
        return self._append_node(self._new_node(node_id, payload))

    def append_plugin(self, plugin_type: str, body: Any) -> str:
        """A ``plugin:{hex}`` node carrying any JSON body."""
        node_id = fresh_semantic_node_id("plugin", self._exists)
        payload = PluginPayload(plugin_type=plugin_type, body=body)
        return self._append_node(self._new_node(node_id, payload))

    def extend_active_path(self, nodes: Iterable[SessionNodeRecord]) -> None:
        """Append prebuilt nodes that continue the active path, moving the leaf."""
        for node in nodes:
            self._append_node(node)

    # --- raw edits and branching: nothing is deleted ---------------------------------------------

    def push_node_record(self, node: SessionNodeRecord) -> None:
        """Add a raw node without moving the leaf (store replay)."""
        self.nodes.append(node)
        self._cache = None

    def extend_node_records(self, nodes: Iterable[SessionNodeRecord]) -> None:
        """Add raw nodes without moving the leaf (store replay)."""
        self.nodes.extend(nodes)
        self._cache = None

    def branch_to(self, node_id: str | None) -> None:
        """Move the leaf; nothing is deleted."""
        self.leaf_node_id = node_id
        self._cache = None

    def set_leaf_node_id(self, node_id: str | None) -> None:
        """Same as :meth:`branch_to`."""
        self.branch_to(node_id)

    def replace_active_read_state(
        self, messages: Sequence[Message], tool_calls: Sequence[ToolCallRecord]
    ) -> None:
        """Re-branch so the active path reads as ``messages``/``tool_calls`` (§3.6)."""
        leaf, tail = rebranch_tail(self.active_path(), self._exists, messages, tool_calls)
        self.nodes.extend(tail)
        self.leaf_node_id = leaf
        self._cache = None

    def replace_active_tool_calls(self, tool_calls: Sequence[ToolCallRecord]) -> None:
        """Re-branch with the current messages and these tool calls."""
        self.replace_active_read_state(list(self.messages()), tool_calls)

    @classmethod
    def from_active_read_state(
        cls, messages: Sequence[Message], tool_calls: Sequence[ToolCallRecord]
    ) -> SessionGraph:
        """A linear graph holding exactly this read state."""
        graph = cls()
        graph.replace_active_read_state(messages, tool_calls)
        return graph

    def heal_orphaned_leaf(self) -> bool:
        """If the leaf names no node, fall back to the last message node (or None); True if so."""
        if self.leaf_node_id is None or self._exists(self.leaf_node_id):
            return False
        self.leaf_node_id = next(
            (node.node_id for node in reversed(self.nodes) if node.message() is not None), None
        )
        self._cache = None
        return True

    def fork_current_path(self) -> SessionGraph:
        """A new graph with only the active-path nodes and the same leaf."""
        return SessionGraph.from_nodes(list(self.active_path()), self.leaf_node_id)

    def message_tree(self) -> list[SessionMessageTreeNode]:
        """Message nodes as a forest, each level sorted by timestamp, active flags set.

        As in lash, ``active`` compares node ids against active message ids.
        """
        active_ids = {m.id for node in self.active_path() if (m := node.message()) is not None}
        by_id = {node.node_id: node for node in self.nodes}
        children: dict[str | None, list[SessionMessageTreeNode]] = {}
        for node in self.nodes:
            message = node.message()
            if message is None:
                continue
            parent = _nearest_message_ancestor(by_id, node.parent_node_id)
            children.setdefault(parent, []).append(
                SessionMessageTreeNode(
                    node_id=node.node_id,
                    parent_message_node_id=parent,
                    message=message,
                    timestamp=node.timestamp,
                    active=node.node_id in active_ids,
                )
            )
        roots = children.pop(None, [])
        stack = list(roots)
        while stack:
            tree_node = stack.pop()
            tree_node.children = children.pop(tree_node.node_id, [])
            stack.extend(tree_node.children)
        _sort_levels(roots)
        return roots


def _nearest_message_ancestor(
    by_id: dict[str, SessionNodeRecord], node_id: str | None
) -> str | None:
    seen: set[str] = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        node = by_id.get(node_id)
        if node is None:
            return None
        if node.message() is not None:
            return node.node_id
        node_id = node.parent_node_id
    return None


def _sort_levels(roots: list[SessionMessageTreeNode]) -> None:
    levels = [roots]
    while levels:
        level = levels.pop()
        level.sort(key=lambda n: n.timestamp)
        levels.extend(n.children for n in level if n.children)
