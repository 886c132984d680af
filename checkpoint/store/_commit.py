"""One commit (spec §12.2) as one transaction, with the fixes DESIGN.md asks for (spec §16).

Everything is checked before anything is written, so a refused commit leaves the store as it
was on every backend. In order, under the session's write lock:

1. an operation id that already landed returns its first receipt and writes nothing; the same id
   with a different payload is ``OperationConflictError``;
2. the head revision is always compared; only a commit that creates the session may omit it;
3. reused blob refs must exist (no commit publishes a dangling ref);
4. appended nodes are immutable: an existing id with identical content is a no-op, with other
   content ``NodeConflictError``; a full rewrite detaches the nodes it leaves out (they stay
   stored, unloaded, until ``vacuum``) instead of deleting them, and starts the head's node
   window at its first new sequence number;
5. then: blobs, manifest, nodes, usage rows (identity: operation id + ordinal) and the running
   usage totals they add to, head, receipt, and the effect-journal records and session meta
   rows the commit carries (first write wins per key, per session).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import msgpack

from checkpoint.blobs import (
    BlobKind,
    CompressionProfile,
    SealedBlob,
    open_blob,
    ref_of_bytes,
    seal,
)
from checkpoint.errors import (
    BlobMissingError,
    HeadRevisionConflict,
    NodeConflictError,
    OperationConflictError,
)
from checkpoint.model import (
    CommitReceipt,
    RuntimeCommit,
    SessionCheckpoint,
    SessionHeadMeta,
    SessionMeta,
    SessionNodeRecord,
)
from checkpoint.store._backend import HeadRow, NodeWrite, ReceiptRow, UsageRow, WriteTx
from checkpoint.store._graph_delta import delta_nodes
from checkpoint.store._ledger import usage_totals


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    blobs: list[SealedBlob]
    reused: set[str]
    manifest: SessionCheckpoint
    manifest_blob: SealedBlob


def _prepare_checkpoint(commit: RuntimeCommit, profile: CompressionProfile) -> _Checkpoint:
    """Seal inline payloads; keep refs otherwise (spec §12.2 step 4)."""
    cp = commit.checkpoint
    blobs: list[SealedBlob] = []
    reused: set[str] = set()

    def pick(inline: object, ref: str | None, kind: BlobKind) -> str | None:
        if inline is not None:
            sealed = seal(inline, kind, profile)
            blobs.append(sealed)
            return sealed.ref
        if ref is not None:
            reused.add(ref)
        return ref

    manifest = SessionCheckpoint(
        turn_state=cp.turn_state,
        tool_state_ref=pick(cp.tool_state, cp.tool_state_ref, "ToolState"),
        plugin_snapshot_ref=pick(cp.plugin_snapshot, cp.plugin_snapshot_ref,
                                 "PluginSessionSnapshot"),
        plugin_snapshot_revision=cp.plugin_snapshot_revision,
        execution_state_ref=pick(cp.execution_state, cp.execution_state_ref,
                                 "ExecutionStateSnapshot"),
    )
    return _Checkpoint(blobs, reused, manifest, seal(manifest, "CheckpointManifest", profile))


def payload_hash(commit: RuntimeCommit) -> str:
    """What "the same payload" means for a retried operation: everything the commit writes.

    The expected revision is left out: a retry that reloaded the head (which may already hold
    its own first attempt) expects a later revision but writes the same thing, and gets the
    first receipt back.

    Byte-identical to ``blob_ref`` of that dump (receipts already stored compare against it),
    without ``serde_value``'s walk: ``model_dump(mode="json")`` already made it JSON-like."""
    dump = commit.model_dump(mode="json", exclude={"expected_head_revision"})
    return ref_of_bytes(msgpack.packb(dump, use_bin_type=True))


def _node_json(node: SessionNodeRecord) -> str:
    return node.model_dump_json()


async def _plan_nodes(
    tx: WriteTx, session_id: str, nodes: list[SessionNodeRecord], replace: bool, next_seq: int
) -> tuple[list[NodeWrite], int, int]:
    """Node rows to write, how many become newly visible and the next sequence number; raises
    before any write.

    A tombstoned node of the current graph (still attached) that comes back keeps its number,
    so the windows of earlier heads still hold it; any other node that is written (new, left
    out by a full rewrite, or rewritten by one) takes the next number."""
    batch: dict[str, tuple[SessionNodeRecord, str]] = {}
    for node in nodes:
        text = _node_json(node)
        seen = batch.get(node.node_id)
        if seen is not None and seen[1] != text:
            raise NodeConflictError(session_id, node.node_id)
        batch.setdefault(node.node_id, (node, text))
    existing = await tx.read_nodes_by_id(session_id, list(batch))
    writes: list[NodeWrite] = []
    newly_visible = 0
    for node_id, (node, text) in batch.items():
        row = existing.get(node_id)
        if row is not None and row.node_json != text:
            raise NodeConflictError(session_id, node_id)
        visible = row is not None and row.attached and not row.tombstoned
        if visible and not replace:
            continue
        newly_visible += not visible
        if row is not None and row.attached and not replace:
            writes.append(NodeWrite(node_id, node.parent_node_id, text, row.seq, True))
            continue
        writes.append(NodeWrite(node_id, node.parent_node_id, text, next_seq, row is not None))
        next_seq += 1
    return writes, newly_visible, next_seq


