"""Graph events and node payloads (spec §3.1), the parts a node's flattened payload is made of.

Events are externally tagged: ``{"Conversation": Message}``,
``{"Tool": {"Invocation": {stable_key, record}}}`` or ``{"Mode": ModeEvent}``. A payload is
``{"kind":"event","event"}`` or ``{"kind":"plugin","plugin_type","body"}``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationInfo,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._message import Message
from ._mode import ModeEvent
from ._serde import JsonValue, SerdeModel
from ._tagged import NewtypeVariant, external_discriminator
from ._tool_call import ToolCallRecord


class ConversationEvent(NewtypeVariant):
    """``SessionEventRecord::Conversation(ConversationRecord)``."""

    serde_variant = "Conversation"
    serde_newtype_field = "message"
    message: Message = Field(serialization_alias="Conversation")


TOOL_EVENT_SHAPE = 'ToolEvent: expected {"Invocation": {…}}'


def _tool_event_shape() -> PydanticCustomError:
    return PydanticCustomError("unknown_variant", TOOL_EVENT_SHAPE)


class ToolEvent(SerdeModel):
    """``ToolEvent::Invocation { stable_key, record }``, lash's one tool-event variant, written
    ``{"Invocation": {stable_key, record}}`` on its own too (spec §3.1).

    JSON text must carry that tag; Python callers may also construct it from its fields."""

    serde_variant: ClassVar[str] = "Invocation"
    stable_key: str
    record: ToolCallRecord

    @model_validator(mode="wrap")
    @classmethod
    def _unwrap(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        if type(data) is dict and ("Invocation" in data or info.mode == "json"):
            if len(data) != 1 or "Invocation" not in data:
                raise _tool_event_shape()
            data = data["Invocation"]
        return handler(data)

    @model_serializer(mode="wrap")
    def _wrap(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {"Invocation": handler(self)}


class ToolEventRecord(NewtypeVariant):
    """``SessionEventRecord::Tool(ToolEvent)``: ``{"Tool": {"Invocation": {…}}}``."""

    serde_variant = "Tool"
    serde_newtype_field = "event"
    event: ToolEvent = Field(serialization_alias="Tool")

    @model_validator(mode="wrap")
    @classmethod
    def _unwrap_variant(cls, data: Any, handler: Any) -> Any:
        """As the JSON path (``_node_wire``): ``Tool`` holds exactly ``{"Invocation": …}``."""
        if type(data) is dict and len(data) == 1 and "Tool" in data:
            inner = data["Tool"]
            if type(inner) is not dict or len(inner) != 1 or "Invocation" not in inner:
                raise _tool_event_shape()
            data = {"event": inner}
        return handler(data)


class ModeEventRecord(NewtypeVariant):
    """``SessionEventRecord::Mode(ModeEvent)``."""

    serde_variant = "Mode"
    serde_newtype_field = "event"
    event: ModeEvent = Field(serialization_alias="Mode")


EVENT_VARIANTS = ("Conversation", "Tool", "Mode")
EVENT_SHAPE = "SessionEventRecord: expected one of Conversation, Tool, Mode"

SessionEventRecord: TypeAlias = Annotated[
    Annotated[ConversationEvent, Tag("Conversation")]
    | Annotated[ToolEventRecord, Tag("Tool")]
    | Annotated[ModeEventRecord, Tag("Mode")],
    external_discriminator("SessionEventRecord", ", ".join(EVENT_VARIANTS)),
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
