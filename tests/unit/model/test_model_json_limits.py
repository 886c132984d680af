"""The model's door: what JSON cannot carry back is a ValidationError naming where it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from checkpoint.model import (
    MAX_JSON_DEPTH,
    Message,
    PersistedSessionState,
    ToolCallRecord,
    json_value_problem,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def _record(args: Any = None, payload: Any = "ok") -> dict[str, Any]:
    return {
        "call_id": "c1", "tool": "python", "args": {} if args is None else args,
        "output": {"outcome": {"status": "success", "payload": payload}}, "duration_ms": 1,
    }


def _state_with(args: Any) -> dict[str, Any]:
    doc = json.loads((FIXTURES / "section11_state.json").read_text())
    node = {
        "node_id": "tool:c1", "timestamp": "2026-05-19T09:12:03+00:00", "kind": "event",
        "event": {"Tool": {"Invocation": {"stable_key": "c1", "record": _record(args)}}},
    }
    doc["session_graph"]["nodes"].append(node)
    return doc


def test_tool_args_at_the_depth_limit_round_trip() -> None:
    """Args exactly MAX_JSON_DEPTH deep are kept, and the whole state reads back from JSON."""
    state = PersistedSessionState.model_validate(_state_with(_nested(MAX_JSON_DEPTH)))
    text = state.model_dump_json()
    assert PersistedSessionState.model_validate_json(text).model_dump_json() == text


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 200, 300, 500, 5_000])
def test_tool_args_past_the_depth_limit_are_refused_with_their_path(depth: int) -> None:
    """Args nested past the limit are a ValidationError naming the field, never RecursionError."""
    with pytest.raises(ValidationError) as caught:
        PersistedSessionState.model_validate(_state_with(_nested(depth)))
    assert "record.args" in str(caught.value) and "nested deeper than" in str(caught.value)


def test_deep_args_in_json_text_are_refused_too() -> None:
    """The JSON text path refuses the same args (under pydantic-core's parser limit of 200)."""
    text = json.dumps(_state_with(_nested(MAX_JSON_DEPTH + 10)))
    with pytest.raises(ValidationError, match="deeper than"):
        PersistedSessionState.model_validate_json(text)


def test_python_input_nested_500_deep_anywhere_is_a_validation_error() -> None:
    """Deep input in a typed position is refused before pydantic-core recurses into it."""
    doc = json.loads((FIXTURES / "section11_state.json").read_text())
    deep: Any = []
    for _ in range(500):
        deep = [deep]
    doc["session_graph"]["nodes"][0]["event"]["Conversation"]["parts"] = deep
    with pytest.raises(ValidationError, match="serde_json's limit of 128"):
        PersistedSessionState.model_validate(doc)


@pytest.mark.parametrize(
    "where", ["session_id", "part content", "part key", "args value", "args key", "payload"]
)
def test_lone_surrogates_are_refused_with_their_path(where: str) -> None:
    """A lone surrogate in any string or key is a ValidationError naming where it is."""
    doc = _state_with({"code": "print(1)"})
    record = doc["session_graph"]["nodes"][-1]["event"]["Tool"]["Invocation"]["record"]
    part = doc["session_graph"]["nodes"][0]["event"]["Conversation"]["parts"][0]
    if where == "session_id":
        doc["session_id"] = "root\ud800"
    elif where == "part content":
        part["content"] = "hi \udfff"
    elif where == "part key":
        part["x\ud800"] = 1
    elif where == "args value":
        record["args"] = {"code": "print('\ud800')"}
    elif where == "args key":
        record["args"] = {"\ud800": 1}
    else:
        record["output"]["outcome"]["payload"] = ["\ud800"]
    with pytest.raises(ValidationError, match="lone surrogate"):
        PersistedSessionState.model_validate(doc)


def test_a_constructed_record_refuses_surrogate_or_deep_args() -> None:
    """JSON-value fields check their values on construction too (activities build records)."""
    with pytest.raises(ValidationError, match="lone surrogate"):
        ToolCallRecord.model_validate(_record({"k": "\ud800"}))
    with pytest.raises(ValidationError, match="deeper than"):
        ToolCallRecord(**_record(_nested(MAX_JSON_DEPTH + 1)))
    with pytest.raises(ValidationError, match="lone surrogate"):
        ToolCallRecord(**_record(payload={"out": "\ud800"}))


def test_escaped_tool_values_count_their_wire_depth() -> None:
    """An escaped object is two levels as written, so it counts two against the limit."""
    value: Any = 1
    for _ in range(MAX_JSON_DEPTH // 2 + 1):
        value = {"$lash_tool_value": "object", "entries": {"$lash_tool_value": value}}
    with pytest.raises(ValidationError, match="deeper than"):
        ToolCallRecord.model_validate(_record(payload=value))


def test_huge_integers_become_floats_or_are_refused() -> None:
    """Integers past u64 are f64 as in serde_json; past the f64 range they are refused."""
    record = ToolCallRecord.model_validate(_record({"n": 2**70}))
    assert record.args == {"n": float(2**70)}
    with pytest.raises(ValidationError, match="out of range"):
        ToolCallRecord.model_validate(_record({"n": 10**400}))


def test_message_model_validate_refuses_surrogates() -> None:
    """Any SerdeModel's model_validate refuses a lone surrogate in Python input."""
    part = {"id": "m.p0", "kind": "Text", "content": "\ud800", "prune_state": "Intact"}
    with pytest.raises(ValidationError) as caught:
        Message.model_validate({"id": "m", "role": "User", "parts": [part]})
    assert caught.value.errors()[0]["loc"] == ("parts", 0, "content")


def test_json_value_problem_names_the_rule_and_path() -> None:
    """The helper activities use on provider and tool values says what and where."""
    assert json_value_problem({"a": [1, "x"]}) is None
    assert "deeper than 64" in (json_value_problem(_nested(300)) or "")
    assert "$.a[1]" in (json_value_problem({"a": [1, "\ud800"]}) or "")
