"""Small adapters between the model's commit/read types and the store's rows."""

from __future__ import annotations

from typing import Literal

from checkpoint.model import (
    ActivePath,
    Append,
    ReplaceFull,
    SessionNodeRecord,
    SessionReadScope,
    Unchanged,
)

DeltaKind = Literal["unchanged", "append", "replace"]


def delta_nodes(
    delta: Unchanged | Append | ReplaceFull,
) -> tuple[DeltaKind, list[SessionNodeRecord], str | None]:
    """(kind, nodes to write, new leaf) of a graph delta."""
    if isinstance(delta, ReplaceFull):
        return "replace", list(delta.graph.nodes), delta.graph.leaf_node_id
    if isinstance(delta, Append):
        return "append", list(delta.nodes), delta.leaf_node_id
    return "unchanged", [], delta.leaf_node_id


def scope_leaf(scope: SessionReadScope | None) -> tuple[bool, str | None]:
    """(active path only?, requested leaf) of a read scope; None means the full graph."""
    if isinstance(scope, ActivePath):
        return True, scope.leaf_node_id
    return False, None


__all__ = ["DeltaKind", "delta_nodes", "scope_leaf"]
