"""The JSON-text validator of a graph node, built from pydantic-core schemas (spec §3.1).

Loading a session validates every node, so this is the hot path of a cold load. The class-level
validators of the node models un-flatten the payload and unwrap serde's external tags in Python
(``mode="before"``/``"wrap"`` validators and a callable discriminator); on JSON text each such
call first turns the node's parsed JSON into Python objects and then validates those again,
which cost about 9 us a node. Here the wire shape is spelled as core schemas instead:
pydantic-core validates the JSON text directly and builds the models itself; small functions
only say which validated value fills which field (no Python sees the raw JSON).

What it accepts and refuses is serde's rule, as the Python path's:
- ``kind`` picks the payload (a tagged union on a plain key);
- an event is a map with exactly one key, ``Conversation``, ``Tool`` or ``Mode`` (checked first,
  so a two-key map is refused as an unknown variant before its values are looked at);
- ``Tool`` holds exactly ``{"Invocation": {stable_key, record}}``;
- unknown keys elsewhere are ignored, as serde does without ``deny_unknown_fields``;
- the Python-only ``payload=`` form (a constructor keyword) is not a wire shape and is refused.
Errors name the JSON path after the ``kind`` tag (``event.event.Conversation.parts.0.kind``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from pydantic import TypeAdapter
from pydantic_core import SchemaValidator
from pydantic_core import core_schema as cs

from ._events import (
    EVENT_SHAPE,
    EVENT_VARIANTS,
    TOOL_EVENT_SHAPE,
    ConversationEvent,
    EventPayload,
    ModeEventRecord,
    PluginPayload,
    ToolEvent,
    ToolEventRecord,
)
from ._message import Message
from ._mode import ModeEvent
from ._serde import JsonValue
from ._tool_call import ToolCallRecord

_new: Final = object.__new__
_set: Final = object.__setattr__

Fields = tuple[dict[str, Any], None, set[str]]
"""What a model schema's inner validator returns: (field values, extras, fields set)."""

_MODELS: Final = (ConversationEvent, EventPayload, ModeEventRecord, ToolEvent, ToolEventRecord)


