"""Forks and rewinds as store commits: new content only, nothing copied, nothing deleted.

- ``fork_session`` creates a session whose first head points into another session's graph: its
  leaf is a node of the source (the fork point), its checkpoint reuses the source's blobs, and
  its ``SessionMeta`` says where it came from (``HandoffRelation``, reason ``"fork"``, written
  once in the same transaction). The source's immutable nodes are shared, not copied: a read
  of the fork that reaches a node the fork does not hold continues in the source, along the
  path to the fork point (``shared_path``). A fork of a 1,000-turn session writes a few KB.
- ``rewind_commit`` moves a session's leaf back to the end of an earlier turn, with that turn's
  tool, plugin and execution state (lash's re-branch, spec §3.6): the old branch stays in the
  graph, and the turn counter keeps its value, so the next turn gets a new index.

A fork pins its source: vacuum or deletion of the source (or of the nodes a full rewrite left
out before the fork point) breaks the fork's reads, as it breaks rebuilding from history.
"""

from __future__ import annotations

from collections.abc import Sequence

from checkpoint.errors import ContractError
from checkpoint.model import (
    CommitReceipt,
    HandoffRelation,
    HydratedSessionCheckpoint,
    PersistedSessionConfig,
    PersistedSessionHead,
    PersistedTurnState,
    RuntimeCommit,
    SessionMeta,
    SessionNodeRecord,
    TokenLedgerEntry,
    Unchanged,
)
from checkpoint.store._protocol import SessionStore

FORK_REASON = "fork"
"""``HandoffRelation.reason`` of a session made by ``fork_session``."""


def fork_op(session_id: str, source_session_id: str, turn: int) -> str:
    """The fork's one commit: a retried fork returns the first receipt."""
    return f"{session_id}:fork:{source_session_id}:{turn}"


def rewind_op(session_id: str, rewind_id: str) -> str:
    """A rewind's commit, keyed by what asked for it (the workflow's update id)."""
    return f"{session_id}:rewind:{rewind_id}"


def fork_point(meta: SessionMeta | None) -> tuple[str, str] | None:
    """(source session, fork-point node) of a forked session; None for any other."""
    relation = meta.relation if meta is not None else None
    if isinstance(relation, HandoffRelation) and relation.reason == FORK_REASON:
        leaf = relation.metadata.get("leaf_node_id")
        if isinstance(leaf, str):
            return relation.parent_session_id, leaf
    return None


def missing_node(nodes: Sequence[SessionNodeRecord], leaf: str | None) -> str | None:
    """A node the nodes read name (as leaf or parent) but do not hold, or None."""
    ids = {n.node_id for n in nodes}
    if leaf is not None and leaf not in ids:
        return leaf
    return next(
        (n.parent_node_id for n in nodes
         if n.parent_node_id is not None and n.parent_node_id not in ids),
        None,
    )


def dangles(nodes: Sequence[SessionNodeRecord], leaf: str | None) -> bool:
    """Whether the nodes read name a node they do not hold (leaf or parent): only a fork's
    reads (or a graph whose nodes were vacuumed) do."""
    return missing_node(nodes, leaf) is not None


def up_to(path: Sequence[SessionNodeRecord], node_id: str | None) -> list[SessionNodeRecord]:
    """The root-first ``path`` cut after ``node_id`` ([] if it is not on the path)."""
    for i, node in enumerate(path):
        if node.node_id == node_id:
            return list(path[: i + 1])
    return []


def refs_only(checkpoint: HydratedSessionCheckpoint | None) -> HydratedSessionCheckpoint:
    """A checkpoint to commit that reuses the blobs of ``checkpoint`` instead of writing them."""
    if checkpoint is None:
        return HydratedSessionCheckpoint()
    return HydratedSessionCheckpoint(
        turn_state=checkpoint.turn_state,
        tool_state_ref=checkpoint.tool_state_ref,
        plugin_snapshot_ref=checkpoint.plugin_snapshot_ref,
        plugin_snapshot_revision=checkpoint.plugin_snapshot_revision,
        execution_state_ref=checkpoint.execution_state_ref,
    )


