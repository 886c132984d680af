"""State methods and helpers of spec §1.2, and RuntimeCommit.persisted_state (§12.4)."""

from __future__ import annotations

import json

from model_builders import mode_event, text_message

from checkpoint.model import (
    CommitReceipt,
    MessageAppendNode,
    ModeEventAppendNode,
    PersistedSessionState,
    PluginAppendNode,
    PluginMessage,
    PluginSessionSnapshot,
    ReplaceFull,
    Residency,
    RuntimeCommit,
    RuntimeCommitResult,
    SessionCheckpoint,
    ToolState,
    Unchanged,
    append_session_nodes_to_state,
    apply_residency_on_load,
    normalize_session_graph,
)


def _state() -> PersistedSessionState:
    state = PersistedSessionState(session_id="s")
    state.session_graph.append_message(text_message("a"))
    state.session_graph.append_message(text_message("b", "Assistant"))
    return state


def _tools(generation: int) -> ToolState:
    return ToolState(generation=generation, tools={})


def _plugins() -> PluginSessionSnapshot:
    return PluginSessionSnapshot.model_validate(
        {"plugins": {"p": {"meta": {"plugin_id": "p", "plugin_version": "1"}}}}
    )


class FakePlugins:
    """A live plugin session: registry generation, fingerprint, snapshot (maybe failing)."""

    def __init__(self, generation: int, fingerprint: int, fail: bool = False) -> None:
        self.generation, self.fingerprint, self.fail = generation, fingerprint, fail
        self.exports = 0

    def tool_registry_generation(self) -> int:
        return self.generation

    def export_tool_state(self) -> ToolState:
        self.exports += 1
        return _tools(self.generation)

    def snapshot_revision_fingerprint(self) -> int:
        return self.fingerprint

    def snapshot(self) -> PluginSessionSnapshot:
        if self.fail:
            raise RuntimeError("plugin refused")
        return _plugins()


def test_runtime_fields_are_never_serialized() -> None:
    """head_revision and graph_replace_required are not written and come back unset."""
    state = _state()
    state.head_revision, state.graph_replace_required = 7, True
    dumped = state.model_dump(mode="json")
    assert "head_revision" not in dumped and "graph_replace_required" not in dumped
    again = PersistedSessionState.model_validate({**dumped, "head_revision": 9})
    assert again.head_revision is None and again.graph_replace_required is False


def test_export_and_apply_state_move_only_envelope_fields() -> None:
    """export_state gives the 7 fields; apply_exported_state overwrites those and nothing else."""
    state = _state()
    state.checkpoint_ref, state.turn_index = "ref", 4
    envelope = state.export_state()
    assert list(envelope.model_dump(mode="json")) == [
        "session_id", "policy", "session_graph", "turn_index", "token_usage", "mode_turn_options"
    ]
    envelope.turn_index = 9
    assert state.turn_index == 4  # the envelope is a copy
    state.apply_exported_state(envelope)
    assert state.turn_index == 9 and state.checkpoint_ref == "ref"
    fresh = PersistedSessionState.from_state(envelope)
    assert fresh.checkpoint_ref is None and fresh.token_ledger == [] and fresh.turn_index == 9


def test_stamp_runtime_state_sets_snapshots_and_generation_only() -> None:
    """stamp attaches clones and the generation; refs and the revision are untouched."""
    state = _state()
    state.plugin_snapshot_revision, state.tool_state_ref = 5, "t"
    tools = _tools(3)
    state.stamp_runtime_state(tools, _plugins())
    assert state.tool_state_snapshot == tools and state.tool_state_snapshot is not tools
    assert state.tool_state_generation == 3 and state.plugin_snapshot is not None
    assert (state.plugin_snapshot_revision, state.tool_state_ref) == (5, "t")
    state.stamp_runtime_state(None, None)
    assert state.tool_state_generation is None and state.plugin_snapshot is None


def test_refresh_writes_tool_state_only_when_ref_missing_or_generation_changed() -> None:
    """No ref or a new generation attaches a snapshot; otherwise the ref is reused."""
    state = _state()
    plugins = FakePlugins(generation=1, fingerprint=11)
    state.refresh_plugin_snapshots(plugins)
    assert state.tool_state_snapshot is not None and state.tool_state_generation == 1
    state.discard_runtime_snapshots()
    state.tool_state_ref = "t1"
    state.refresh_plugin_snapshots(plugins)
    assert state.tool_state_snapshot is None and plugins.exports == 1
    plugins.generation = 2
    state.refresh_plugin_snapshots(plugins)
    assert state.tool_state_generation == 2 and plugins.exports == 2


