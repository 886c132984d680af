"""Builders for store tests: nodes, configs and commits with predictable content."""

from __future__ import annotations

from typing import Any

from checkpoint.model import (
    Append,
    HydratedSessionCheckpoint,
    PersistedSessionConfig,
    PersistedTurnState,
    PluginSessionSnapshot,
    ReplaceFull,
    RuntimeCommit,
    SessionGraph,
    SessionNodeRecord,
    TokenLedgerEntry,
    TokenUsage,
    ToolState,
    Unchanged,
)

TIMESTAMP = "2026-05-19T09:12:03.512734+00:00"


def message_node(
    node_id: str, parent: str | None, text: str = "hello", role: str = "User"
) -> SessionNodeRecord:
    """A conversation node whose message id equals its node id (spec §3.2)."""
    data: dict[str, Any] = {"node_id": node_id}
    if parent is not None:
        data["parent_node_id"] = parent
    data.update(
        timestamp=TIMESTAMP,
        kind="event",
        event={"Conversation": {"id": node_id, "role": role, "parts": [
            {"id": f"{node_id}.p0", "kind": "Text", "content": text, "prune_state": "Intact"}
        ]}},
    )
    return SessionNodeRecord.model_validate(data)


def chain(prefix: str, count: int, parent: str | None = None, text: str = "hi") -> list[
    SessionNodeRecord
]:
    """``count`` message nodes, each the child of the one before."""
    nodes = []
    for i in range(count):
        node = message_node(f"{prefix}{i}", parent, f"{text} {i}")
        nodes.append(node)
        parent = node.node_id
    return nodes


def config(model: str = "scripted-demo") -> PersistedSessionConfig:
    return PersistedSessionConfig(
        provider_id="scripted", configured_model=model, context_window=200_000,
        execution_mode="standard",
    )


def usage(input_tokens: int = 12, output: int = 4, cached: int = 1, reasoning: int = 2) -> (
    TokenUsage
):
    return TokenUsage(
        input_tokens=input_tokens, output_tokens=output, cached_input_tokens=cached,
        reasoning_tokens=reasoning,
    )


def ledger(source: str = "turn", model: str = "scripted-demo", **kw: int) -> TokenLedgerEntry:
    return TokenLedgerEntry(source=source, model=model, usage=usage(**kw))


def tool_state(generation: int = 9) -> ToolState:
    return ToolState.model_validate({"generation": generation, "tools": {}})


def plugin_snapshot(state: str = "x") -> PluginSessionSnapshot:
    return PluginSessionSnapshot.model_validate({"plugins": {"notes": {
        "meta": {"plugin_id": "notes", "plugin_version": "1", "revision": 3, "state": state},
        "artifacts": [],
    }}})


def checkpoint(turn_index: int = 1, **fields: Any) -> HydratedSessionCheckpoint:
    return HydratedSessionCheckpoint(turn_state=PersistedTurnState(turn_index=turn_index), **fields)


def commit(
    session_id: str,
    operation_id: str,
    expected: int | None,
    graph: Unchanged | Append | ReplaceFull | None = None,
    *,
    turn_index: int = 1,
    usage_deltas: list[TokenLedgerEntry] | None = None,
    **checkpoint_fields: Any,
) -> RuntimeCommit:
    """A commit; by default an Unchanged delta with no leaf."""
    return RuntimeCommit(
        session_id=session_id,
        expected_head_revision=expected,
        config=config(),
        graph=graph if graph is not None else Unchanged(leaf_node_id=None),
        checkpoint=checkpoint(turn_index, **checkpoint_fields),
        usage_deltas=usage_deltas or [],
        operation_id=operation_id,
    )


def append(nodes: list[SessionNodeRecord], leaf: str | None = None) -> Append:
    return Append(nodes=nodes, leaf_node_id=leaf if leaf is not None else nodes[-1].node_id)


def replace_full(nodes: list[SessionNodeRecord], leaf: str | None = None) -> ReplaceFull:
    last = nodes[-1].node_id if nodes else None
    return ReplaceFull(graph=SessionGraph(nodes=nodes, leaf_node_id=leaf or last))
