"""Graph node records and their event and plugin payloads (spec §3.1).

A node is ``{node_id, parent_node_id?, timestamp, …payload}`` where the payload is flattened into
the node: ``"kind":"event"`` plus ``"event"``, or ``"kind":"plugin"`` plus ``plugin_type`` and
``body``. Events are externally tagged: ``{"Conversation": Message}``,
``{"Tool": {"Invocation": {stable_key, record}}}`` or ``{"Mode": ModeEvent}``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._message import Message
from ._mode import ModeEvent
from ._serde import JsonValue, SerdeModel, skip_none
from ._tagged import ExternallyTagged, external_discriminator
from ._tool_call import ToolCallRecord


class ConversationEvent(ExternallyTagged):
    """``SessionEventRecord::Conversation(ConversationRecord)``."""

    serde_variant = "Conversation"
    serde_newtype_field = "message"
    message: Message


class ToolEvent(SerdeModel):
    """``SessionEventRecord::Tool(ToolEvent::Invocation { stable_key, record })``.

    lash's ToolEvent has the one variant ``Invocation``; both tag levels are written here.
    """

    serde_variant: ClassVar[str] = "Tool"
    stable_key: str
    record: ToolCallRecord

    @model_validator(mode="wrap")
    @classmethod
    def _unwrap(cls, data: Any, handler: Any) -> Any:
        if type(data) is dict and len(data) == 1 and "Tool" in data:
            inner = data["Tool"]
            if type(inner) is not dict or len(inner) != 1 or "Invocation" not in inner:
                raise PydanticCustomError(
                    "unknown_variant", "ToolEvent: expected {{\"Invocation\": {{…}}}}"
                )
            data = inner["Invocation"]
        return handler(data)

    @model_serializer(mode="wrap")
    def _wrap(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {"Tool": {"Invocation": handler(self)}}


class ModeEventRecord(ExternallyTagged):
    """``SessionEventRecord::Mode(ModeEvent)``."""

    serde_variant = "Mode"
    serde_newtype_field = "event"
    event: ModeEvent


SessionEventRecord: TypeAlias = Annotated[
    Annotated[ConversationEvent, Tag("Conversation")]
    | Annotated[ToolEvent, Tag("Tool")]
    | Annotated[ModeEventRecord, Tag("Mode")],
    external_discriminator("SessionEventRecord", "Conversation, Tool, Mode"),
]


class EventPayload(SerdeModel):
    """``SessionNodePayload::Event { event }``."""

    kind: Literal["event"] = "event"
    event: SessionEventRecord


class PluginPayload(SerdeModel):
    """``SessionNodePayload::Plugin { plugin_type, body }``; body is any JSON, required."""

    kind: Literal["plugin"] = "plugin"
    plugin_type: str
    body: JsonValue


SessionNodePayload: TypeAlias = Annotated[
    EventPayload | PluginPayload, Field(discriminator="kind")
]

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

    @model_serializer(mode="wrap")
    def _flatten(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        node: dict[str, Any] = handler(self)
        node.update(node.pop("payload"))
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
        if isinstance(payload, EventPayload) and isinstance(payload.event, ToolEvent):
            return payload.event
        return None

    def plugin(self) -> tuple[str, Any] | None:
        """``(plugin_type, body)`` of a plugin node, else None."""
        payload = self.payload
        return (payload.plugin_type, payload.body) if isinstance(payload, PluginPayload) else None
