"""Graph rules of spec §3: active path, read model, re-branch, heal, fork, message tree, cache."""

from __future__ import annotations

import json

import pytest
from model_builders import call_message, mode_event, result_message, text_message, tool_record

from checkpoint.model import GraphCycleError, SessionGraph, SessionNodeRecord


def _ids(nodes: object) -> list[str]:
    return [n.node_id for n in nodes]  # type: ignore[attr-defined]


def _fresh(graph: SessionGraph) -> SessionGraph:
    """The same graph read back from JSON (no cache)."""
    return SessionGraph.model_validate(graph.model_dump(mode="json"))


def test_append_moves_leaf_and_links_parent() -> None:
    """Each append is a child of the current leaf and becomes the leaf."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    graph.append_mode_event(mode_event())
    graph.append_message(text_message("b"))
    assert graph.leaf_node_id == "b"
    assert graph.nodes[0].parent_node_id is None
    assert [n.parent_node_id for n in graph.nodes[1:]] == _ids(graph.nodes[:-1])


def test_dangling_parent_silently_ends_the_active_path() -> None:
    """A parent id that names no node ends the walk; the path keeps what it reached."""
    doc = {
        "nodes": [
            {"node_id": "a", "timestamp": "t", "kind": "plugin", "plugin_type": "x", "body": 1},
            {"node_id": "b", "parent_node_id": "gone", "timestamp": "t", "kind": "plugin",
             "plugin_type": "x", "body": 2},
        ],
        "leaf_node_id": "b",
    }
    graph = SessionGraph.model_validate(doc)
    assert _ids(graph.active_path()) == ["b"]


def test_parent_cycle_is_a_clear_error() -> None:
    """A parent loop is refused with GraphCycleError naming a node (lash would spin forever)."""
    node = {"timestamp": "t", "kind": "plugin", "plugin_type": "x", "body": None}
    graph = SessionGraph.model_validate(
        {
            "nodes": [
                {"node_id": "a", "parent_node_id": "b", **node},
                {"node_id": "b", "parent_node_id": "a", **node},
            ],
            "leaf_node_id": "a",
        }
    )
    with pytest.raises(GraphCycleError, match="cycle through node"):
        graph.active_path()


def test_read_model_skips_transient_and_repeated_message_ids() -> None:
    """messages() drops transient messages and a message id seen earlier on the path."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    graph.append_message(text_message("t", transient=True))
    graph.append_message(text_message("a"))
    graph.append_tool_call_records([tool_record("c")])
    graph.append_mode_event(mode_event())
    graph.append_plugin("p", {})
    assert [m.id for m in graph.messages()] == ["a"]
    assert [r.call_id for r in graph.tool_calls()] == ["c"]
    assert len(graph.active_events()) == 5  # plugin node excluded


def test_append_active_conversation_messages_drops_transient_without_dedup() -> None:
    """Transient messages are never written; repeated ids are appended again."""
    graph = SessionGraph()
    ids = graph.append_active_conversation_messages(
        [text_message("a"), text_message("t", transient=True), text_message("a")]
    )
    assert ids == ["a", "message:a"]


def test_read_delta_appends_messages_before_tool_nodes() -> None:
    """append_active_read_delta writes the new messages first, then the new tool nodes."""
    graph = SessionGraph()
    graph.append_active_read_delta(
        [call_message("a1", "c1"), result_message("u1", "c1")], [tool_record("c1")]
    )
    assert _ids(graph.nodes) == ["a1", "u1", "tool:c1"]


def test_replace_rebranches_and_never_deletes() -> None:
    """A mismatching target re-branches from the last kept node; the old tail stays stored."""
    graph = SessionGraph()
    for mid in ("a", "b", "c"):
        graph.append_message(text_message(mid))
    before = graph.model_dump(mode="json")["nodes"]
    graph.replace_active_read_state([text_message("a"), text_message("x")], [])
    assert graph.model_dump(mode="json")["nodes"][:3] == before
    assert _ids(graph.active_path()) == ["a", "x"]
    assert graph.find_node("x").parent_node_id == "a"  # type: ignore[union-attr]
    assert _ids(graph.nodes) == ["a", "b", "c", "x"]


def test_replace_with_the_current_state_adds_nothing() -> None:
    """Re-applying the read model of a canonically ordered graph leaves it unchanged."""
    messages = [text_message("u"), call_message("a", "c1"), result_message("r", "c1")]
    graph = SessionGraph.from_active_read_state(messages, [tool_record("c1")])
    graph.replace_active_read_state(list(graph.messages()), list(graph.tool_calls()))
    assert len(graph.nodes) == 4


def test_replace_rebranches_an_incrementally_ordered_tail() -> None:
    """The delta path puts the tool node after the result; replace re-branches from there."""
    graph = SessionGraph()
    graph.append_active_read_delta(
        [text_message("u"), call_message("a", "c1"), result_message("r", "c1")], [tool_record("c1")]
    )
    graph.replace_active_read_state(list(graph.messages()), list(graph.tool_calls()))
    rebranched_tool = graph.nodes[4].node_id
    assert rebranched_tool.startswith("tool:c1:")
    assert _ids(graph.active_path()) == ["u", "a", rebranched_tool, "message:r"]
    assert len(graph.nodes) == 6


def test_replace_places_tool_records_after_their_first_message() -> None:
    """A record follows the first message with a part naming its call id; others go last."""
    graph = SessionGraph.from_active_read_state(
        [text_message("u"), call_message("a", "c1"), result_message("r", "c1")],
        [tool_record("orphan"), tool_record("c1")],
    )
    assert _ids(graph.nodes) == ["u", "a", "tool:c1", "r", "tool:orphan"]
    assert graph.nodes[-1].parent_node_id == "r"


