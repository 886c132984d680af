"""ToolCallRecord and its outcome, failure, cancellation and control types (spec §5).

``ToolValue`` is plain JSON in Python, with attachments held as :class:`AttachmentRef` objects.
On the wire it uses lash's two reserved encodings (``tool_output.rs``): an attachment is
``{"$lash_tool_value":"attachment","ref":…}`` and an object that has the key
``$lash_tool_value`` itself is escaped as ``{"$lash_tool_value":"object","entries":{…}}``.
Objects are ``BTreeMap``s, so their keys are written sorted.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Final, Literal, TypeAlias

from pydantic import ConfigDict, Field, PlainSerializer, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

from ._json_limits import (
    MAX_JSON_DEPTH,
    depth_error,
    has_lone_surrogate,
    int_as_float,
    surrogate_error,
)
from ._message import AttachmentRef
from ._serde import I64_MIN, U32, U64, U64_MAX, JsonValue, SerdeModel, skip_none

TOOL_VALUE_TAG: Final = "$lash_tool_value"


def _tool_value_error(path: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(
        "tool_value",
        "invalid tool value at {path}: {message}",
        {"path": path or "$", "message": message},
    )


class _NotToolValue(Exception):
    """Raised by the fast walk; the checked walk then says where and why."""


def _decode_fast(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind is str:
        if not value.isascii() and has_lone_surrogate(value):
            raise _NotToolValue
        return value
    if kind is bool or value is None:
        return value
    if kind is dict or kind is list:
        if depth >= MAX_JSON_DEPTH:
            raise _NotToolValue
        if kind is list:
            return [_decode_fast(item, depth + 1) for item in value]
        if TOOL_VALUE_TAG in value:
            raise _NotToolValue  # reserved encodings are rare: the checked walk reads them
        out = {}
        for key in sorted(value):
            if not key.isascii() and has_lone_surrogate(key):
                raise _NotToolValue
            out[key] = _decode_fast(value[key], depth + 1)
        return out
    if kind is int and I64_MIN <= value <= U64_MAX:
        return value
    if kind is float and math.isfinite(value):
        return value
    if isinstance(value, AttachmentRef):
        return value
    raise _NotToolValue


def decode_tool_value(value: Any, path: str = "") -> Any:
    """Read a ToolValue from its JSON form (or accept the Python form unchanged).

    Plain JSON takes one walk without path tracking; reserved encodings, errors and rare huge
    integers take the checked walk, which names the path of a problem. Depth counts the wire
    form (an escaped object is two levels), so what is accepted is what ``_json_limits`` allows
    to be written."""
    if not path:
        try:
            return _decode_fast(value, 0)
        except (_NotToolValue, TypeError):  # TypeError: sorting keys of mixed types
            pass
    return _decode_checked(value, path, 0)


def _entries(value: dict[Any, Any], path: str, depth: int) -> dict[str, Any]:
    out = {}
    for key in sorted(value, key=str):
        if type(key) is not str:
            raise _tool_value_error(path, f"key {key!r} is not a string")
        if has_lone_surrogate(key):
            raise surrogate_error(f"{path}.{key!r}")
        out[key] = _decode_checked(value[key], f"{path}.{key}", depth + 1)
    return out


def _decode_checked(value: Any, path: str, depth: int) -> Any:
    kind = type(value)
    if (kind is dict or kind is list) and depth >= MAX_JSON_DEPTH:
        raise depth_error(path)
    if kind is dict:
        if TOOL_VALUE_TAG not in value:
            return _entries(value, path, depth)
        tag = value[TOOL_VALUE_TAG]
        if type(tag) is not str:
            raise _tool_value_error(path, "reserved tool value tag must be a string")
        if tag == "attachment":
            if len(value) != 2 or "ref" not in value:
                raise _tool_value_error(path, "malformed attachment tool value")
            try:
                return AttachmentRef.model_validate(value["ref"])
            except ValidationError as error:
                raise _tool_value_error(f"{path}.ref", str(error)) from None
        if tag == "object":
            entries = value.get("entries")
            if len(value) != 2 or type(entries) is not dict:
                raise _tool_value_error(path, "malformed escaped object tool value")
            if depth + 1 >= MAX_JSON_DEPTH:
                raise depth_error(f"{path}.entries")
            return _entries(entries, path, depth + 1)
        raise _tool_value_error(path, f"unknown reserved tool value tag `{tag}`")
    if kind is list:
        return [_decode_checked(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    if kind is str:
        if has_lone_surrogate(value):
            raise surrogate_error(path)
        return value
    if kind is bool or value is None or isinstance(value, AttachmentRef):
        return value
    if kind is int:
        return value if I64_MIN <= value <= U64_MAX else int_as_float(value, path)
    if kind is float and math.isfinite(value):
        return value
    raise _tool_value_error(path, f"{kind.__name__} is not a JSON value")


def encode_tool_value(value: Any) -> Any:
    """Write a ToolValue the way lash's ``impl Serialize for ToolValue`` does."""
    kind = type(value)
    if kind is dict:
        entries = {k: encode_tool_value(value[k]) for k in sorted(value)}
        if TOOL_VALUE_TAG in value:
            return {TOOL_VALUE_TAG: "object", "entries": entries}
        return entries
    if kind is list:
        return [encode_tool_value(item) for item in value]
    if isinstance(value, AttachmentRef):
        return {TOOL_VALUE_TAG: "attachment", "ref": value.model_dump(mode="json")}
    return value


