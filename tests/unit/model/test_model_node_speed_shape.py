"""Graph nodes read from JSON text (the core-schema fast path) behave as the Python path does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from model_builders import mode_event, text_message, tool_record
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from checkpoint.model import (
    ConversationEvent,
    EventPayload,
    ModeEventRecord,
    PersistedSessionState,
    SessionNodeRecord,
)
from checkpoint.model._serde import canonical_json
from checkpoint.model._tagged import NewtypeVariant
from checkpoint.model._tool_call import decode_tool_value, encode_tool_value

NODES = TypeAdapter(list[SessionNodeRecord])
FIXTURE = Path(__file__).parent / "fixtures" / "section11_state.json"
MESSAGE = text_message("m1").model_dump(mode="json")
RECORD = tool_record("c1", answer={"b": 1, "a": [1, None]}).model_dump(mode="json")
MODE = mode_event().model_dump(mode="json")
HEAD = {"node_id": "n2", "parent_node_id": "n1", "timestamp": "2026-05-19T09:12:03Z"}

GOOD: list[dict[str, Any]] = [
    {**HEAD, "kind": "event", "event": {"Conversation": MESSAGE}},
    {"node_id": "n1", "timestamp": "t", "kind": "event", "event": {"Conversation": MESSAGE}},
    {**HEAD, "parent_node_id": None, "kind": "event", "event": {"Conversation": MESSAGE}},
    {**HEAD, "kind": "event", "event": {"Tool": {"Invocation": {"stable_key": "k",
                                                                  "record": RECORD}}}},
    {**HEAD, "kind": "event", "event": {"Mode": MODE}},
    {**HEAD, "kind": "plugin", "plugin_type": "p", "body": {"z": 1, "a": [2.5, None]}},
    {**HEAD, "kind": "plugin", "plugin_type": "p", "body": None},
    {**HEAD, "future": 1, "kind": "event", "event": {"Conversation": {**MESSAGE, "x": 2}}},
]

BAD: list[tuple[dict[str, Any], str]] = [
    ({"node_id": "n", "timestamp": "t"}, "kind"),
    ({**HEAD, "kind": "weird"}, "weird"),
    ({"node_id": "n", "kind": "plugin", "plugin_type": "p", "body": 1}, "timestamp"),
    ({**HEAD, "kind": "plugin", "plugin_type": "p"}, "body"),
    ({**HEAD, "node_id": 5, "kind": "event", "event": {"Mode": MODE}}, "node_id"),
    ({**HEAD, "kind": "event", "event": {"Tool": {"Call": {}}}}, "Invocation"),
    ({**HEAD, "kind": "event", "event": {"Tool": {"Invocation": {"stable_key": "k",
                                                                   "record": RECORD}, "X": 1}}},
     "Invocation"),
    ({**HEAD, "kind": "event", "event": {"Conversation": {**MESSAGE, "role": "user"}}}, "role"),
    ({**HEAD, "kind": "event", "event": {"Conversation": MESSAGE, "Mode": {}}},
     "SessionEventRecord"),
    ({**HEAD, "kind": "event", "event": {"Conversation": MESSAGE, "Mode": MODE}},
     "SessionEventRecord"),
    ({**HEAD, "kind": "event", "event": {"Foo": {}}}, "SessionEventRecord"),
    ({**HEAD, "kind": "event", "event": {}}, "SessionEventRecord"),
    ({**HEAD, "kind": "event", "event": {"Mode": {"mode_id": "m"}}}, "payload"),
    ({**HEAD, "kind": "event", "event": {"Conversation": {
        **MESSAGE, "parts": [{**MESSAGE["parts"][0], "prune_state": "Gone"}]}}}, "PruneState"),
]


def _sets(node: SessionNodeRecord) -> list[set[str]]:
    payload = node.payload
    sets = [node.model_fields_set, payload.model_fields_set]
    if isinstance(payload, EventPayload):
        sets.append(payload.event.model_fields_set)
    return sets


@pytest.mark.parametrize("doc", GOOD)
def test_json_text_and_python_input_build_the_same_node(doc: dict[str, Any]) -> None:
    """Equal models, equal fields-set bookkeeping, and the same bytes written back."""
    from_python = SessionNodeRecord.model_validate(doc)
    from_text = SessionNodeRecord.model_validate_json(json.dumps(doc))
    assert from_text == from_python
    assert type(from_text.payload) is type(from_python.payload)
    assert _sets(from_text) == _sets(from_python)
    assert from_text.model_dump_json() == from_python.model_dump_json()
    assert json.loads(from_text.model_dump_json()) == from_text.model_dump(mode="json")


@pytest.mark.parametrize(("doc", "reason"), BAD)
def test_json_text_refuses_what_python_input_refuses(doc: dict[str, Any], reason: str) -> None:
    """Both paths refuse the node, and the JSON path's error says what was wrong."""
    with pytest.raises(ValidationError):
        SessionNodeRecord.model_validate(doc)
    with pytest.raises(ValidationError) as caught:
        SessionNodeRecord.model_validate_json(json.dumps(doc))
    assert reason in str(caught.value)