def test_replace_keeps_mode_and_plugin_nodes_it_passes() -> None:
    """Unrecognised nodes on the matched prefix stay on the path."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    mode = graph.append_mode_event(mode_event())
    graph.append_message(text_message("b"))
    graph.replace_active_read_state([text_message("a"), text_message("b"), text_message("c")], [])
    assert _ids(graph.active_path()) == ["a", mode, "b", "c"]


def test_from_active_read_state_is_linear() -> None:
    """from_active_read_state builds one chain."""
    graph = SessionGraph.from_active_read_state([text_message(m) for m in "abc"], [])
    assert [n.parent_node_id for n in graph.nodes] == [None, "a", "b"]
    assert graph.leaf_node_id == "c"


def test_branch_to_only_moves_the_leaf() -> None:
    """branch_to changes the active path and deletes nothing."""
    graph = SessionGraph()
    for mid in ("a", "b", "c"):
        graph.append_message(text_message(mid))
    graph.branch_to("a")
    graph.append_message(text_message("d"))
    assert len(graph.nodes) == 4
    assert _ids(graph.active_path()) == ["a", "d"]
    graph.branch_to("c")
    assert [m.id for m in graph.messages()] == ["a", "b", "c"]


def test_heal_orphaned_leaf_picks_last_message_node() -> None:
    """A leaf naming no node falls back to the last message node in vector order; True."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    graph.append_message(text_message("b"))
    graph.append_mode_event(mode_event())
    graph.branch_to("missing")
    assert graph.heal_orphaned_leaf() is True
    assert graph.leaf_node_id == "b"
    assert graph.heal_orphaned_leaf() is False


def test_heal_without_message_nodes_clears_leaf_and_none_is_not_corrupt() -> None:
    """No message node: the leaf becomes None; a None leaf is never 'repaired'."""
    graph = SessionGraph()
    graph.append_mode_event(mode_event())
    graph.branch_to("missing")
    assert graph.heal_orphaned_leaf() is True
    assert graph.leaf_node_id is None
    assert graph.heal_orphaned_leaf() is False


def test_fork_current_path_keeps_only_active_nodes() -> None:
    """fork_current_path holds the active-path nodes and the same leaf."""
    graph = SessionGraph()
    for mid in ("a", "b"):
        graph.append_message(text_message(mid))
    graph.branch_to("a")
    graph.append_message(text_message("c"))
    fork = graph.fork_current_path()
    assert _ids(fork.nodes) == ["a", "c"] and fork.leaf_node_id == "c"
    assert len(graph.nodes) == 3


def test_message_tree_groups_by_nearest_message_ancestor() -> None:
    """Tree parents skip tool/mode nodes; branches are siblings sorted by timestamp."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    graph.append_tool_call_records([tool_record("c")])
    graph.append_message(text_message("b"))
    graph.branch_to("a")
    graph.append_message(text_message("x"))
    (root,) = graph.message_tree()
    assert root.node_id == "a" and root.active
    assert [(c.node_id, c.active) for c in root.children] == [("b", False), ("x", True)]
    assert root.children[0].parent_message_node_id == "a"


def test_message_tree_handles_long_chains_without_recursion() -> None:
    """A 5,000-message chain builds a tree (no recursion limit)."""
    graph = SessionGraph()
    for i in range(5000):
        graph.append_message(text_message(f"m{i}"))
    node = graph.message_tree()[0]
    depth = 1
    while node.children:
        node = node.children[0]
        depth += 1
    assert depth == 5000


def test_incremental_cache_matches_a_rebuilt_one() -> None:
    """After appends on a warm cache, every read equals a cold rebuild from JSON."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    assert graph.messages()  # warm the cache
    graph.append_active_read_delta(
        [call_message("b", "c1"), result_message("r", "c1")], [tool_record("c1")]
    )
    graph.append_mode_event(mode_event())
    graph.append_plugin("p", {"k": 1})
    graph.append_message(text_message("t", transient=True))
    cold = _fresh(graph)
    assert _ids(graph.active_path()) == _ids(cold.active_path())
    assert list(graph.messages()) == list(cold.messages())
    assert list(graph.tool_calls()) == list(cold.tool_calls())
    assert list(graph.active_events()) == list(cold.active_events())


def test_push_node_record_does_not_move_the_leaf() -> None:
    """Raw pushes (store replay) keep the leaf; the cache sees the new node."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    raw = SessionNodeRecord.model_validate(
        {"node_id": "z", "parent_node_id": "a", "timestamp": "t", "kind": "plugin",
         "plugin_type": "x", "body": None}
    )
    graph.push_node_record(raw)
    assert graph.leaf_node_id == "a"
    assert graph.find_node("z") is raw
    graph.extend_node_records([])
    assert graph.node_index("z") == 1


def test_graph_equality_ignores_the_cache() -> None:
    """A graph with a warm cache equals the same graph read back from JSON."""
    graph = SessionGraph()
    graph.append_message(text_message("a"))
    graph.messages()
    assert graph == _fresh(graph)
    dumped = json.dumps(graph.model_dump(mode="json"))
    assert dumped == json.dumps(_fresh(graph).model_dump(mode="json"))


def test_assigning_the_leaf_directly_refreshes_the_read_model() -> None:
    """Setting leaf_node_id or nodes by hand drops the cache, so reads stay right."""
    graph = SessionGraph()
    for mid in ("a", "b"):
        graph.append_message(text_message(mid))
    assert [m.id for m in graph.messages()] == ["a", "b"]
    graph.leaf_node_id = "a"
    assert [m.id for m in graph.messages()] == ["a"]
    graph.nodes = graph.nodes[:1]
    assert graph.find_node("b") is None
