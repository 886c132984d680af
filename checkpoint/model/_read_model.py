"""The graph's in-memory cache: id index, active path and read model (spec §3.3, §3.4).

Built lazily in one pass over the active path, then extended in O(1) amortised per appended
node, so appending n messages one by one costs O(n), not O(n^2). Anything other than an append
(branching, re-branching, heal, raw node pushes) drops the cache and the next read rebuilds it.
"""

from __future__ import annotations

from collections.abc import Sequence

from checkpoint.errors import GraphCycleError

from ._message import Message
from ._node_ids import stable_tool_call_key, tool_call_active_read_key
from ._nodes import (
    ConversationEvent,
    EventPayload,
    SessionEventRecord,
    SessionNodeRecord,
    ToolEventRecord,
)
from ._tool_call import ToolCallRecord


class GraphCache:
    """Derived, never serialised: rebuilt from ``nodes`` and ``leaf_node_id`` on demand."""

    __slots__ = (
        "_tool_keys",
        "by_id",
        "events",
        "message_ids",
        "messages",
        "path",
        "tool_calls",
    )

    def __init__(self, nodes: Sequence[SessionNodeRecord], leaf_node_id: str | None) -> None:
        self.by_id: dict[str, int] = {node.node_id: i for i, node in enumerate(nodes)}
        self.path: list[SessionNodeRecord] = []
        self.events: list[SessionEventRecord] = []
        self.messages: list[Message] = []
        self.message_ids: set[str] = set()
        self.tool_calls: list[ToolCallRecord] = []
        self._tool_keys: set[str] | None = None
        seen: set[str] = set()
        current = self.by_id.get(leaf_node_id) if leaf_node_id is not None else None
        while current is not None:
            node = nodes[current]
            if node.node_id in seen:
                raise GraphCycleError(node.node_id)
            seen.add(node.node_id)
            self.path.append(node)
            parent = node.parent_node_id
            current = self.by_id.get(parent) if parent is not None else None
        self.path.reverse()
        for node in self.path:
            self._read(node)

    def _read(self, node: SessionNodeRecord) -> None:
        payload = node.payload
        if not isinstance(payload, EventPayload):
            return
        event = payload.event
        self.events.append(event)
        if isinstance(event, ConversationEvent):
            message = event.message
            if not message.is_transient() and message.id not in self.message_ids:
                self.message_ids.add(message.id)
                self.messages.append(message)
        elif isinstance(event, ToolEventRecord):
            record = event.event.record
            self.tool_calls.append(record)
            if self._tool_keys is not None:
                self._tool_keys.add(
                    tool_call_active_read_key(stable_tool_call_key(record), record)
                )

    def appended(self, index: int, node: SessionNodeRecord, previous_leaf: str | None) -> None:
        """Account for ``node`` appended at ``index`` as a child of ``previous_leaf``."""
        self.by_id[node.node_id] = index
        if node.parent_node_id == previous_leaf:
            self.path.append(node)
            self._read(node)

    def tool_call_keys(self) -> set[str]:
        """Active-read keys of the read model's tool calls (computed once, then maintained)."""
        if self._tool_keys is None:
            self._tool_keys = {
                tool_call_active_read_key(stable_tool_call_key(record), record)
                for record in self.tool_calls
            }
        return self._tool_keys
