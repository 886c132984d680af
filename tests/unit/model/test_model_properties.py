"""Property tests: serde-form documents round-trip unchanged; graph edits keep the cache right."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_builders import call_message, mode_event, result_message, text_message, tool_record
from model_strategies import persisted_state
from model_strategies import tool_record as tool_record_doc

from checkpoint.model import PersistedSessionState, SessionGraph, ToolCallRecord


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(persisted_state())
def test_generated_states_round_trip_through_json_unchanged(doc: dict[str, Any]) -> None:
    """Branched graphs, every part/outcome/prune/control variant, u64 extremes and byte arrays:
    validate then dump gives back the same document, key order included, on both paths."""
    text = json.dumps(doc)
    state = PersistedSessionState.model_validate(doc)
    assert json.dumps(state.model_dump(mode="json")) == text
    from_text = PersistedSessionState.model_validate_json(text)
    assert from_text == state
    # Same values and key order; float spelling is the JSON encoder's (1e-05 vs 0.00001).
    assert json.dumps(json.loads(from_text.model_dump_json())) == text


@settings(max_examples=200, deadline=None)
@given(tool_record_doc)
def test_tool_records_round_trip(doc: dict[str, Any]) -> None:
    """Every outcome and control variant, with reserved ToolValue encodings, round-trips."""
    record = ToolCallRecord.model_validate(doc)
    assert json.dumps(record.model_dump(mode="json")) == json.dumps(doc)


_message_ids = st.sampled_from(["a", "b", "c", "d"])
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("message"), _message_ids, st.booleans()),
        st.tuples(st.just("delta"), _message_ids, st.sampled_from(["c1", "c2"])),
        st.tuples(st.just("mode"), st.none(), st.none()),
        st.tuples(st.just("plugin"), st.none(), st.none()),
        st.tuples(st.just("branch"), st.integers(0, 30), st.none()),
        st.tuples(st.just("replace"), st.lists(_message_ids, max_size=4), st.booleans()),
        st.tuples(st.just("read"), st.none(), st.none()),
    ),
    max_size=25,
)


def _apply(graph: SessionGraph, op: tuple[Any, Any, Any]) -> None:
    kind, arg, extra = op
    if kind == "message":
        graph.append_message(text_message(arg, transient=extra))
    elif kind == "delta":
        graph.append_active_read_delta(
            [call_message(arg + "!", extra), result_message(arg + "?", extra)], [tool_record(extra)]
        )
    elif kind == "mode":
        graph.append_mode_event(mode_event())
    elif kind == "plugin":
        graph.append_plugin("p", {"n": len(graph.nodes)})
    elif kind == "branch":
        graph.branch_to(graph.nodes[arg % len(graph.nodes)].node_id if graph.nodes else None)
    elif kind == "replace":
        calls = [tool_record("c1")] if extra else []
        graph.replace_active_read_state([text_message(m) for m in arg], calls)
    else:
        graph.messages()


@settings(max_examples=300, deadline=None)
@given(_operations)
def test_graph_edits_never_delete_and_cache_matches_rebuild(ops: list[Any]) -> None:
    """Any sequence of appends, branches and re-branches only adds nodes, keeps ids unique,
    and leaves a warm cache equal to a cold rebuild from JSON."""
    graph = SessionGraph()
    for op in ops:
        before = graph.model_dump(mode="json")["nodes"]
        _apply(graph, op)
        assert graph.model_dump(mode="json")["nodes"][: len(before)] == before
    ids = [n.node_id for n in graph.nodes]
    assert len(ids) == len(set(ids))
    cold = SessionGraph.model_validate_json(graph.model_dump_json())
    assert [n.node_id for n in graph.active_path()] == [n.node_id for n in cold.active_path()]
    assert list(graph.messages()) == list(cold.messages())
    assert list(graph.tool_calls()) == list(cold.tool_calls())
    assert list(graph.active_events()) == list(cold.active_events())


@settings(max_examples=200, deadline=None)
@given(st.lists(_message_ids, max_size=6), st.lists(_message_ids, max_size=6))
def test_replace_makes_the_read_model_the_target(first: list[str], second: list[str]) -> None:
    """After replace_active_read_state the read model's messages are the target's (deduped)."""
    graph = SessionGraph.from_active_read_state([text_message(m) for m in first], [])
    graph.replace_active_read_state([text_message(m) for m in second], [])
    assert [m.id for m in graph.messages()] == list(dict.fromkeys(second))
