"""Serde rules (spec §0, §0.1): what lash's serde accepts, refuses and writes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from checkpoint.model import (
    TOOL_VALUE,
    AttachmentRef,
    ModeEvent,
    ModeTurnOptions,
    Part,
    PersistedSessionState,
    PluginSnapshotMeta,
    SessionMeta,
    SessionPolicy,
    TokenUsage,
    ToolFailure,
)

POLICY: dict[str, Any] = {
    "model": "m", "provider": {"type": "openai"}, "execution_mode": "standard"
}
PART: dict[str, Any] = {"id": "m.p0", "kind": "Text", "content": "hi", "prune_state": "Intact"}


def _error(model: type[BaseModel], doc: Any) -> tuple[tuple[Any, ...], str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(doc)
    first = caught.value.errors()[0]
    return tuple(first["loc"]), first["msg"]


@pytest.mark.parametrize("bad", ["3", 3.0, True, -1, 2**64, None])
def test_usize_refuses_what_serde_refuses(bad: Any) -> None:
    """turn_index (usize): no strings, floats, booleans, negatives, overflow or null."""
    loc, _ = _error(PersistedSessionState, {"session_id": "s", "turn_index": bad})
    assert loc == ("turn_index",)


def test_u64_keeps_its_full_range_exactly() -> None:
    """2^64-1 is accepted and written back digit for digit."""
    doc = {"session_id": "s", "tool_state_generation": 2**64 - 1}
    text = PersistedSessionState.model_validate(doc).model_dump_json()
    assert '"tool_state_generation":18446744073709551615' in text


@pytest.mark.parametrize(
    ("doc", "loc"),
    [
        ({"policy": None}, ("policy",)),
        ({"session_graph": None}, ("session_graph",)),
        ({"token_ledger": None}, ("token_ledger",)),
        ({"session_graph": {"nodes": None}}, ("session_graph", "nodes")),
        ({"policy": {**POLICY, "prompt": None}}, ("policy", "prompt")),
        ({"token_usage": {"input_tokens": 1, "output_tokens": 1, "cached_input_tokens": 1,
                          "reasoning_tokens": None}}, ("token_usage", "reasoning_tokens")),
    ],
)
def test_explicit_null_is_refused_for_defaulted_non_options(doc: dict[str, Any], loc: Any) -> None:
    """§0.1.5: null for a field that only has serde(default) is an error naming the path."""
    assert _error(PersistedSessionState, {"session_id": "s", **doc})[0] == loc


@pytest.mark.parametrize("missing", ["input_tokens", "output_tokens", "cached_input_tokens"])
def test_token_usage_first_three_keys_are_required(missing: str) -> None:
    """Missing required keys are refused and named."""
    doc = {"input_tokens": 1, "output_tokens": 1, "cached_input_tokens": 1}
    del doc[missing]
    loc, msg = _error(TokenUsage, doc)
    assert loc == (missing,) and msg == "Field required"


def test_missing_session_id_is_refused() -> None:
    """session_id has no serde default."""
    assert _error(PersistedSessionState, {}) == (("session_id",), "Field required")


def test_policy_options_are_written_as_null_and_missing_means_none() -> None:
    """SessionPolicy Options without skip: missing reads None, written as null."""
    dumped = SessionPolicy.model_validate(POLICY).model_dump(mode="json")
    assert dumped == {
        "model": "m", "provider": {"type": "openai"}, "max_context_tokens": None,
        "model_variant": None, "session_id": None, "autonomous": False, "max_turns": None,
        "execution_mode": "standard",
    }


def test_default_context_approach_only_when_policy_key_missing() -> None:
    """§0.1.4: a missing policy gets rolling_history; a policy without the key stays None."""
    without = PersistedSessionState.model_validate({"session_id": "s"})
    assert without.model_dump(mode="json")["policy"]["standard_context_approach"] == {
        "kind": "rolling_history"
    }
    present = PersistedSessionState.model_validate({"session_id": "s", "policy": POLICY})
    assert "standard_context_approach" not in present.model_dump(mode="json")["policy"]


def test_rolling_history_refuses_extra_keys_observational_memory_ignores_them() -> None:
    """§0.1.6: the unit-struct variant is strict; the other ignores unknown keys."""
    loc, _ = _error(SessionPolicy, {**POLICY, "standard_context_approach": {
        "kind": "rolling_history", "x": 1}})
    assert loc[:2] == ("standard_context_approach", "rolling_history")
    om = {"kind": "observational_memory", "observation_message_tokens": 1,
          "observation_buffer_tokens": 2, "observation_block_after_tokens": 3,
          "observation_max_tokens_per_batch": 4, "previous_observer_tokens": 5,
          "reflection_observation_tokens": 6, "reflection_block_after_tokens": 7, "x": 1}
    policy = SessionPolicy.model_validate({**POLICY, "standard_context_approach": om})
    written = policy.model_dump(mode="json")["standard_context_approach"]
    assert written["reflection_buffer_activation_bps"] == 5000 and "x" not in written
    assert list(written)[-2:] == [
        "reflection_buffer_activation_bps", "reflection_block_after_tokens"
    ]


def test_prune_state_accepts_unit_variant_as_map() -> None:
    """§0.1.6: {"Intact": null} reads as "Intact"; data on a unit variant is refused."""
    assert Part.model_validate({**PART, "prune_state": {"Intact": None}}).prune_state == "Intact"
    assert _error(Part, {**PART, "prune_state": {"Intact": 1}})[0] == ("prune_state",)
    loc, msg = _error(Part, {**PART, "prune_state": "Gone"})
    assert loc == ("prune_state",) and "expected one of Intact" in msg
    deleted = {"Deleted": {"breadcrumb": "b", "archive_hash": "h"}}
    part = Part.model_validate({**PART, "prune_state": deleted})
    assert part.model_dump(mode="json")["prune_state"] == deleted


def test_some_null_does_not_survive() -> None:
    """§0.1.2: null for Option<Value>/Option<ToolValue> reads as None, then is omitted."""
    failure = ToolFailure.model_validate({"class": "timeout", "code": "c", "message": "m",
                                          "source": "tool", "retry": {"type": "never"},
                                          "raw": None})
    assert "raw" not in failure.model_dump(mode="json")
    meta = PluginSnapshotMeta.model_validate({"plugin_id": "p", "plugin_version": "1",
                                              "state": None})
    assert meta.model_dump(mode="json") == {"plugin_id": "p", "plugin_version": "1", "revision": 0}


def test_json_values_are_written_with_sorted_keys() -> None:
    """§0.1.1: provider, args, payloads are serde_json Values: keys sorted at any depth."""
    policy = SessionPolicy.model_validate(
        {**POLICY, "provider": {
            "type": "x", "base_url": "u", "api_key": "k", "options": {"z": 1, "a": 2}
        }}
    )
    assert json.dumps(policy.model_dump(mode="json")["provider"]) == (
        '{"api_key": "k", "base_url": "u", "options": {"a": 2, "z": 1}, "type": "x"}'
    )


def test_provider_without_a_type_is_refused() -> None:
    """The opaque provider mapping must name its kind."""
    loc, msg = _error(SessionPolicy, {**POLICY, "provider": {"api_key": "k"}})
    assert loc == ("provider",) and "type" in msg


def test_prompt_layer_slots_sorted_gate_dropped_and_empty_prompt_omitted() -> None:
    """§0.1.7-8: slots written sorted; a gate without tools is dropped; empty prompt omitted."""
    dropped = {"slot": "guidance", "content": "c", "gate": {"tools": []}}
    gated = {"slot": "guidance", "content": "d", "gate": {"tools": ["search"]}}
    prompt = {"slots": {"runtime_context": {"contributions": [dropped, gated]},
                        "execution": {"reset": True}}}
    dumped = SessionPolicy.model_validate({**POLICY, "prompt": prompt}).model_dump(mode="json")
    assert list(dumped["prompt"]["slots"]) == ["execution", "runtime_context"]
    assert dumped["prompt"]["slots"]["runtime_context"] == {"reset": False, "contributions": [
        {"slot": "guidance", "priority": 0, "content": "c"},
        {"slot": "guidance", "priority": 0,
         "gate": {"tools": ["search"], "minimum_availability": "off"}, "content": "d"},
    ]}
    empty = SessionPolicy.model_validate({**POLICY, "prompt": {}})
    assert "prompt" not in empty.model_dump(mode="json")
    loc, _ = _error(SessionPolicy, {**POLICY, "prompt": {"slots": {"nowhere": {}}}})
    assert loc[:3] == ("prompt", "slots", "nowhere")


def test_mode_turn_options_payload_missing_reads_null() -> None:
    """§7: a missing payload is null (serde Value default), the struct default is {}."""
    assert ModeTurnOptions.model_validate({"mode_id": "rlm"}).model_dump() == {
        "mode_id": "rlm", "payload": None
    }
    assert ModeTurnOptions.default().payload == {}


def test_mode_event_requires_both_keys() -> None:
    """ModeEvent's deserialiser needs mode_id and payload (payload may be null)."""
    assert _error(ModeEvent, {"mode_id": "rlm"})[0] == ("payload",)
    assert ModeEvent.model_validate({"mode_id": "rlm", "payload": None}).payload is None


