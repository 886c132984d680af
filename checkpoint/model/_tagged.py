"""Externally tagged serde enums (no ``tag`` attribute): ``"Unit"`` or ``{"Variant": data}``.

Internally and adjacently tagged enums need nothing special (a ``Literal`` discriminator field
does it); this module covers the default representation, which pydantic has no name for.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Discriminator, SerializerFunctionWrapHandler, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from ._serde import SerdeModel


class ExternallyTagged(SerdeModel):
    """A data variant written as ``{serde_variant: body}``.

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

    @model_serializer(mode="wrap")
    def _wrap_variant(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body = handler(self)
        if self.serde_newtype_field:
            body = body[self.serde_newtype_field]
        return {self.serde_variant: body}


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
