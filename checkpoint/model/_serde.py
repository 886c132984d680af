"""The shared base for serde-exact models: strict scalars, skip rules, JSON values, byte vectors.

Every model in ``checkpoint.model`` subclasses :class:`SerdeModel`. The helpers here spell each
serde attribute once, so a field's declaration reads like the Rust one it mirrors:

- ``skip_none()``    ``#[serde(default, skip_serializing_if = "Option::is_none")]``
- ``skip_false()``   ``#[serde(default, skip_serializing_if = "std::ops::Not::not")]``
- ``skip_empty()``   ``#[serde(default, skip_serializing_if = "Vec::is_empty")]`` (or a map)
- an ``Option`` field with a plain ``= None`` default is written as ``null`` (no skip)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Final, Self, TypeAlias, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    PlainValidator,
)
from pydantic_core import PydanticCustomError, ValidationError, core_schema

from ._json_limits import (
    MAX_JSON_DEPTH,
    depth_error,
    has_lone_surrogate,
    int_as_float,
    refuse_unwritable,
    surrogate_error,
)
from ._json_text import duplicate_field_errors, has_duplicate_keys, serde_json_text

U64_MAX: Final = 2**64 - 1
I64_MIN: Final = -(2**63)
I64_MAX: Final = 2**63 - 1

U64 = Annotated[int, Field(ge=0, le=U64_MAX)]
"""Rust ``u64``: serde refuses negatives, floats, strings, booleans and values above 2^64-1."""
Usize = U64
"""Rust ``usize`` on a 64-bit target."""
U32 = Annotated[int, Field(ge=0, le=2**32 - 1)]
U16 = Annotated[int, Field(ge=0, le=2**16 - 1)]
U8 = Annotated[int, Field(ge=0, le=255)]
I64 = Annotated[int, Field(ge=I64_MIN, le=I64_MAX)]

BlobRef: TypeAlias = str
"""``#[serde(transparent)] struct BlobRef(String)``: the bare string (sha256 hex in our stores)."""


class SerdeModel(BaseModel):
    """Strict like serde: no coercion; unknown keys ignored (serde without deny_unknown_fields).

    ``model_validate`` refuses Python input holding a lone surrogate in any string or key before
    validating it (see ``_json_limits``); JSON text cannot carry one, so ``model_validate_json``
    pays nothing for it. Constructors are not checked: pydantic builds nested models through
    them while validating, so a check there would walk every subtree again (quadratic); code
    that builds models from outside values (a provider's reply, a tool's output) checks them
    where they enter (``activities/agent/_poison.py``)."""

    model_config = ConfigDict(strict=True, extra="ignore", validate_default=False)

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """As pydantic's, but Python input that JSON cannot carry back is refused up front."""
        if not isinstance(obj, cls):
            refuse_unwritable(cls, obj)
        return super().model_validate(obj, **kwargs)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """As pydantic's, but a struct field given twice is refused as serde refuses it
        (``duplicate field `x```); in free-form JSON and maps the last value wins, as in
        serde_json. pydantic-core keeps the last value everywhere, so the text is scanned
        first (``_json_text.has_duplicate_keys``)."""
        if has_duplicate_keys(json_data):
            errors = duplicate_field_errors(json_data, cls.__pydantic_validator__.validate_python)
            if errors:
                raise ValidationError.from_exception_data(cls.__name__, errors)
        return super().model_validate_json(json_data, **kwargs)

    @classmethod
    def from_stored_json(cls, json_data: str | bytes | bytearray) -> Self:
        """Read text this project's store wrote itself: it comes from ``model_dump_json``, so
        it has no repeated key, and the scan ``model_validate_json`` makes for text from
        outside (which doubles the cost of reading a whole state) is skipped."""
        return cls.__pydantic_validator__.validate_json(json_data)  # type: ignore[no-any-return]

    def model_dump_json(self, **kwargs: Any) -> str:
        """As pydantic's, with floats spelled as serde_json (ryu) spells them (``_json_text``)."""
        return serde_json_text(super().model_dump_json(**kwargs))


class ForbidExtraModel(SerdeModel):
    """A serde type that refuses unknown keys (a unit struct, a one-key externally tagged map)."""

    model_config = ConfigDict(extra="forbid")


def _is_none(value: object) -> bool:
    return value is None


def _is_false(value: object) -> bool:
    return value is False


def _is_empty(value: object) -> bool:
    return not value


def skip_none() -> Any:
    """``Option<T>`` with ``default, skip_serializing_if = "Option::is_none"``."""
    return Field(default=None, exclude_if=_is_none)


def skip_false() -> Any:
    """``bool`` with ``default, skip_serializing_if = "std::ops::Not::not"``."""
    return Field(default=False, exclude_if=_is_false)


_T = TypeVar("_T")


def skip_empty(factory: Callable[[], _T]) -> Any:
    """A collection with ``default, skip_serializing_if = "…::is_empty"``."""
    return Field(default_factory=factory, exclude_if=_is_empty)


# --- serde_json::Value ----------------------------------------------------------------------

_JSON_SCALARS: Final = (str, int, bool, type(None))


def _json_error(path: str, value: object) -> PydanticCustomError:
    return PydanticCustomError(
        "json_value",
        "not a JSON value at {path}: {kind}",
        {"path": path or "$", "kind": type(value).__name__},
    )


class _NotJson(Exception):
    """Raised by the fast walk; the checked walk then says where and why."""


