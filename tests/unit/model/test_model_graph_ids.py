"""Node id rules (spec §3.2) and the graph invariants of spec §15 items 1-3."""

from __future__ import annotations

import hashlib
import json
import re

from model_builders import call_message, mode_event, result_message, text_message, tool_record

from checkpoint.model import (
    ConversationEvent,
    ModeEventRecord,
    SessionGraph,
    ToolEventRecord,
    stable_tool_call_key,
)

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _tool_nodes(graph: SessionGraph) -> list[str]:
    return [n.node_id for n in graph.nodes if n.tool_event() is not None]


def test_typed_append_node_ids_use_semantic_prefixes() -> None:
    """§15.1: message node id = message id, tool node = tool:c, mode:/plugin: prefixes."""
    graph = SessionGraph()
    message_id = graph.append_message(text_message("m1"))
    graph.append_active_read_delta([], [tool_record("call-1")])
    mode_id = graph.append_mode_event(mode_event())
    plugin_id = graph.append_plugin("example", {"ok": True})
    assert message_id == "m1"
    assert re.fullmatch(r"mode:[0-9a-f]{32}", mode_id)
    assert re.fullmatch(r"plugin:[0-9a-f]{32}", plugin_id)
    assert _tool_nodes(graph) == ["tool:call-1"]


def test_active_read_replacement_uses_tool_prefix() -> None:
    """§15.1: the replacement path also names tool nodes tool:{call id}."""
    graph = SessionGraph.from_active_read_state([text_message("m1")], [tool_record("call-r")])
    assert _tool_nodes(graph) == ["tool:call-r"]
    assert [n.node_id for n in graph.nodes] == ["m1", "tool:call-r"]


def test_conversation_and_tool_nodes_never_use_plugin_prefix() -> None:
    """§15.1: only plugin nodes start with plugin:, only mode nodes with mode:."""
    graph = SessionGraph()
    graph.append_message(text_message("m1"))
    graph.append_active_read_delta([], [tool_record("call-1")])
    graph.append_mode_event(mode_event())
    graph.append_plugin("example", {"ok": True})
    graph.replace_active_read_state([text_message("m2")], [tool_record("c2")])
    for node in graph.nodes:
        event = node.event()
        if isinstance(event, ConversationEvent | ToolEventRecord):
            assert not node.node_id.startswith("plugin:")
        elif isinstance(event, ModeEventRecord):
            assert node.node_id.startswith("mode:")
        else:
            assert node.node_id.startswith("plugin:")


def test_recording_the_same_tool_record_twice_keeps_one_node() -> None:
    """§15.2: the same record twice leaves one read-model entry and one graph node."""
    graph = SessionGraph()
    graph.append_message(text_message("m1"))
    graph.append_active_read_delta([], [tool_record("call-1")])
    graph.append_active_read_delta([], [tool_record("call-1")])
    graph.append_active_read_delta([], [tool_record("call-1"), tool_record("call-1")])
    assert len(graph.tool_calls()) == 1
    assert _tool_nodes(graph) == ["tool:call-1"]


def test_same_call_id_with_another_output_is_another_call() -> None:
    """The active-read key includes the record JSON, so a new output makes a second node."""
    graph = SessionGraph()
    graph.append_active_read_delta([], [tool_record("c")])
    graph.append_active_read_delta([], [tool_record("c", answer="other")])
    nodes = _tool_nodes(graph)
    assert nodes[0] == "tool:c"
    assert re.fullmatch(rf"tool:c:{UUID}", nodes[1])
    assert len(graph.tool_calls()) == 2


def test_progress_boundary_does_not_duplicate_present_messages() -> None:
    """§15.3: re-sending present messages adds no node; node ids equal message ids."""
    graph = SessionGraph()
    first = [text_message("u1"), call_message("a1", "c1")]
    graph.append_active_read_delta(first, [])
    graph.append_active_read_delta([*first, result_message("u2", "c1")], [tool_record("c1")])
    graph.append_active_read_delta([*first, result_message("u2", "c1")], [tool_record("c1")])
    messages = [n for n in graph.nodes if n.message() is not None]
    assert [n.node_id for n in messages] == ["u1", "a1", "u2"]
    assert all(n.node_id == n.message().id for n in messages)  # type: ignore[union-attr]
    assert len(graph.nodes) == 4


def test_message_id_collisions_get_message_prefix_then_counter() -> None:
    """A taken id becomes message:{id}, then message:{id}:2, :3."""
    graph = SessionGraph()
    ids = [graph.append_message(text_message("m")) for _ in range(4)]
    assert ids == ["m", "message:m", "message:m:2", "message:m:3"]


def test_empty_message_id_gets_a_fresh_m_id() -> None:
    """A message with an empty id gets "m" + 32 hex chars."""
    graph = SessionGraph()
    node_id = graph.append_message(text_message(""))
    assert re.fullmatch(r"m[0-9a-f]{32}", node_id)
    assert graph.messages()[0].id == node_id


def test_anonymous_tool_call_key_hashes_tool_args_output() -> None:
    """No call id: stable key = anon- + sha256([tool, args, output])[:12]."""
    record = tool_record(None)
    raw = json.dumps(
        ["lookup", {"q": "x"}, {"outcome": {"status": "success", "payload": {"answer": "y"}}}],
        separators=(",", ":"),
    )
    expected = "anon-" + hashlib.sha256(raw.encode()).hexdigest()[:12]
    assert stable_tool_call_key(record) == expected
    assert stable_tool_call_key(tool_record("")) == expected
    graph = SessionGraph()
    assert graph.append_tool_call_records([record]) == [f"tool:{expected}"]


def test_replacement_ids_avoid_existing_and_new_ids() -> None:
    """Re-branching a message already stored elsewhere uses message:{id}."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    graph.append_message(text_message("b"))
    graph.replace_active_read_state([text_message("x"), text_message("b")], [])
    assert [n.node_id for n in graph.active_path()] == ["x", "message:b"]