def test_json_errors_name_the_path_inside_a_state() -> None:
    """A bad message deep in a state's graph is reported at its JSON path."""
    node = {**HEAD, "kind": "event", "event": {"Conversation": {**MESSAGE, "role": "user"}}}
    text = json.dumps({"session_id": "s", "session_graph": {"nodes": [node]}})
    with pytest.raises(ValidationError) as caught:
        PersistedSessionState.model_validate_json(text)
    locs = [tuple(error["loc"]) for error in caught.value.errors()]
    assert ("session_graph", "nodes", 0, "event", "event", "Conversation", "role") in locs


def test_embedding_models_and_adapters_use_the_json_path() -> None:
    """The constructor-only ``payload=`` form is Python input, not a wire shape: JSON text
    refuses it wherever a node is embedded, which shows the core-schema path is in use."""
    doc = {**HEAD, "payload": {"kind": "event", "event": {"Mode": MODE}}}
    assert SessionNodeRecord.model_validate(doc).event() == ModeEventRecord.model_validate(
        {"Mode": MODE}
    )
    with pytest.raises(ValidationError):
        NODES.validate_json(json.dumps([doc]))
    with pytest.raises(ValidationError):
        PersistedSessionState.model_validate_json(
            json.dumps({"session_id": "s", "session_graph": {"nodes": [doc]}})
        )


def test_fixture_nodes_round_trip_byte_for_byte() -> None:
    """Every §11 node read from text writes back the identical JSON, key order included."""
    docs = json.loads(FIXTURE.read_text())["session_graph"]["nodes"]
    nodes = NODES.validate_json(json.dumps(docs))
    assert [json.loads(n.model_dump_json()) for n in nodes] == docs
    assert [list(json.loads(n.model_dump_json())) for n in nodes] == [list(d) for d in docs]
    assert NODES.dump_json(nodes) == json.dumps(docs, separators=(",", ":")).encode()


def test_constructed_nodes_write_the_serde_shape() -> None:
    """Nodes built in Python write node keys first, parent skipped when None, then the payload."""
    node = SessionNodeRecord(
        node_id="n", timestamp="t",
        payload=EventPayload(event=ConversationEvent(message=text_message("m1"))),
    )
    assert json.loads(node.model_dump_json()) == {
        "node_id": "n", "timestamp": "t", "kind": "event", "event": {"Conversation": MESSAGE},
    }
    assert node.message() == text_message("m1")
    assert ConversationEvent(message=text_message("m1")).model_dump() == {"Conversation": MESSAGE}


def test_a_newtype_variant_must_write_its_field_under_the_variant_name() -> None:
    """A NewtypeVariant whose field is not aliased to the variant is refused at class creation."""
    with pytest.raises(TypeError, match="serialization_alias"):
        class Wrong(NewtypeVariant):
            serde_variant = "Wrong"
            serde_newtype_field = "value"
            value: int = Field(serialization_alias="value")

    class Right(NewtypeVariant):
        serde_variant = "Right"
        serde_newtype_field = "value"
        value: int = Field(serialization_alias="Right")

    assert isinstance(Right.model_validate({"Right": 3}), BaseModel)
    assert Right(value=3).model_dump_json() == '{"Right":3}'


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": [1, {"b": float("nan")}]}, ".a[1].b"),
        ({"a": {1: "x"}}, ".a.1"),
        ([{"z": object()}], "[0].z"),
    ],
)
def test_a_value_that_is_not_json_is_refused_at_its_path(value: Any, where: str) -> None:
    """The JSON-value walk names where a non-JSON value sits, in a node body too."""
    with pytest.raises(ValueError, match=f"not a JSON value at {re.escape(where)}:"):
        canonical_json(value)
    with pytest.raises(ValidationError, match="body"):
        SessionNodeRecord.model_validate(
            {**HEAD, "kind": "plugin", "plugin_type": "p", "body": value}
        )


def test_json_values_are_normalised_like_serde_json() -> None:
    """Keys sorted at every depth, out-of-range integers become floats, key order kept unsorted."""
    value = {"b": [{"d": 1, "c": 2**64}], "a": -(2**63) - 1}
    assert json.dumps(canonical_json(value)) == '{"a": -9.223372036854776e+18, "b": [{"c": ' \
        '1.8446744073709552e+19, "d": 1}]}'
    assert list(canonical_json(value, sort=False)) == ["b", "a"]


def test_tool_values_decode_plain_and_reserved_forms_alike() -> None:
    """Plain JSON and the reserved encodings (escaped objects, attachments) decode and encode
    back to the wire form, nested at any depth."""
    ref = {"id": "a", "media_type": {"kind": "image", "type": "png"}, "byte_len": 3}
    wire = {"z": [1, {"$lash_tool_value": "attachment", "ref": ref}],
            "a": {"$lash_tool_value": "object", "entries": {"$lash_tool_value": "x", "k": 2**64}}}
    decoded = decode_tool_value(wire)
    assert list(decoded) == ["a", "z"] and decoded["a"]["k"] == float(2**64)
    assert encode_tool_value(decoded) == {
        "a": {"$lash_tool_value": "object", "entries": {"$lash_tool_value": "x", "k": 2.0**64}},
        "z": [1, {"$lash_tool_value": "attachment", "ref": ref}],
    }
    with pytest.raises(ValueError, match=r"at \.z\[1\]\.ref"):
        decode_tool_value({"z": [1, {"$lash_tool_value": "attachment", "ref": {"id": 1}}]})