def receipt_from_row(session_id: str, row: ReceiptRow, manifest: object) -> CommitReceipt:
    """A stored receipt row plus its manifest blob's value, as the commit first returned it."""
    return CommitReceipt(
        head_revision=row.head_revision, checkpoint_ref=row.checkpoint_ref,
        manifest=SessionCheckpoint.model_validate(manifest), session_id=session_id,
        operation_id=row.operation_id, leaf_node_id=row.leaf_node_id,
        node_window=row.node_window,
    )


async def _receipt(tx: WriteTx, session_id: str, row: ReceiptRow) -> CommitReceipt:
    manifest = open_blob(row.checkpoint_ref, await tx.read_blob(row.checkpoint_ref))
    return receipt_from_row(session_id, row, manifest)


async def apply_commit(
    tx: WriteTx,
    commit: RuntimeCommit,
    digest: str,
    profile: CompressionProfile,
    effects: tuple[str, dict[str, str]] | None = None,
    metas: Sequence[SessionMeta] = (),
) -> CommitReceipt:
    """Run one commit inside ``tx``; see the module docstring for the order of checks."""
    session_id, operation_id = commit.session_id, commit.operation_id
    head = await tx.lock_head(session_id)
    landed = await tx.read_receipt(session_id, operation_id)
    if landed is not None:
        if landed.payload_hash != digest:
            raise OperationConflictError(session_id, operation_id)
        return await _receipt(tx, session_id, landed)
    actual = head.head_revision if head else 0
    expected = commit.expected_head_revision
    if (head is not None and expected != actual) or (head is None and expected not in (None, 0)):
        raise HeadRevisionConflict(session_id, expected, actual)

    checkpoint = _prepare_checkpoint(commit, profile)
    missing = checkpoint.reused - await tx.existing_blobs(checkpoint.reused)
    if missing:
        raise BlobMissingError(sorted(missing)[0])

    kind, nodes, leaf = delta_nodes(commit.graph)
    next_seq = head.next_seq if head else 0
    count = head.node_count if head else 0
    replace = kind == "replace"
    first_seq = next_seq if replace or head is None else head.first_seq
    writes, newly_visible, end_seq = await _plan_nodes(tx, session_id, nodes, replace, next_seq)
    if replace:
        count = len({n.node_id for n in nodes})
    else:
        count += newly_visible

    await tx.put_blobs([*checkpoint.blobs, checkpoint.manifest_blob])
    if replace:
        await tx.detach_all(session_id)
    if writes:
        await tx.write_nodes(session_id, writes)
    revision = actual + 1
    usage = [
        UsageRow(operation_id, i, revision, e.source, e.model, e.usage.input_tokens,
                 e.usage.output_tokens, e.usage.cached_input_tokens, e.usage.reasoning_tokens)
        for i, e in enumerate(commit.usage_deltas)
    ]
    await tx.insert_usage(session_id, usage)
    await tx.add_usage_totals(session_id, usage_totals(usage))
    checkpoint_ref = checkpoint.manifest_blob.ref
    meta = SessionHeadMeta(
        session_id=session_id, head_revision=revision, config=commit.config,
        checkpoint_ref=checkpoint_ref, leaf_node_id=leaf, graph_node_count=count,
        token_ledger=[],
    )
    now = time.time()
    await tx.write_head(HeadRow(
        session_id, revision, meta.model_dump_json(), checkpoint_ref, leaf, count, end_seq,
        first_seq=first_seq, turn_index=commit.checkpoint.turn_state.turn_index,
    ), now)
    await tx.insert_receipt(session_id, ReceiptRow(
        operation_id, digest, revision, checkpoint_ref, leaf, now, first_seq, end_seq,
    ))
    if effects is not None and effects[1]:
        await tx.insert_effects(session_id, effects[0], effects[1], now)
    for i, m in enumerate(metas):
        # A microsecond apart: children one turn starts are listed in the order it named them.
        at = now + i * 1e-6
        await tx.insert_meta(m.session_id, m.parent_session_id, m.model_dump_json(), at)
    return CommitReceipt(
        head_revision=revision, checkpoint_ref=checkpoint_ref, manifest=checkpoint.manifest,
        session_id=session_id, operation_id=operation_id, leaf_node_id=leaf,
        node_window=(first_seq, end_seq),
    )


__all__ = ["apply_commit", "payload_hash"]