def test_tool_value_reserved_encodings_round_trip() -> None:
    """Attachments and objects holding the reserved key use lash's encodings."""
    ref = {"id": "img", "media_type": {"kind": "image", "type": "png"}, "byte_len": 3}
    wire = [{"$lash_tool_value": "attachment", "ref": ref},
            {"$lash_tool_value": "object",
             "entries": {"$lash_tool_value": "user", "b": {"y": 1, "x": 2}}}]
    value = TOOL_VALUE.validate_python(wire)
    assert isinstance(value[0], AttachmentRef)
    assert value[1] == {"$lash_tool_value": "user", "b": {"x": 2, "y": 1}}
    assert json.dumps(TOOL_VALUE.dump_python(value, mode="json")) == json.dumps(
        [wire[0], {"$lash_tool_value": "object",
                   "entries": {"$lash_tool_value": "user", "b": {"x": 2, "y": 1}}}]
    )


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ({"$lash_tool_value": "attachment", "extra": True}, "malformed attachment"),
        ({"$lash_tool_value": "object"}, "malformed escaped object"),
        ({"$lash_tool_value": "vector", "x": 1}, "unknown reserved tool value tag `vector`"),
        ({"$lash_tool_value": 3}, "tag must be a string"),
        ({"a": [{"$lash_tool_value": "attachment", "ref": {"id": 1}}]},
         "invalid tool value at .a[0].ref"),
    ],
)
def test_malformed_tool_values_are_refused(wire: Any, message: str) -> None:
    """Malformed reserved encodings are refused with the reason (as lash's decoder)."""
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace(".", r"\.")):
        TOOL_VALUE.validate_python(wire)


