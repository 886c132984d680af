"""The JSON-text validator of a graph node, built from pydantic-core schemas (spec §3.1).

Loading a session validates every node, so this is the hot path of a cold load. The class-level
validators of the node models un-flatten the payload and unwrap serde's external tags in Python
(``mode="before"``/``"wrap"`` validators and a callable discriminator); on JSON text each such
call first turns the node's parsed JSON into Python objects and then validates those again,
which cost about 9 us a node. Here the wire shape is spelled as core schemas instead, so
pydantic-core validates the JSON text directly and only one small Python function per node
assembles the already-validated parts into the models.

What it accepts and refuses is serde's rule, as the Python path's:
- ``kind`` picks the payload (a tagged union on a plain key);
- an event is a map with exactly one key, ``Conversation``, ``Tool`` or ``Mode`` (checked first,
  so a two-key map is refused as an unknown variant before its values are looked at);
- ``Tool`` holds exactly ``{"Invocation": {stable_key, record}}``;
- unknown keys elsewhere are ignored, as serde does without ``deny_unknown_fields``.
Errors name the JSON path (``event.Conversation.parts.0.kind``), not the Python attribute path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pydantic import GetCoreSchemaHandler
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
)
from ._message import Message
from ._mode import ModeEvent
from ._serde import JsonValue
from ._tool_call import ToolCallRecord

_new: Final = object.__new__
_set: Final = object.__setattr__

Fields = tuple[dict[str, Any], None, set[str]]
"""What a model schema's inner validator returns: (field values, extras, fields set)."""


def assemble(cls: type[Any], values: dict[str, Any], fields_set: set[str]) -> Any:
    """An instance of ``cls`` from values that a core schema has already validated.

    Sets what ``model_construct`` sets, without its per-field default handling (there is none
    left to do: every value is present and validated)."""
    obj = _new(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", fields_set)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


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


def _head(string: cs.CoreSchema) -> dict[str, Any]:
    """The node's own keys, ahead of its flattened payload."""
    return {
        "node_id": _field(string),
        "parent_node_id": _field(cs.nullable_schema(string), required=False),
        "timestamp": _field(string),
    }


def _head_values(node: dict[str, Any], payload: Any) -> Fields:
    values = {
        "node_id": node["node_id"],
        "parent_node_id": node.get("parent_node_id"),
        "timestamp": node["timestamp"],
        "payload": payload,
    }
    fields_set = {"node_id", "timestamp", "payload"}
    if "parent_node_id" in node:
        fields_set.add("parent_node_id")
    return values, None, fields_set


def _event_node(node: dict[str, Any]) -> Fields:
    event = node["event"]
    message = event.get("Conversation")
    if message is not None:
        record = assemble(ConversationEvent, {"message": message}, {"message"})
    elif "Tool" in event:
        record = assemble(ToolEvent, event["Tool"]["Invocation"], {"stable_key", "record"})
    else:
        record = assemble(ModeEventRecord, {"event": event["Mode"]}, {"event"})
    payload = assemble(EventPayload, {"kind": "event", "event": record}, {"kind", "event"})
    return _head_values(node, payload)


def _plugin_node(node: dict[str, Any]) -> Fields:
    values = {"kind": "plugin", "plugin_type": node["plugin_type"], "body": node["body"]}
    payload = assemble(PluginPayload, values, {"kind", "plugin_type", "body"})
    return _head_values(node, payload)


def _after(function: Callable[[dict[str, Any]], Fields], fields: dict[str, Any]) -> Any:
    return cs.no_info_after_validator_function(function, cs.typed_dict_schema(fields))


def node_json_schema(node_cls: type[Any], handler: GetCoreSchemaHandler) -> cs.CoreSchema:
    """A model schema for ``node_cls`` that reads the flattened node from JSON text."""
    string = cs.str_schema(strict=True)
    invocation = cs.typed_dict_schema({
        "stable_key": _field(string), "record": _field(handler.generate_schema(ToolCallRecord)),
    })
    event = cs.typed_dict_schema({
        "Conversation": _field(handler.generate_schema(Message), required=False),
        "tool_shape": _field(
            _one_key_of(["Invocation"], TOOL_EVENT_SHAPE), alias="Tool", required=False
        ),
        "Tool": _field(cs.typed_dict_schema({"Invocation": _field(invocation)}), required=False),
        "Mode": _field(handler.generate_schema(ModeEvent), required=False),
    })
    event_node = _after(_event_node, {
        **_head(string),
        "event_shape": _field(_one_key_of(list(EVENT_VARIANTS), EVENT_SHAPE), alias="event"),
        "event": _field(event),
    })
    plugin_node = _after(_plugin_node, {
        **_head(string),
        "plugin_type": _field(string),
        "body": _field(handler.generate_schema(JsonValue)),
    })
    payload = cs.tagged_union_schema({"event": event_node, "plugin": plugin_node}, "kind")
    return cs.model_schema(node_cls, payload)