def test_refresh_plugin_snapshot_keyed_on_fingerprint_and_revision_always_set() -> None:
    """A changed fingerprint (or no ref) attaches a snapshot; the revision is always updated."""
    state = _state()
    state.plugin_snapshot_ref, state.plugin_snapshot_revision = "p", 11
    state.refresh_plugin_snapshots(FakePlugins(1, 11))
    assert state.plugin_snapshot is None and state.plugin_snapshot_revision == 11
    state.refresh_plugin_snapshots(FakePlugins(1, 12))
    assert state.plugin_snapshot is not None and state.plugin_snapshot_revision == 12


def test_refresh_failed_plugin_snapshot_becomes_none() -> None:
    """A plugin snapshot that raises becomes None; the revision is still set."""
    state = _state()
    state.refresh_plugin_snapshots(FakePlugins(1, 13, fail=True))
    assert state.plugin_snapshot is None and state.plugin_snapshot_revision == 13


def _result(tool_ref: str | None) -> RuntimeCommitResult:
    manifest = SessionCheckpoint(
        tool_state_ref=tool_ref, plugin_snapshot_ref="p", plugin_snapshot_revision=12,
        execution_state_ref="e",
    )
    return RuntimeCommitResult(head_revision=3, checkpoint_ref="c", manifest=manifest)


def test_apply_commit_result_takes_refs_and_clears_snapshots() -> None:
    """Head, refs and revision come from the result; the three inline snapshots are cleared."""
    state = _state()
    state.stamp_runtime_state(_tools(4), _plugins())
    state.set_execution_state_snapshot(b"\x01")
    state.graph_replace_required = True
    state.apply_persisted_commit_result(_result("t"))
    assert (state.head_revision, state.checkpoint_ref, state.tool_state_ref) == (3, "c", "t")
    assert state.tool_state_generation == 4
    assert (state.plugin_snapshot_ref, state.plugin_snapshot_revision) == ("p", 12)
    assert state.execution_state_ref == "e" and state.graph_replace_required is False
    assert state.tool_state_snapshot is None and state.plugin_snapshot is None
    assert state.execution_state_snapshot is None


def test_apply_commit_result_generation_rules_without_snapshot() -> None:
    """No inline snapshot: a None ref clears the generation, a ref keeps the old one."""
    state = _state()
    state.tool_state_generation = 6
    state.apply_persisted_commit_result(_result("t"))
    assert state.tool_state_generation == 6
    state.apply_persisted_commit_result(_result(None))
    assert state.tool_state_generation is None


def test_commit_receipt_is_a_commit_result() -> None:
    """apply_persisted_commit_result accepts a CommitReceipt."""
    state = _state()
    base = _result("t")
    receipt = CommitReceipt(
        **base.model_dump(), session_id="s", operation_id="op", leaf_node_id="b"
    )
    state.apply_persisted_commit_result(receipt)
    assert state.head_revision == 3
    assert CommitReceipt.model_validate_json(receipt.model_dump_json()) == receipt


def test_execution_state_none_deletes_the_ref() -> None:
    """set_execution_state_snapshot(None) also clears execution_state_ref."""
    state = _state()
    state.execution_state_ref = "e"
    state.set_execution_state_snapshot(b"\x00\xff")
    assert state.execution_state_ref == "e"
    assert state.model_dump(mode="json")["execution_state_snapshot"] == [0, 255]
    state.set_execution_state_snapshot(None)
    assert state.execution_state_ref is None and state.execution_state_snapshot is None


def test_turn_state_and_usage_report() -> None:
    """turn_state copies the four turn fields; usage_report reads the ledger."""
    state = PersistedSessionState.model_validate(
        {"session_id": "s", "turn_index": 3, "token_ledger": [
            {"source": "turn", "model": "m", "usage": {
                "input_tokens": 37, "output_tokens": 7, "cached_input_tokens": 8,
                "reasoning_tokens": 3}}]}
    )
    turn = state.turn_state()
    assert turn.turn_index == 3 and turn.mode_turn_options.payload == {}
    assert state.usage_report().usage.context_total_tokens == 55


