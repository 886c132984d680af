"""Child-session requests (spec §13): where a session starts and what it is seeded with."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import AfterValidator, Field

from ._message import Message, MessageRole, Part
from ._mode import ModeEvent
from ._policy import SessionPolicy
from ._serde import U8, ByteVec, JsonValue, OpaqueJson, SerdeModel, skip_empty, skip_none
from ._session_meta import RootRelation, SessionRelation
from ._state import PersistedSessionState

SessionSnapshot: TypeAlias = PersistedSessionState
"""lash: ``type SessionSnapshot = PersistedSessionState``."""


class EmptyStart(SerdeModel):
    """``{"kind":"empty"}``: a default state with the new id."""

    kind: Literal["empty"] = "empty"


class CurrentSessionStart(SerdeModel):
    """``{"kind":"current_session"}``: the parent's current state."""

    kind: Literal["current_session"] = "current_session"


class ExistingSessionStart(SerdeModel):
    """``{"kind":"existing_session","session_id"}``."""

    kind: Literal["existing_session"] = "existing_session"
    session_id: str


class SnapshotStart(SerdeModel):
    """``{"kind":"snapshot","snapshot": PersistedSessionState}``."""

    kind: Literal["snapshot"] = "snapshot"
    snapshot: PersistedSessionState


SessionStartPoint: TypeAlias = Annotated[
    EmptyStart | CurrentSessionStart | ExistingSessionStart | SnapshotStart,
    Field(discriminator="kind"),
]


class PluginMessage(SerdeModel):
    """``{role, content, parts?, images? (byte arrays)}``; both lists are skipped when empty."""

    role: MessageRole
    content: str
    parts: list[Part] = skip_empty(list)
    images: list[ByteVec] = skip_empty(list)

    def to_message(self, message_id: str) -> Message:
        """``plugin_message_to_message``: one Text part unless parts are given; part ids renumbered;
        origin plugin ``"plugin"``. (Images are not carried over, as in lash.)"""
        parts = self.parts or [
            Part(id="", kind="Text", content=self.content, prune_state="Intact")
        ]
        parts = [p.model_copy(update={"id": f"{message_id}.p{i}"}) for i, p in enumerate(parts)]
        return Message.model_validate(
            {
                "id": message_id,
                "role": self.role,
                "parts": parts,
                "origin": {"kind": "plugin", "plugin_id": "plugin"},
            }
        )


class MessageAppendNode(SerdeModel):
    """``{"kind":"message","message": PluginMessage}``."""

    kind: Literal["message"] = "message"
    message: PluginMessage


class ModeEventAppendNode(SerdeModel):
    """``{"kind":"mode_event","event": ModeEvent}``."""

    kind: Literal["mode_event"] = "mode_event"
    event: ModeEvent


class PluginAppendNode(SerdeModel):
    """``{"kind":"plugin","plugin_type","body" (default null)}``."""

    kind: Literal["plugin"] = "plugin"
    plugin_type: str
    body: JsonValue = None


SessionAppendNode: TypeAlias = Annotated[
    MessageAppendNode | ModeEventAppendNode | PluginAppendNode, Field(discriminator="kind")
]


class SessionToolAccess(SerdeModel):
    """``{tools? (opaque tool definitions), hidden_tools? (a BTreeSet: sorted, unique)}``."""

    tools: list[OpaqueJson] = skip_empty(list)
    hidden_tools: Annotated[list[str], AfterValidator(lambda v: sorted(set(v)))] = skip_empty(list)


class SubagentSessionContext(SerdeModel):
    """``{parent_session_id, capability, depth (u8), max_depth (u8)}``."""

    parent_session_id: str
    capability: str
    depth: U8
    max_depth: U8


class ModeExtras(SerdeModel):
    """``{mode_id, payload (default null)}``; the struct default is standard with ``{}``."""

    mode_id: str
    payload: JsonValue = None


def _default_mode_extras() -> ModeExtras:
    return ModeExtras(mode_id="standard", payload={})


class SessionCreateRequest(SerdeModel):
    """A request to create a (child) session. ``policy`` is written as null when None."""

    session_id: str | None = skip_none()
    relation: SessionRelation = Field(default_factory=RootRelation)
    start: SessionStartPoint
    policy: SessionPolicy | None = None
    plugin_mode: Literal["fresh", "inherit_current"] = "inherit_current"
    initial_nodes: list[SessionAppendNode] = []
    first_turn_input: PluginMessage | None = skip_none()
    tool_access: SessionToolAccess = Field(default_factory=SessionToolAccess)
    subagent: SubagentSessionContext | None = skip_none()
    mode_extras: ModeExtras = Field(default_factory=_default_mode_extras)
    usage_source: str | None = skip_none()
