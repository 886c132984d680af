"""Module helpers of lash's ``runtime/state.rs`` (spec §1.2): heal, residency, plugin appends."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from ._create_request import (
    MessageAppendNode,
    ModeEventAppendNode,
    PluginAppendNode,
)
from ._node_ids import fresh_message_id
from ._state import PersistedSessionState


class Residency(Enum):
    """How much of the graph a runtime keeps in memory."""

    KEEP_ALL = "keep_all"
    ACTIVE_PATH_ONLY = "active_path_only"


def normalize_session_graph(state: PersistedSessionState) -> None:
    """Heal an orphaned leaf; if anything was repaired, the next commit must rewrite the graph."""
    if state.session_graph.heal_orphaned_leaf():
        state.graph_replace_required = True


def apply_residency_on_load(state: PersistedSessionState, residency: Residency) -> None:
    """Under ACTIVE_PATH_ONLY keep only the active-path nodes; KEEP_ALL changes nothing."""
    if residency is Residency.ACTIVE_PATH_ONLY:
        state.session_graph = state.session_graph.fork_current_path()


def append_session_nodes_to_state(
    state: PersistedSessionState,
    nodes: Iterable[MessageAppendNode | ModeEventAppendNode | PluginAppendNode],
) -> list[str]:
    """Append plugin-supplied nodes (message, mode event, plugin), then normalise; their ids."""
    graph = state.session_graph
    ids = []
    for node in nodes:
        if isinstance(node, MessageAppendNode):
            ids.append(graph.append_message(node.message.to_message(fresh_message_id())))
        elif isinstance(node, ModeEventAppendNode):
            ids.append(graph.append_mode_event(node.event.model_copy(deep=True)))
        else:
            ids.append(graph.append_plugin(node.plugin_type, node.body))
    normalize_session_graph(state)
    return ids