async def fork_session(
    store: SessionStore,
    *,
    source_session_id: str,
    session_id: str,
    turn: int,
    leaf_node_id: str | None,
    checkpoint_ref: str | None,
    config: PersistedSessionConfig,
    ledger: Sequence[TokenLedgerEntry],
    created_at: str,
    session_name: str = "",
) -> CommitReceipt:
    """Create ``session_id`` at the source's turn ``turn`` (its receipt's leaf and checkpoint),
    starting with ``ledger``; the source is not written. Exactly once per (new, source, turn);
    an existing ``session_id`` is refused (``HeadRevisionConflict``)."""
    if session_id == source_session_id:
        raise ContractError(f"a fork needs a new session id, not {session_id!r}")
    checkpoint = await store.load_checkpoint(checkpoint_ref) if checkpoint_ref else None
    relation = HandoffRelation(
        parent_session_id=source_session_id, reason=FORK_REASON,
        metadata={"turn": turn, "checkpoint_ref": checkpoint_ref, "leaf_node_id": leaf_node_id},
    )
    meta = SessionMeta(
        session_id=session_id, session_name=session_name or session_id, created_at=created_at,
        model=config.configured_model, parent_session_id=source_session_id, relation=relation,
    )
    commit = RuntimeCommit(
        session_id=session_id, config=config, graph=Unchanged(leaf_node_id=leaf_node_id),
        checkpoint=refs_only(checkpoint), usage_deltas=list(ledger),
        operation_id=fork_op(session_id, source_session_id, turn),
    )
    receipt = await store.commit_runtime_state(commit, metas=[meta])
    if fork_point(await store.load_session_meta(session_id)) is None:
        raise ContractError(
            f"session {session_id!r} already had metadata, so it cannot record its fork"
        )
    return receipt


async def rewind_commit(
    store: SessionStore,
    head: PersistedSessionHead,
    *,
    to_turn: int,
    leaf_node_id: str | None,
    checkpoint_ref: str | None,
    operation_id: str,
) -> CommitReceipt:
    """Move ``head``'s session back to the end of turn ``to_turn``: its leaf and checkpoint
    (checked: the checkpoint must be that turn's, the leaf a stored node), the turn counter and
    the ledger as they are. Exactly once per ``operation_id``."""
    sid = head.session_id
    landed = await store.load_receipt(sid, operation_id)
    if landed is not None:
        return landed
    target = await store.load_checkpoint(checkpoint_ref) if checkpoint_ref else None
    found = target.turn_state.turn_index if target is not None else 0
    if found != to_turn:
        raise ContractError(
            f"session {sid!r}: checkpoint {checkpoint_ref} is turn {found}'s, not turn {to_turn}'s"
        )
    if leaf_node_id is not None and await store.load_node(sid, leaf_node_id) is None:
        raise ContractError(f"session {sid!r} holds no node {leaf_node_id!r} to rewind to")
    now = head.checkpoint.turn_state.turn_index if head.checkpoint is not None else 0
    turn_state = target.turn_state if target is not None else PersistedTurnState(turn_index=0)
    commit = RuntimeCommit(
        session_id=sid, expected_head_revision=head.head_revision, config=head.config,
        graph=Unchanged(leaf_node_id=leaf_node_id),
        checkpoint=refs_only(target).model_copy(
            update={"turn_state": turn_state.model_copy(update={"turn_index": now})}
        ),
        operation_id=operation_id,
    )
    return await store.commit_runtime_state(commit)


__all__ = [
    "FORK_REASON",
    "dangles",
    "fork_op",
    "fork_point",
    "fork_session",
    "missing_node",
    "refs_only",
    "rewind_commit",
    "rewind_op",
    "up_to",
]
