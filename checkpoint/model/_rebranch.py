"""``replace_active_read_state`` as a re-branch: nothing is deleted (spec §3.6).

The target is the non-transient messages, each followed by the tool records anchored to it.
The current active path is kept while it matches the target; the rest of the target becomes new
nodes branching from the last kept node, and the old tail becomes an inactive branch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._ids import current_id_source
from ._message import Message
from ._node_ids import (
    Exists,
    stable_tool_call_key,
    tool_call_active_read_key,
    unique_message_node_id,
    unique_tool_node_id,
)
from ._nodes import (
    ConversationEvent,
    EventPayload,
    SessionNodeRecord,
    ToolEvent,
    ToolEventRecord,
)
from ._tool_call import ToolCallRecord


@dataclass(frozen=True, slots=True)
class _ToolItem:
    stable_key: str
    record: ToolCallRecord


_Item = Message | _ToolItem


def _item_key(item: _Item) -> str:
    if isinstance(item, Message):
        return f"message:{item.id}"
    return tool_call_active_read_key(item.stable_key, item.record)


def _node_key(node: SessionNodeRecord) -> str | None:
    """The active-read key of a message or tool node; None for mode and plugin nodes."""
    payload = node.payload
    if not isinstance(payload, EventPayload):
        return None
    event = payload.event
    if isinstance(event, ConversationEvent):
        return f"message:{event.message.id}"
    if isinstance(event, ToolEventRecord):
        return tool_call_active_read_key(event.event.stable_key, event.event.record)
    return None


def _target_items(messages: Sequence[Message], tool_calls: Sequence[ToolCallRecord]) -> list[_Item]:
    active = [m for m in messages if not m.is_transient()]
    first_message_for_call: dict[str, int] = {}
    for index, message in enumerate(active):
        for part in message.parts:
            if part.tool_call_id is not None:
                first_message_for_call.setdefault(part.tool_call_id, index)
    anchored: dict[int, list[_Item]] = {}
    fallback = max(len(active) - 1, 0)
    for record in tool_calls:
        anchor = fallback
        if record.call_id is not None:
            anchor = first_message_for_call.get(record.call_id, fallback)
        anchored.setdefault(anchor, []).append(_ToolItem(stable_tool_call_key(record), record))
    # As in lash, records anchored past the last message (no messages at all) are dropped.
    out: list[_Item] = []
    for index, message in enumerate(active):
        out.append(message)
        out.extend(anchored.pop(index, ()))
    return out


def rebranch_tail(
    current_path: Iterable[SessionNodeRecord],
    exists: Exists,
    messages: Sequence[Message],
    tool_calls: Sequence[ToolCallRecord],
) -> tuple[str | None, list[SessionNodeRecord]]:
    """The new leaf and the new nodes to append so the active path reads as the target."""
    target = _target_items(messages, tool_calls)
    seen_keys: set[str] = set()
    target_index = 0
    leaf: str | None = None
    for node in current_path:
        message = node.message()
        if message is not None and message.is_transient():
            continue
        key = _node_key(node)
        if key is not None:
            if key in seen_keys:
                continue
            seen_keys.add(key)
            if target_index >= len(target) or key != _item_key(target[target_index]):
                break
            target_index += 1
        leaf = node.node_id

    new_ids: set[str] = set()

    def taken(node_id: str) -> bool:
        return exists(node_id) or node_id in new_ids

    source = current_id_source()
    tail: list[SessionNodeRecord] = []
    for item in target[target_index:]:
        if isinstance(item, Message):
            node_id = unique_message_node_id(item.id, taken)
            payload = EventPayload(event=ConversationEvent(message=item))
        else:
            node_id = unique_tool_node_id(item.stable_key, taken)
            invocation = ToolEvent(stable_key=item.stable_key, record=item.record)
            payload = EventPayload(event=ToolEventRecord(event=invocation))
        tail.append(
            SessionNodeRecord(
                node_id=node_id, parent_node_id=leaf, timestamp=source.now(), payload=payload
            )
        )
        new_ids.add(node_id)
        leaf = node_id
    return leaf, tail
