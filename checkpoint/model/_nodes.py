"""Graph node records (spec §3.1): ``{node_id, parent_node_id?, timestamp, …payload}``.

The payload is flattened into the node: ``"kind":"event"`` plus ``"event"``, or
``"kind":"plugin"`` plus ``plugin_type`` and ``body`` (see ``_events``). JSON text is read by the
core-schema validator of ``_node_wire`` (the hot path of a cold load); Python objects by the
model's own validator below. Both accept and refuse the same documents.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    model_serializer,
    model_validator,
)

from ._events import (
    ConversationEvent,
    EventPayload,
    ModeEventRecord,
    PluginPayload,
    SessionEventRecord,
    SessionNodePayload,
    ToolEvent,
    ToolEventRecord,
)
from ._message import Message
from ._node_wire import node_validator
from ._serde import SerdeModel, canonical_json, skip_none

_NODE_KEYS = ("node_id", "parent_node_id", "timestamp")


class SessionNodeRecord(SerdeModel):
    """One immutable node of the session DAG; ``payload`` is flattened on the wire."""

    node_id: str
    parent_node_id: str | None = skip_none()
    timestamp: str
    """RFC 3339 as lash wrote it; kept as the exact string."""
    payload: SessionNodePayload

    @model_validator(mode="before")
    @classmethod
    def _unflatten(cls, data: Any) -> Any:
        if type(data) is dict and ("kind" in data or "payload" not in data):
            node = {key: data[key] for key in _NODE_KEYS if key in data}
            node["payload"] = {k: v for k, v in data.items() if k not in _NODE_KEYS}
            return node
        return data

    @model_serializer(mode="plain")
    def _flatten(self) -> dict[str, Any]:
        """Node keys, then the payload's: one shallow dict, whose event pydantic-core writes
        with the event's own serializer (no nested dicts are built in Python)."""
        node: dict[str, Any] = {"node_id": self.node_id}
        if self.parent_node_id is not None:
            node["parent_node_id"] = self.parent_node_id
        node["timestamp"] = self.timestamp
        payload = self.payload
        if isinstance(payload, EventPayload):
            node["kind"] = "event"
            node["event"] = payload.event
        else:
            node["kind"] = "plugin"
            node["plugin_type"] = payload.plugin_type
            node["body"] = canonical_json(payload.body)
        return node

    def event(self) -> SessionEventRecord | None:
        """The event of an event node, else None."""
        payload = self.payload
        return payload.event if isinstance(payload, EventPayload) else None

    def message(self) -> Message | None:
        """The message of a conversation node, else None."""
        payload = self.payload
        if isinstance(payload, EventPayload) and isinstance(payload.event, ConversationEvent):
            return payload.event.message
        return None

    def tool_event(self) -> ToolEvent | None:
        """The Tool/Invocation event of a tool node, else None."""
        payload = self.payload
        if isinstance(payload, EventPayload) and isinstance(payload.event, ToolEventRecord):
            return payload.event.event
        return None

    def plugin(self) -> tuple[str, Any] | None:
        """``(plugin_type, body)`` of a plugin node, else None."""
        payload = self.payload
        return (payload.plugin_type, payload.body) if isinstance(payload, PluginPayload) else None


SessionNodeRecord.__pydantic_validator__ = node_validator(SessionNodeRecord)
"""JSON text is read by ``_node_wire``'s core-schema path, the hot path of a cold load. A forced
``model_rebuild`` would put back pydantic's own validator: still correct, only slower."""


__all__ = [
    "ConversationEvent",
    "EventPayload",
    "ModeEventRecord",
    "PluginPayload",
    "SessionEventRecord",
    "SessionNodePayload",
    "SessionNodeRecord",
    "ToolEvent",
    "ToolEventRecord",
]