def test_replace_active_read_state_clears_the_replace_flag() -> None:
    """As in lash, replace_* resets graph_replace_required (a kept quirk)."""
    state = _state()
    state.graph_replace_required = True
    state.replace_active_read_state([text_message("a")], [])
    assert state.graph_replace_required is False
    state.graph_replace_required = True
    state.replace_active_tool_calls([])
    assert state.graph_replace_required is False


def test_normalize_session_graph_heals_and_flags_a_full_rewrite() -> None:
    """A repaired leaf sets graph_replace_required; a sound graph does not."""
    state = _state()
    normalize_session_graph(state)
    assert state.graph_replace_required is False
    state.session_graph.branch_to("gone")
    normalize_session_graph(state)
    assert state.session_graph.leaf_node_id == "b" and state.graph_replace_required is True


def test_residency_active_path_only_forks_the_graph() -> None:
    """ACTIVE_PATH_ONLY keeps the active path; KEEP_ALL changes nothing."""
    state = _state()
    state.session_graph.branch_to("a")
    state.session_graph.append_message(text_message("c"))
    apply_residency_on_load(state, Residency.KEEP_ALL)
    assert len(state.session_graph.nodes) == 3
    apply_residency_on_load(state, Residency.ACTIVE_PATH_ONLY)
    assert [n.node_id for n in state.session_graph.nodes] == ["a", "c"]


def test_append_session_nodes_to_state_returns_ids() -> None:
    """Message, mode event and plugin append nodes become graph nodes, in order."""
    state = _state()
    ids = append_session_nodes_to_state(
        state,
        [
            MessageAppendNode(message=PluginMessage(role="User", content="seed")),
            ModeEventAppendNode(event=mode_event()),
            PluginAppendNode(plugin_type="p", body={"x": 1}),
        ],
    )
    assert ids[0].startswith("m") and ids[1].startswith("mode:") and ids[2].startswith("plugin:")
    message = state.session_graph.messages()[-1]
    assert message.parts[0].id == f"{message.id}.p0" and message.parts[0].content == "seed"
    assert message.origin is not None and message.origin.plugin_id == "plugin"


def test_persisted_state_commit_replaces_full_graph_without_head() -> None:
    """No head revision (or a pending rewrite): ReplaceFull with the state's graph."""
    state = _state()
    state.stamp_runtime_state(_tools(1), None)
    commit = RuntimeCommit.persisted_state(state, [], operation_id="op-1")
    assert isinstance(commit.graph, ReplaceFull) and commit.expected_head_revision is None
    assert commit.graph.graph == state.session_graph
    assert commit.checkpoint.tool_state == _tools(1) and commit.operation_id == "op-1"
    state.head_revision, state.graph_replace_required = 2, True
    assert isinstance(RuntimeCommit.persisted_state(state, [], operation_id="x").graph, ReplaceFull)


def test_persisted_state_commit_unchanged_with_head() -> None:
    """With a head and no pending rewrite: Unchanged{leaf}, expected = head_revision."""
    state = _state()
    state.head_revision = 5
    commit = RuntimeCommit.persisted_state(state, [], operation_id="op")
    assert isinstance(commit.graph, Unchanged) and commit.graph.leaf_node_id == "b"
    assert commit.expected_head_revision == 5 and commit.leaf_node_id() == "b"
    assert commit.config.provider_id == "unconfigured"
    again = RuntimeCommit.model_validate_json(commit.model_dump_json())
    assert json.loads(again.model_dump_json()) == json.loads(commit.model_dump_json())


def test_deep_copies_share_nodes_but_append_independently() -> None:
    """A copied state shares the immutable nodes yet appends and branches on its own."""
    state = _state()
    copied = state.model_copy(deep=True)
    assert copied.session_graph.nodes[0] is state.session_graph.nodes[0]
    copied.session_graph.append_message(text_message("c"))
    copied.session_graph.branch_to("a")
    assert len(state.session_graph.nodes) == 2 and state.session_graph.leaf_node_id == "b"
    assert [m.id for m in state.session_graph.messages()] == ["a", "b"]