ToolValue = Annotated[
    Any,
    PlainValidator(decode_tool_value, json_schema_input_type=Any),
    PlainSerializer(encode_tool_value, return_type=Any),
]
"""JSON with attachments as AttachmentRef objects; see the module docstring for the wire form."""

ToolFailureClass: TypeAlias = Literal[
    "invalid_request", "unavailable", "permission_denied", "timeout",
    "execution", "external", "resource_limit", "internal",
]
ToolFailureSource: TypeAlias = Literal["runtime", "tool", "plugin", "policy", "cancellation"]


class RetryNever(SerdeModel):
    """``{"type":"never"}``."""

    type: Literal["never"] = "never"


class RetrySafe(SerdeModel):
    """``{"type":"safe","after_ms"?}``; after_ms skipped when None."""

    type: Literal["safe"] = "safe"
    after_ms: U64 | None = skip_none()


class RetryExhausted(SerdeModel):
    """``{"type":"exhausted","attempts"}`` (u32)."""

    type: Literal["exhausted"] = "exhausted"
    attempts: U32


ToolRetryDisposition: TypeAlias = Annotated[
    RetryNever | RetrySafe | RetryExhausted, Field(discriminator="type")
]


class ToolFailure(SerdeModel):
    """A failed tool call. ``class`` is a Python keyword, so the attribute is ``class_``."""

    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    class_: ToolFailureClass = Field(alias="class")
    code: str
    message: str
    source: ToolFailureSource
    retry: ToolRetryDisposition
    raw: ToolValue = skip_none()
    """``Option<ToolValue>``: null reads as None and None is skipped (spec §0.1.2)."""


class ToolCancellation(SerdeModel):
    """A cancelled tool call; ``raw`` as in ToolFailure."""

    message: str
    source: ToolFailureSource
    raw: ToolValue = skip_none()


class ControlHandoff(SerdeModel):
    """``{"type":"handoff","session_id"}``."""

    type: Literal["handoff"] = "handoff"
    session_id: str


class ControlFinish(SerdeModel):
    """``{"type":"finish","value"}``; value is a required ToolValue."""

    type: Literal["finish"] = "finish"
    value: ToolValue


class ControlFail(SerdeModel):
    """``{"type":"fail","failure"}``."""

    type: Literal["fail"] = "fail"
    failure: ToolFailure


ToolControl: TypeAlias = Annotated[
    ControlHandoff | ControlFinish | ControlFail, Field(discriminator="type")
]


class OutcomeSuccess(SerdeModel):
    """``{"status":"success","payload": ToolValue}`` (adjacently tagged)."""

    status: Literal["success"] = "success"
    payload: ToolValue


class OutcomeFailure(SerdeModel):
    """``{"status":"failure","payload": ToolFailure}``."""

    status: Literal["failure"] = "failure"
    payload: ToolFailure


class OutcomeCancelled(SerdeModel):
    """``{"status":"cancelled","payload": ToolCancellation}``."""

    status: Literal["cancelled"] = "cancelled"
    payload: ToolCancellation


ToolCallOutcome: TypeAlias = Annotated[
    OutcomeSuccess | OutcomeFailure | OutcomeCancelled, Field(discriminator="status")
]


class ToolCallOutput(SerdeModel):
    """``{outcome, control?}``; control skipped when None."""

    outcome: ToolCallOutcome
    control: ToolControl | None = skip_none()


class ToolCallRecord(SerdeModel):
    """One executed tool call as the graph stores it in a Tool/Invocation node."""

    call_id: str | None = skip_none()
    tool: str
    args: JsonValue
    """``serde_json::Value``, required (a missing Value is an error in serde)."""
    output: ToolCallOutput
    duration_ms: U64
