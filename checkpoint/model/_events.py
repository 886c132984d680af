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
                raise PydanticCustomError("unknown_variant", TOOL_EVENT_SHAPE)
            data = inner["Invocation"]
        return handler(data)

    @model_serializer(mode="wrap")
    def _wrap(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {"Tool": {"Invocation": handler(self)}}


class ModeEventRecord(NewtypeVariant):
    """``SessionEventRecord::Mode(ModeEvent)``."""

    serde_variant = "Mode"
    serde_newtype_field = "event"
    event: ModeEvent = Field(serialization_alias="Mode")


EVENT_VARIANTS = ("Conversation", "Tool", "Mode")
EVENT_SHAPE = "SessionEventRecord: expected one of Conversation, Tool, Mode"

SessionEventRecord: TypeAlias = Annotated[
    Annotated[ConversationEvent, Tag("Conversation")]
    | Annotated[ToolEvent, Tag("Tool")]
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