@pytest.mark.parametrize("bad", [[256], [-1], [True], "AAE=", [1.0], None])
def test_byte_vectors_accept_only_integer_arrays(bad: Any) -> None:
    """Vec<u8>: an array of integers 0..255; strings, floats, booleans refused (null = None)."""
    doc = {"session_id": "s", "execution_state_snapshot": bad}
    if bad is None:
        assert PersistedSessionState.model_validate(doc).execution_state_snapshot is None
        return
    assert _error(PersistedSessionState, doc)[0] == ("execution_state_snapshot",)


def test_session_meta_derives_relation_and_parent() -> None:
    """§0.1.3: cwd and parent are always written; relation/parent fill each other when missing."""
    base = {"session_id": "c", "session_name": "n", "created_at": "unix:1", "model": "m"}
    child = SessionMeta.model_validate({**base, "parent_session_id": "root"})
    assert child.model_dump(mode="json") == {
        **base, "cwd": None, "parent_session_id": "root",
        "relation": {"kind": "child", "parent_session_id": "root"},
    }
    handoff = SessionMeta.model_validate(
        {**base, "relation": {"kind": "handoff", "parent_session_id": "p", "reason": "r"}}
    )
    assert handoff.parent_session_id == "p"
    assert SessionMeta.model_validate(base).model_dump(mode="json")["relation"] == {"kind": "root"}