def _canonical_fast(value: Any, sort: bool, depth: int) -> Any:
    kind = type(value)
    if kind is str:
        if not value.isascii() and has_lone_surrogate(value):
            raise _NotJson
        return value
    if kind is bool or value is None:
        return value
    if kind is dict or kind is list:
        if depth >= MAX_JSON_DEPTH:
            raise _NotJson
        if kind is list:
            return [_canonical_fast(item, sort, depth + 1) for item in value]
        out: dict[str, Any] = {}
        for key in sorted(value) if sort else value:
            if type(key) is not str or (not key.isascii() and has_lone_surrogate(key)):
                raise _NotJson
            out[key] = _canonical_fast(value[key], sort, depth + 1)
        return out
    if kind is int and I64_MIN <= value <= U64_MAX:
        return value
    if kind is float and math.isfinite(value):
        return value
    raise _NotJson


def canonical_json(value: Any, *, sort: bool = True) -> Any:
    """A JSON tree as serde_json holds it: maps with string keys (sorted when ``sort``), no lone
    surrogates, at most ``MAX_JSON_DEPTH`` deep (see ``_json_limits``).

    Walks once without tracking paths (every node and every dump passes here); only a value
    that is not JSON (or is a rare huge integer) is walked again, to name where and why."""
    try:
        return _canonical_fast(value, sort, 0)
    except (_NotJson, TypeError):  # TypeError: sorting keys of mixed types
        return _canonical_checked(value, sort, "", 0)


def _canonical_checked(value: Any, sort: bool, path: str, depth: int) -> Any:
    kind = type(value)
    if kind is dict or kind is list:
        if depth >= MAX_JSON_DEPTH:
            raise depth_error(path)
        if kind is list:
            return [
                _canonical_checked(item, sort, f"{path}[{i}]", depth + 1)
                for i, item in enumerate(value)
            ]
        keys = sorted(value, key=str) if sort else list(value)
        out: dict[str, Any] = {}
        for key in keys:
            if type(key) is not str:
                raise _json_error(f"{path}.{key!r}", key)
            if has_lone_surrogate(key):
                raise surrogate_error(f"{path}.{key!r}")
            out[key] = _canonical_checked(value[key], sort, f"{path}.{key}", depth + 1)
        return out
    if kind is str:
        if has_lone_surrogate(value):
            raise surrogate_error(path)
        return value
    if kind is int and not I64_MIN <= value <= U64_MAX:
        return int_as_float(value, path)  # serde_json without arbitrary_precision: an f64
    if kind in _JSON_SCALARS:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _json_error(path, value)
        return value
    raise _json_error(path, value)


def _validate_sorted_json(value: Any) -> Any:
    return canonical_json(value, sort=True)


def _validate_opaque_json(value: Any) -> Any:
    return canonical_json(value, sort=False)


JsonValue = Annotated[
    Any,
    PlainValidator(_validate_sorted_json, json_schema_input_type=Any),
    PlainSerializer(_validate_sorted_json, return_type=Any),
]
"""``serde_json::Value``: any JSON; objects are written with sorted keys (spec §0.1.1)."""

OpaqueJson = Annotated[
    Any,
    PlainValidator(_validate_opaque_json, json_schema_input_type=Any),
    PlainSerializer(_validate_opaque_json, return_type=Any),
]
"""A typed lash struct we keep opaque (tool manifest, prompt template): key order is kept."""

JsonObject = Annotated[
    dict[str, Any],
    PlainValidator(lambda v: _require_object(_validate_sorted_json(v))),
    PlainSerializer(_validate_sorted_json, return_type=Any),
]
"""``serde_json::Map<String, Value>``: a JSON object, written with sorted keys."""


def _require_object(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise PydanticCustomError("dict_type", "Input should be an object")
    return value


# --- Vec<u8> --------------------------------------------------------------------------------


def _validate_byte_vec(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if type(value) is not list:
        raise PydanticCustomError(
            "byte_array", "expected an array of integers 0..255 (serde Vec<u8>), got {kind}",
            {"kind": type(value).__name__},
        )
    if not set(map(type, value)) - {int}:  # C-speed checks first: blobs can be megabytes
        try:
            return bytes(value)
        except ValueError:
            pass
    for index, item in enumerate(value):
        if type(item) is not int or not 0 <= item <= 255:
            raise PydanticCustomError(
                "byte_array", "byte {index} is {item!r}, not an integer 0..255",
                {"index": index, "item": item},
            )
    raise AssertionError("unreachable: every byte was valid")  # pragma: no cover


def _dump_byte_vec(value: bytes) -> list[int]:
    return list(value)


ByteVec = Annotated[
    bytes,
    PlainValidator(_validate_byte_vec, json_schema_input_type=list[int]),
    PlainSerializer(_dump_byte_vec, return_type=list[int]),
]
"""``Vec<u8>`` without serde_bytes: a JSON array of integers; ``bytes`` in Python."""


def sorted_map(value: dict[str, _T]) -> dict[str, _T]:
    """A ``BTreeMap<String, _>`` is written in key order; keep it that way in memory too."""
    return {key: value[key] for key in sorted(value)}


class _SortedKeys:
    """Annotated marker for a ``BTreeMap``: sorted after validation and again when written."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            sorted_map,
            handler(source),
            serialization=core_schema.wrap_serializer_function_ser_schema(
                lambda value, nxt: nxt(sorted_map(value)), schema=handler(source)
            ),
        )


SORTED_KEYS: Final = _SortedKeys()
"""Use as ``Annotated[dict[str, X], SORTED_KEYS]`` for a serde ``BTreeMap<String, X>``."""
