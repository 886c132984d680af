"""SessionMeta and SessionRelation (spec §9, §0.1.3): who a session is and where it came from."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, model_validator

from ._serde import JsonObject, SerdeModel, skip_empty, skip_none


class RootRelation(SerdeModel):
    """``{"kind":"root"}``."""

    kind: Literal["root"] = "root"


class ChildRelation(SerdeModel):
    """``{"kind":"child","parent_session_id","originating_tool_call_id"?}``."""

    kind: Literal["child"] = "child"
    parent_session_id: str
    originating_tool_call_id: str | None = skip_none()


class HandoffRelation(SerdeModel):
    """``{"kind":"handoff","parent_session_id","reason","metadata"? (skipped when empty)}``."""

    kind: Literal["handoff"] = "handoff"
    parent_session_id: str
    reason: str
    metadata: JsonObject = skip_empty(dict)


SessionRelation: TypeAlias = Annotated[
    RootRelation | ChildRelation | HandoffRelation, Field(discriminator="kind")
]


def relation_parent(relation: RootRelation | ChildRelation | HandoffRelation) -> str | None:
    """``SessionRelation::parent_session_id()``."""
    return None if isinstance(relation, RootRelation) else relation.parent_session_id


class SessionMeta(SerdeModel):
    """A session's metadata row. ``cwd`` and ``parent_session_id`` are always written (null).

    Reading: a missing ``relation`` is derived from ``parent_session_id`` (child, or root), and a
    missing ``parent_session_id`` is filled from the relation.
    """

    session_id: str
    session_name: str
    created_at: str
    model: str
    cwd: str | None = None
    parent_session_id: str | None = None
    relation: SessionRelation = Field(default_factory=RootRelation)

    @model_validator(mode="before")
    @classmethod
    def _derive_relation(cls, data: Any) -> Any:
        if type(data) is dict and data.get("relation") is None:
            data = dict(data)
            parent = data.get("parent_session_id")
            data["relation"] = (
                {"kind": "child", "parent_session_id": parent}
                if type(parent) is str
                else {"kind": "root"}
            )
        return data

    @model_validator(mode="after")
    def _fill_parent(self) -> SessionMeta:
        if self.parent_session_id is None:
            self.parent_session_id = relation_parent(self.relation)
        return self
