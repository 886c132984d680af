"""From a store read to a ``PersistedSessionState``: the initial load and the refresh path.

``load_persisted_session_state`` (spec §12.3) builds a state from a read; ``apply_session_head``
and ``apply_session_checkpoint`` (spec §14 C) refresh an existing one. Execution state: **both
paths hydrate ``execution_state_snapshot``** from the checkpoint's execution-state blob. lash
hydrated it only on the initial load and set it to None on refresh (spec §16.12), so a session
refreshed on another worker lost its interpreter globals; here a state looks the same whichever
way it was loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from checkpoint.model import (
    HydratedSessionCheckpoint,
    PersistedSessionRead,
    PersistedSessionState,
    SessionPolicy,
    SessionReadScope,
)

if TYPE_CHECKING:
    from checkpoint.store._protocol import SessionStore


def _patch_policy(policy: SessionPolicy, read: PersistedSessionRead) -> None:
    """Config onto policy: model if non-empty, window if > 0; mode, approach and variant set."""
    config = read.config
    if config.configured_model:
        policy.model = config.configured_model
    if config.context_window > 0:
        policy.max_context_tokens = config.context_window
    policy.execution_mode = config.execution_mode
    policy.standard_context_approach = config.standard_context_approach
    policy.model_variant = config.model_variant


def _clear_refs(state: PersistedSessionState) -> None:
    state.tool_state_ref = None
    state.tool_state_generation = None
    state.tool_state_snapshot = None
    state.plugin_snapshot_ref = None
    state.plugin_snapshot_revision = None
    state.plugin_snapshot = None
    state.execution_state_ref = None
    state.execution_state_snapshot = None


def apply_session_head(state: PersistedSessionState, read: PersistedSessionRead) -> None:
    """Take graph, checkpoint ref, ledger and revision from a read; clear every ref and
    snapshot (the checkpoint brings them back); config onto policy (spec §14 C.2)."""
    state.session_graph = read.graph
    state.checkpoint_ref = read.checkpoint_ref
    state.token_ledger = list(read.token_ledger)
    _clear_refs(state)
    state.head_revision = read.head_revision
    state.graph_replace_required = False
    _patch_policy(state.policy, read)


def apply_session_checkpoint(
    state: PersistedSessionState, checkpoint: HydratedSessionCheckpoint | None
) -> None:
    """Turn state, refs and hydrated snapshots from a checkpoint (spec §14 C.3), execution
    state included (the §16.12 fix: the same as the initial load)."""
    if checkpoint is None:
        _clear_refs(state)
        return
    turn = checkpoint.turn_state
    state.turn_index = turn.turn_index
    state.token_usage = turn.token_usage
    state.last_prompt_usage = turn.last_prompt_usage
    state.mode_turn_options = turn.mode_turn_options
    state.tool_state_ref = checkpoint.tool_state_ref
    state.tool_state_snapshot = checkpoint.tool_state
    state.tool_state_generation = (
        checkpoint.tool_state.generation if checkpoint.tool_state is not None else None
    )
    state.plugin_snapshot_ref = checkpoint.plugin_snapshot_ref
    state.plugin_snapshot_revision = checkpoint.plugin_snapshot_revision
    state.plugin_snapshot = checkpoint.plugin_snapshot
    state.execution_state_ref = checkpoint.execution_state_ref
    state.execution_state_snapshot = checkpoint.execution_state


def state_from_read(read: PersistedSessionRead) -> PersistedSessionState:
    """A fresh state from a read: default policy patched from the config (the provider stays
    "unconfigured" for the host to replace), refs and snapshots from the checkpoint."""
    state = PersistedSessionState(session_id=read.session_id, policy=SessionPolicy.default())
    apply_session_head(state, read)
    apply_session_checkpoint(state, read.checkpoint)
    return state


async def load_persisted_session_state(
    store: SessionStore, session_id: str, scope: SessionReadScope | None = None
) -> PersistedSessionState | None:
    """The stored session as a state, or None when it has no head (spec §12.3)."""
    read = await store.load_session(session_id, scope)
    return state_from_read(read) if read is not None else None


async def refresh_persisted_session_state(
    store: SessionStore, state: PersistedSessionState
) -> bool:
    """Reload ``state`` from the store if the head moved (revision, leaf or checkpoint differ),
    keeping the in-memory provider, ``policy.session_id`` and ``max_turns``. True if it did."""
    read = await store.load_session(state.session_id)
    if read is None:
        return False
    if (
        read.head_revision == state.head_revision
        and read.graph.leaf_node_id == state.session_graph.leaf_node_id
        and read.checkpoint_ref == state.checkpoint_ref
    ):
        return False
    apply_session_head(state, read)
    apply_session_checkpoint(state, read.checkpoint)
    return True


__all__ = [
    "apply_session_checkpoint",
    "apply_session_head",
    "load_persisted_session_state",
    "refresh_persisted_session_state",
    "state_from_read",
]
