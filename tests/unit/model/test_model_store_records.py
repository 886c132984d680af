"""Store records and create requests (spec §9, §13): defaults, tags and round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
from model_builders import text_message

from checkpoint.model import (
    GRAPH_COMMIT_DELTA,
    SESSION_READ_SCOPE,
    ActivePath,
    Append,
    FullGraph,
    HydratedSessionCheckpoint,
    PersistedSessionRead,
    ReplaceFull,
    SessionCheckpoint,
    SessionCreateRequest,
    SessionGraph,
    SessionHead,
    SessionHeadMeta,
    Unchanged,
)

CONFIG = {"provider_id": "openai", "configured_model": "m", "context_window": 0,
          "execution_mode": "standard"}


def test_head_and_head_meta_defaults() -> None:
    """session_id defaults to "root", head_revision to 0; empty ledgers are omitted."""
    head = SessionHead.model_validate({"graph": {}, "config": CONFIG})
    assert (head.session_id, head.head_revision) == ("root", 0)
    assert head.model_dump(mode="json") == {
        "session_id": "root", "head_revision": 0, "graph": {"nodes": []}, "config": CONFIG
    }
    meta = SessionHeadMeta.model_validate({"config": CONFIG, "leaf_node_id": "x"})
    assert list(meta.model_dump(mode="json")) == [
        "session_id", "head_revision", "config", "leaf_node_id", "graph_node_count"
    ]


def test_head_requires_graph_and_config() -> None:
    """graph and config have no serde default."""
    with pytest.raises(ValueError, match="graph"):
        SessionHead.model_validate({"config": CONFIG})


def test_checkpoint_manifest_all_optional() -> None:
    """An empty manifest reads with a default turn state and writes only turn_state."""
    manifest = SessionCheckpoint.model_validate({"turn_state": {"turn_index": 3}})
    assert manifest.model_dump(mode="json") == {"turn_state": {
        "turn_index": 3,
        "token_usage": {"input_tokens": 0, "output_tokens": 0, "cached_input_tokens": 0,
                        "reasoning_tokens": 0},
        "mode_turn_options": {"mode_id": "standard", "payload": {}},
    }}


def test_hydrated_checkpoint_carries_execution_state_as_bytes() -> None:
    """execution_state is bytes in Python and an integer array on the wire."""
    hydrated = HydratedSessionCheckpoint.model_validate({"execution_state": [0, 1, 255]})
    assert hydrated.execution_state == b"\x00\x01\xff"
    assert hydrated.model_dump(mode="json")["execution_state"] == [0, 1, 255]
    assert hydrated.manifest().execution_state_ref is None


@pytest.mark.parametrize(
    ("wire", "kind"),
    [("FullGraph", FullGraph), ({"ActivePath": {"leaf_node_id": None}}, ActivePath),
     ({"ActivePath": {"leaf_node_id": "n"}}, ActivePath)],
)
def test_read_scope_uses_serde_external_tags(wire: Any, kind: type) -> None:
    """SessionReadScope: "FullGraph" or {"ActivePath": {...}}."""
    scope = SESSION_READ_SCOPE.validate_python(wire)
    assert isinstance(scope, kind)
    assert SESSION_READ_SCOPE.dump_python(scope, mode="json") == wire


def test_graph_commit_delta_variants_round_trip() -> None:
    """Unchanged / Append / ReplaceFull are externally tagged; ReplaceFull is a newtype."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    for delta in (Unchanged(leaf_node_id="a"), Append(nodes=list(graph.nodes), leaf_node_id="a"),
                  ReplaceFull(graph=graph)):
        wire = GRAPH_COMMIT_DELTA.dump_python(delta, mode="json")
        assert list(wire) == [delta.serde_variant]
        assert GRAPH_COMMIT_DELTA.validate_python(wire) == delta
    assert "nodes" in GRAPH_COMMIT_DELTA.dump_python(ReplaceFull(graph=graph), mode="json")[
        "ReplaceFull"]
    with pytest.raises(ValueError, match="expected one of Unchanged, Append, ReplaceFull"):
        GRAPH_COMMIT_DELTA.validate_python({"Delete": {}})


def test_persisted_session_read_round_trips() -> None:
    """The load result is a model too, so it can travel as JSON."""
    read = PersistedSessionRead.model_validate(
        {"session_id": "s", "head_revision": 4, "config": CONFIG, "graph": {},
         "checkpoint": {"turn_state": {"turn_index": 1}}}
    )
    assert PersistedSessionRead.model_validate_json(read.model_dump_json()) == read


def test_create_request_defaults_as_serde_writes_them() -> None:
    """relation root, policy null, inherit_current, empty tool access, standard mode extras."""
    request = SessionCreateRequest.model_validate({"start": {"kind": "empty"}})
    assert request.model_dump(mode="json") == {
        "relation": {"kind": "root"},
        "start": {"kind": "empty"},
        "policy": None,
        "plugin_mode": "inherit_current",
        "initial_nodes": [],
        "tool_access": {},
        "mode_extras": {"mode_id": "standard", "payload": {}},
    }


def test_create_request_full_shape_round_trips() -> None:
    """Child relation, append nodes of each kind, hidden tools (a sorted set), subagent."""
    doc = {
        "session_id": "child",
        "relation": {"kind": "child", "parent_session_id": "root",
                     "originating_tool_call_id": "call_01"},
        "start": {"kind": "existing_session", "session_id": "x"},
        "policy": None,
        "plugin_mode": "fresh",
        "initial_nodes": [
            {"kind": "message", "message": {"role": "User", "content": "hi", "images": [[1, 2]]}},
            {"kind": "mode_event", "event": {"mode_id": "rlm", "payload": {"seed": 1}}},
            {"kind": "plugin", "plugin_type": "p", "body": None},
        ],
        "first_turn_input": {"role": "User", "content": "go"},
        "tool_access": {"hidden_tools": ["a", "b"]},
        "subagent": {"parent_session_id": "root", "capability": "research", "depth": 1,
                     "max_depth": 3},
        "mode_extras": {"mode_id": "rlm", "payload": None},
        "usage_source": "subagent",
    }
    request = SessionCreateRequest.model_validate(doc)
    assert json.dumps(request.model_dump(mode="json")) == json.dumps(doc)
    unsorted = SessionCreateRequest.model_validate(
        {**doc, "tool_access": {"hidden_tools": ["b", "a", "b"]}}
    )
    assert unsorted.tool_access.hidden_tools == ["a", "b"]