def test_unknown_struct_keys_are_ignored_but_tagged_maps_are_strict() -> None:
    """Structs ignore unknown keys; an externally tagged map with two keys is refused."""
    state = PersistedSessionState.model_validate({"session_id": "s", "future_field": 1})
    assert "future_field" not in state.model_dump(mode="json")
    node = {"node_id": "n", "timestamp": "t", "kind": "event",
            "event": {"Conversation": {"id": "n", "role": "User", "parts": []}, "Mode": {}}}
    doc = {"session_id": "s", "session_graph": {"nodes": [node]}}
    loc, msg = _error(PersistedSessionState, doc)
    assert loc[:3] == ("session_graph", "nodes", 0) and "SessionEventRecord" in msg


@pytest.mark.parametrize(
    ("node", "where"),
    [
        ({"node_id": "n", "timestamp": "t"}, "kind"),
        ({"node_id": "n", "timestamp": "t", "kind": "weird"}, "weird"),
        ({"node_id": "n", "kind": "plugin", "plugin_type": "p", "body": 1}, "timestamp"),
        ({"node_id": "n", "timestamp": "t", "kind": "plugin", "plugin_type": "p"}, "body"),
        ({"node_id": "n", "timestamp": "t", "kind": "event", "event": {"Tool": {"Call": {}}}},
         "Invocation"),
        ({"node_id": "n", "timestamp": "t", "kind": "event",
          "event": {"Conversation": {"id": "x", "role": "user", "parts": []}}}, "role"),
    ],
)
def test_bad_nodes_are_refused_with_a_named_reason(node: dict[str, Any], where: str) -> None:
    """Missing keys, unknown variants and wrong enum case name what was wrong."""
    with pytest.raises(ValidationError) as caught:
        PersistedSessionState.model_validate(
            {"session_id": "s", "session_graph": {"nodes": [node]}}
        )
    assert where in str(caught.value)
    assert "session_graph.nodes.0" in str(caught.value)


def test_validation_never_changes_its_input() -> None:
    """Nothing given to validate is modified, whether it is accepted or refused."""
    text = (__import__("pathlib").Path(__file__).parent / "fixtures" / "section11_state.json")
    doc = json.loads(text.read_text())
    before = copy.deepcopy(doc)
    PersistedSessionState.model_validate(doc)
    doc["turn_index"] = "2"
    with pytest.raises(ValidationError):
        PersistedSessionState.model_validate(doc)
    doc["turn_index"] = 2
    assert doc == before


def test_leaf_naming_no_node_loads_and_heals_on_normalize() -> None:
    """A leaf that names no node is accepted on load (empty active path) and healed by
    normalize_session_graph, which flags a full rewrite (the documented repair)."""
    from checkpoint.model import normalize_session_graph

    node = {"node_id": "m", "timestamp": "t", "kind": "event",
            "event": {"Conversation": {"id": "m", "role": "User", "parts": []}}}
    state = PersistedSessionState.model_validate(
        {"session_id": "s", "session_graph": {"nodes": [node], "leaf_node_id": "nope"}}
    )
    assert list(state.session_graph.active_path()) == []
    normalize_session_graph(state)
    assert state.session_graph.leaf_node_id == "m" and state.graph_replace_required