def assemble(cls: type[Any], values: dict[str, Any], fields_set: set[str]) -> Any:
    """An instance of ``cls`` from values that a core schema has already validated (what
    ``model_construct`` sets); used for the rare plugin payload only."""
    obj = _new(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", fields_set)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


@contextmanager
def _own_schemas(*classes: type[Any]) -> Iterator[None]:
    """Let a model schema for these (already built) classes use the schema given to it.

    pydantic-core swaps a ``model`` schema whose class is complete for that class's own
    validator ("prebuilt"); here the same classes are read from a different wire shape, so
    they are marked incomplete while this module's validator is built (import time, once)."""
    for cls in classes:
        type.__setattr__(cls, "__pydantic_complete__", False)
    try:
        yield
    finally:
        for cls in classes:
            type.__setattr__(cls, "__pydantic_complete__", True)


def _one_key_of(keys: list[str], message: str) -> cs.CoreSchema:
    """A map with exactly one of ``keys``; its value is not looked at (nor copied)."""
    anything = cs.union_schema([cs.typed_dict_schema({}), cs.any_schema()], mode="left_to_right")
    shape = cs.dict_schema(
        keys_schema=cs.literal_schema(keys), values_schema=anything, min_length=1, max_length=1
    )
    return cs.custom_error_schema(
        shape, custom_error_type="unknown_variant", custom_error_message=message
    )


def _field(schema: cs.CoreSchema, *, alias: str | None = None, required: bool = True) -> Any:
    return cs.typed_dict_field(schema, validation_alias=alias, required=required)


def _model(cls: type[Any], build: Callable[[Any], Fields], schema: cs.CoreSchema) -> Any:
    """``cls`` built by pydantic-core from what ``build`` makes of the validated ``schema``."""
    return cs.model_schema(cls, cs.no_info_after_validator_function(build, schema))


def _conversation(message: Any) -> Fields:
    return {"message": message}, None, {"message"}


def _tool(wire: dict[str, Any]) -> Fields:
    return wire["Invocation"], None, {"stable_key", "record"}


def _tool_record(event: Any) -> Fields:
    return {"event": event}, None, {"event"}


def _mode(event: Any) -> Fields:
    return {"event": event}, None, {"event"}


def _event_payload(wire: dict[str, Any]) -> Fields:
    record = wire.get("Conversation") or wire.get("Tool") or wire.get("Mode")
    if record is None:  # the one-key guard has refused this map; its error is what is reported
        return {}, None, set()
    return {"kind": "event", "event": record}, None, {"kind", "event"}


def _node(head: dict[str, Any], payload: Any) -> Fields:
    values = {
        "node_id": head["node_id"],
        "parent_node_id": head.get("parent_node_id"),
        "timestamp": head["timestamp"],
        "payload": payload,
    }
    fields_set = {"node_id", "timestamp", "payload"}
    if "parent_node_id" in head:
        fields_set.add("parent_node_id")
    return values, None, fields_set


def _event_node(node: dict[str, Any]) -> Fields:
    if "parent_node_id" not in node:
        return _node(node, node["payload"])
    del node["event_shape"]  # the rest is the node's fields, in order: reuse the dict
    return node, None, {"node_id", "parent_node_id", "timestamp", "payload"}


def _plugin_node(node: dict[str, Any]) -> Fields:
    values = {"kind": "plugin", "plugin_type": node["plugin_type"], "body": node["body"]}
    return _node(node, assemble(PluginPayload, values, {"kind", "plugin_type", "body"}))


def _prebuilt(cls: type[Any]) -> cs.CoreSchema:
    """``cls``'s own validator: pydantic-core reuses it for a model schema of a complete class."""
    return cs.model_schema(cls, cs.any_schema())


def _json_schema(node_cls: type[Any]) -> cs.CoreSchema:
    string = cs.str_schema(strict=True)
    head = {
        "node_id": _field(string),
        "parent_node_id": _field(cs.nullable_schema(string), required=False),
        "timestamp": _field(string),
    }
    invocation = cs.typed_dict_schema({
        "stable_key": _field(string), "record": _field(_prebuilt(ToolCallRecord)),
    })
    event = cs.typed_dict_schema({
        "Conversation": _field(
            _model(ConversationEvent, _conversation, _prebuilt(Message)),
            required=False,
        ),
        "tool_shape": _field(
            _one_key_of(["Invocation"], TOOL_EVENT_SHAPE), alias="Tool", required=False
        ),
        "Tool": _field(
            _model(ToolEventRecord, _tool_record, _model(
                ToolEvent, _tool, cs.typed_dict_schema({"Invocation": _field(invocation)})
            )),
            required=False,
        ),
        "Mode": _field(
            _model(ModeEventRecord, _mode, _prebuilt(ModeEvent)), required=False
        ),
    })
    event_shape = _one_key_of(list(EVENT_VARIANTS), EVENT_SHAPE)
    event_node = cs.typed_dict_schema({
        **head,
        "event_shape": _field(event_shape, alias="event"),
        "payload": _field(_model(EventPayload, _event_payload, event), alias="event"),
    })
    plugin_node = cs.typed_dict_schema({
        **head,
        "plugin_type": _field(string),
        "body": _field(TypeAdapter(JsonValue).core_schema),
    })
    payload = cs.tagged_union_schema(
        {
            "event": cs.no_info_after_validator_function(_event_node, event_node),
            "plugin": cs.no_info_after_validator_function(_plugin_node, plugin_node),
        },
        "kind",
    )
    return cs.model_schema(node_cls, payload)


def node_validator(node_cls: type[Any]) -> SchemaValidator:
    """The validator to install as ``node_cls.__pydantic_validator__``: JSON text takes the
    core-schema path above, Python input the model's own schema. Models that embed the node
    (built later) pick it up, as pydantic-core reuses a complete class's validator."""
    schema = cs.json_or_python_schema(
        json_schema=_json_schema(node_cls), python_schema=node_cls.__pydantic_core_schema__
    )
    with _own_schemas(node_cls, *_MODELS):
        return SchemaValidator(schema)
