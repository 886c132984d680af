"""Externally tagged serde enums (no ``tag`` attribute): ``"Unit"`` or ``{"Variant": data}``.

Internally and adjacently tagged enums need nothing special (a ``Literal`` discriminator field
does it); this module covers the default representation, which pydantic has no name for.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    ConfigDict,
    Discriminator,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._serde import SerdeModel


class _TaggedInput(SerdeModel):
    """Reads ``{serde_variant: body}`` (Python input; see ``_node_wire`` for the JSON-text path
    of graph events).

    Struct variants keep their fields on the model. A newtype variant names its one field in
    ``serde_newtype_field`` and the body is that field's value. Python callers construct the
    model with its fields; only a one-key map naming the variant is unwrapped.
    """

    serde_variant: ClassVar[str]
    serde_newtype_field: ClassVar[str | None] = None

    @model_validator(mode="wrap")
    @classmethod
    def _unwrap_variant(cls, data: Any, handler: Any) -> Any:
        if type(data) is dict and len(data) == 1 and cls.serde_variant in data:
            body = data[cls.serde_variant]
            data = {cls.serde_newtype_field: body} if cls.serde_newtype_field else body
        return handler(data)


class ExternallyTagged(_TaggedInput):
    """A data variant written as ``{serde_variant: body}`` by a wrap serializer."""

    @model_serializer(mode="wrap")
    def _wrap_variant(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body = handler(self)
        if self.serde_newtype_field:
            body = body[self.serde_newtype_field]
        return {self.serde_variant: body}


class NewtypeVariant(_TaggedInput):
    """A newtype variant whose one field is written under the variant's name by pydantic-core
    itself (``serialization_alias``), with no Python serializer: for the hot graph events."""

    model_config = ConfigDict(serialize_by_alias=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields[cls.serde_newtype_field or ""]
        if field.serialization_alias != cls.serde_variant or len(cls.model_fields) != 1:
            raise TypeError(f"{cls.__name__}: one field with serialization_alias=serde_variant")


def external_tag(value: Any) -> str | None:
    """The variant name of an externally tagged value (JSON form or a model instance)."""
    if type(value) is str:
        return value
    if type(value) is dict:
        return next(iter(value)) if len(value) == 1 else None
    return getattr(value, "serde_variant", None)


def external_discriminator(enum_name: str, variants: str) -> Discriminator:
    """A discriminator whose error names the enum and its variants."""
    return Discriminator(
        external_tag,
        custom_error_type="unknown_variant",
        custom_error_message=f"{enum_name}: expected one of {variants}",
    )


def unit_variant_from_map(*units: str) -> Any:
    """serde also reads a unit variant written as ``{"Unit": null}``; normalise it to the string."""

    def convert(value: Any) -> Any:
        if type(value) is dict and len(value) == 1:
            ((key, body),) = value.items()
            if key in units:
                if body is not None:
                    raise PydanticCustomError(
                        "unit_variant", "unit variant {name} takes no data", {"name": key}
                    )
                return key
        return value

    return convert
