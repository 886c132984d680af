"""Message and Part (spec §4), as lash-sansio's ``session_model/message.rs`` writes them."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias, cast

from pydantic import BeforeValidator, GetCoreSchemaHandler, Tag, TypeAdapter
from pydantic_core import core_schema as cs

from ._serde import U32, U64, SerdeModel, skip_empty, skip_false, skip_none
from ._tagged import ExternallyTagged, external_discriminator, unit_variant_from_map

MessageRole: TypeAlias = Literal["User", "Assistant", "System"]
"""``enum MessageRole`` without rename: PascalCase unit variants."""

PartKind: TypeAlias = Literal[
    "Text", "Image", "Code", "Output", "Error", "Prose", "ToolCall", "ToolResult", "Reasoning"
]
"""``enum PartKind`` without rename: PascalCase unit variants."""

ImageMediaType: TypeAlias = Literal["png", "jpeg", "gif", "webp", "bmp"]


class MediaType(SerdeModel):
    """``#[serde(tag = "kind", content = "type")] enum MediaType { Image(ImageMediaType) }``."""

    kind: Literal["image"]
    """Required (the enum's only tag)."""
    type: ImageMediaType


class AttachmentRef(SerdeModel):
    """A reference to attachment bytes kept outside the state (lash-sansio ``attachment.rs``)."""

    id: str
    media_type: MediaType
    byte_len: U64
    width: U32 | None = skip_none()
    height: U32 | None = skip_none()
    label: str | None = skip_none()


class PartAttachment(SerdeModel):
    """``struct PartAttachment { reference: AttachmentRef }``."""

    reference: AttachmentRef


class ProviderReplayMeta(SerdeModel):
    """Provider replay data of a ToolCall part; both keys skipped when None."""

    item_id: str | None = skip_none()
    opaque: str | None = skip_none()


class ProviderReasoningReplay(SerdeModel):
    """Reasoning replay data; ``redacted`` skipped when false, ``summary`` when empty."""

    item_id: str | None = skip_none()
    encrypted_content: str | None = skip_none()
    signature: str | None = skip_none()
    redacted: bool = skip_false()
    summary: list[str] = skip_empty(list)


class ResponseTextMeta(SerdeModel):
    """Response text metadata; ``phase`` is snake_case."""

    id: str | None = skip_none()
    status: str | None = skip_none()
    phase: Literal["commentary", "final_answer"] | None = skip_none()


class PruneDeleted(ExternallyTagged):
    """``PruneState::Deleted { breadcrumb, archive_hash }``."""

    serde_variant = "Deleted"
    breadcrumb: str
    archive_hash: str


class PruneSummarized(ExternallyTagged):
    """``PruneState::Summarized { summary, archive_hash }``."""

    serde_variant = "Summarized"
    summary: str
    archive_hash: str


_TaggedPruneState: TypeAlias = Annotated[
    Annotated[Literal["Intact"], Tag("Intact")]
    | Annotated[Literal["Cleared"], Tag("Cleared")]
    | Annotated[PruneDeleted, Tag("Deleted")]
    | Annotated[PruneSummarized, Tag("Summarized")],
    external_discriminator("PruneState", "Intact, Cleared, Deleted, Summarized"),
    BeforeValidator(unit_variant_from_map("Intact", "Cleared")),
]
_TAGGED_PRUNE_STATE: TypeAdapter[Any] = TypeAdapter(_TaggedPruneState)


def _prune_state(value: Any) -> Any:
    """Nearly every part is ``"Intact"``: one call answers it, anything else takes the full
    externally tagged union (two Python callables, which every part paid before)."""
    if value == "Intact" and type(value) is str:
        return "Intact"
    return _TAGGED_PRUNE_STATE.validate_python(value)


_WrittenPruneState: TypeAlias = Literal["Intact", "Cleared"] | PruneDeleted | PruneSummarized


class _OneCallFirst:
    """Validate with :func:`_prune_state`; serialize as a plain union, which pydantic-core
    matches by type (a string, or one of the two models) without calling the discriminator."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> cs.CoreSchema:
        written = handler.generate_schema(_WrittenPruneState)
        return cs.no_info_plain_validator_function(
            _prune_state, serialization=cast(Any, written),
            json_schema_input_schema=handler(source),
        )


PruneState: TypeAlias = Annotated[_TaggedPruneState, _OneCallFirst()]
"""Externally tagged; serde also reads ``{"Intact": null}`` (spec §0.1.6)."""


class PluginOrigin(SerdeModel):
    """``MessageOrigin::Plugin``: ``{"kind":"plugin","plugin_id",…}``; transient skipped when false.

    ``kind`` has no default: the enum has one variant, so the tag is what serde checks.
    """

    kind: Literal["plugin"]
    plugin_id: str
    transient: bool = skip_false()


MessageOrigin: TypeAlias = PluginOrigin
"""``#[serde(tag = "kind")] enum MessageOrigin`` has the one variant ``plugin``."""


class Part(SerdeModel):
    """One part of a message; ids are ``"{message_id}.p{index}"``."""

    id: str
    kind: PartKind
    content: str
    attachment: PartAttachment | None = skip_none()
    tool_call_id: str | None = skip_none()
    tool_name: str | None = skip_none()
    tool_replay: ProviderReplayMeta | None = skip_none()
    prune_state: PruneState
    """Required: serde has no default for it."""
    reasoning_meta: ProviderReasoningReplay | None = skip_none()
    response_meta: ResponseTextMeta | None = skip_none()


class Message(SerdeModel):
    """A conversation message; ``origin`` is skipped when None."""

    id: str
    role: MessageRole
    parts: list[Part]
    origin: MessageOrigin | None = skip_none()

    def is_transient(self) -> bool:
        """Transient plugin messages are never written by the append and replace paths."""
        return self.origin is not None and self.origin.transient


ConversationRecord: TypeAlias = Message
"""lash's ``ConversationRecord`` has exactly Message's fields and serde shape."""
