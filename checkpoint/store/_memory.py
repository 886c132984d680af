"""The in-memory backend (``memory://``): dicts behind one lock, for tests and single processes.

Commits validate everything before writing a row, so a refused commit leaves nothing behind even
without a database transaction. Blobs use lash's LowLatency profile (never compressed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

from checkpoint.blobs import SealedBlob
from checkpoint.store._backend import (
    Backend,
    GcTx,
    HeadRow,
    HeadRows,
    NodeRow,
    NodeWrite,
    ReceiptRow,
    SessionRows,
    SummaryRow,
    TurnRows,
    UsageRow,
    UsageTotalRow,
    WriteTx,
)


@dataclass(slots=True)
class _Node:
    row: NodeRow
    parent_node_id: str | None
    seq: int


@dataclass(slots=True)
class _Session:
    head: HeadRow | None = None
    nodes: dict[str, _Node] = field(default_factory=dict)
    usage: dict[tuple[str, int], UsageRow] = field(default_factory=dict)
    totals: dict[tuple[str, str], UsageTotalRow] = field(default_factory=dict)
    receipts: dict[str, ReceiptRow] = field(default_factory=dict)
    meta: str | None = None
    meta_parent: str | None = None
    meta_created: float = 0.0
    effects: dict[tuple[str, str], str] = field(default_factory=dict)
    blob_roots: dict[str, float] = field(default_factory=dict)
    updated_at: float = 0.0


def _ledger_order(s: _Session) -> list[UsageTotalRow]:
    return sorted(s.totals.values(), key=lambda t: (t.first_revision, t.first_ordinal))


class MemoryBackend(Backend):
    """Everything in dicts; one asyncio lock serialises writers."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._sessions: dict[str, _Session] = {}
        self._blobs: dict[str, bytes] = {}
        self._lock = asyncio.Lock()

    def _s(self, session_id: str) -> _Session:
        return self._sessions.setdefault(session_id, _Session())

    async def setup(self) -> None:
        return None

    async def close(self) -> None:
        return None

    @asynccontextmanager
    async def write_tx(self) -> AsyncIterator[WriteTx]:
        async with self._lock:
            yield _MemoryTx(self)

    @asynccontextmanager
    async def gc_tx(self) -> AsyncIterator[GcTx]:
        async with self._lock:
            yield _MemoryGc(self)

    async def read_head(self, session_id: str) -> HeadRow | None:
        s = self._sessions.get(session_id)
        return s.head if s else None

    async def read_head_totals(self, session_id: str) -> HeadRows | None:
        s = self._sessions.get(session_id)
        if s is None or s.head is None:
            return None
        return HeadRows(s.head, _ledger_order(s))

    def _visible(self, session_id: str) -> list[_Node]:
        s = self._sessions.get(session_id)
        if s is None:
            return []
        nodes = [n for n in s.nodes.values() if n.row.attached and not n.row.tombstoned]
        return sorted(nodes, key=lambda n: n.seq)

    async def read_session(
        self, session_id: str, path_from: str | None, active_path: bool
    ) -> SessionRows | None:
        s = self._sessions.get(session_id)
        if s is None or s.head is None:
            return None
        if active_path:
            leaf = path_from if path_from is not None else s.head.leaf_node_id
            nodes = [] if leaf is None else await self.read_path(session_id, leaf, False)
        else:
            nodes = [n.row.node_json for n in self._visible(session_id)]
        return SessionRows(s.head, nodes, _ledger_order(s))

    async def read_usage(self, session_id: str) -> list[UsageRow]:
        s = self._sessions.get(session_id)
        rows = list(s.usage.values()) if s else []
        return sorted(rows, key=lambda r: (r.head_revision, r.ordinal))

    async def read_path(self, session_id: str, leaf_node_id: str, any_node: bool) -> list[str]:
        s = self._sessions.get(session_id)
        path: list[str] = []
        seen: set[str] = set()
        current: str | None = leaf_node_id
        while s and current is not None and current not in seen:
            node = s.nodes.get(current)
            if node is None or not (any_node or (node.row.attached and not node.row.tombstoned)):
                break
            seen.add(current)
            path.append(node.row.node_json)
            current = node.parent_node_id
        return path[::-1]

    async def read_window(self, session_id: str, first_seq: int, next_seq: int) -> list[str]:
        s = self._sessions.get(session_id)
        nodes = [n for n in s.nodes.values() if first_seq <= n.seq < next_seq] if s else []
        return [n.row.node_json for n in sorted(nodes, key=lambda n: n.seq)]

    async def read_node(self, session_id: str, node_id: str) -> str | None:
        s = self._sessions.get(session_id)
        node = s.nodes.get(node_id) if s else None
        return node.row.node_json if node and not node.row.tombstoned else None

    async def read_blob(self, ref: str) -> bytes | None:
        return self._blobs.get(ref)

    async def put_blob(self, blob: SealedBlob, root_session_id: str | None, now: float) -> None:
        self._blobs.setdefault(blob.ref, blob.stored)
        if root_session_id is not None:
            self._s(root_session_id).blob_roots[blob.ref] = now

    async def read_receipt(self, session_id: str, operation_id: str) -> ReceiptRow | None:
        s = self._sessions.get(session_id)
        return s.receipts.get(operation_id) if s else None

    async def list_sessions(self) -> list[str]:
        return sorted(k for k, s in self._sessions.items() if s.head is not None)

    async def read_session_summaries(
        self, parent_session_id: str | None, since: float | None, limit: int | None
    ) -> list[SummaryRow]:
        rows = [
            SummaryRow(
                key, s.head.head_revision, s.head.node_count, s.head.turn_index,
                s.head.checkpoint_ref, s.updated_at,
                s.meta_parent if s.meta is not None else None, s.meta,
            )
            for key, s in self._sessions.items()
            if s.head is not None
            and (parent_session_id is None or (s.meta is not None
                                               and s.meta_parent == parent_session_id))
            and (since is None or s.updated_at >= since)
        ]
        rows.sort(key=lambda r: r.session_id)
        rows.sort(key=lambda r: r.updated_at, reverse=True)
        return rows if limit is None else rows[:limit]

    async def insert_meta(
        self, session_id: str, parent_session_id: str | None, meta_json: str, now: float
    ) -> str:
        s = self._s(session_id)
        if s.meta is None:
            s.meta, s.meta_parent, s.meta_created = meta_json, parent_session_id, now
        return s.meta

    async def read_meta(self, session_id: str) -> str | None:
        s = self._sessions.get(session_id)
        return s.meta if s else None

    async def read_child_metas(self, parent_session_id: str) -> list[str]:
        children = sorted(
            (s.meta_created, key, s.meta) for key, s in self._sessions.items()
            if s.meta is not None and s.meta_parent == parent_session_id
        )
        return [meta for _, _, meta in children if meta is not None]

    async def tombstone(self, session_id: str, node_ids: list[str]) -> int:
        s = self._sessions.get(session_id)
        count = visible = 0
        for node_id in set(node_ids):
            node = s.nodes.get(node_id) if s else None
            if node is not None and not node.row.tombstoned:
                visible += node.row.attached
                node.row = replace(node.row, tombstoned=True)
                count += 1
        if s is not None and s.head is not None and visible:
            s.head = replace(s.head, node_count=s.head.node_count - visible)
        return count

    async def vacuum(self, session_id: str | None, detached: bool) -> int:
        count = 0
        for key, s in self._sessions.items():
            if session_id is None or key == session_id:
                dead = [k for k, n in s.nodes.items()
                        if n.row.tombstoned or (detached and not n.row.attached)]
                for k in dead:
                    del s.nodes[k]
                count += len(dead)
        return count

    async def delete_session(self, session_id: str) -> bool:
        return self._sessions.pop(session_id, None) is not None

    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: str, now: float
    ) -> str:
        return self._s(session_id).effects.setdefault((turn_id, key), outcome_json)

    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, str]:
        s = self._sessions.get(session_id)
        return {k: v for (t, k), v in s.effects.items() if t == turn_id} if s else {}

    async def read_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnRows:
        return TurnRows(
            await self.read_head(session_id),
            await self.read_receipt(session_id, operation_id),
            await self.load_effects(session_id, turn_id),
        )


class _MemoryTx(WriteTx):
    def __init__(self, backend: MemoryBackend) -> None:
        self._b = backend

    async def lock_head(self, session_id: str) -> HeadRow | None:
        return await self._b.read_head(session_id)

    async def read_receipt(self, session_id: str, operation_id: str) -> ReceiptRow | None:
        return await self._b.read_receipt(session_id, operation_id)

    async def existing_blobs(self, refs: Iterable[str]) -> set[str]:
        return {r for r in refs if r in self._b._blobs}

    async def read_nodes_by_id(self, session_id: str, node_ids: list[str]) -> dict[str, NodeRow]:
        s = self._b._sessions.get(session_id)
        return {i: s.nodes[i].row for i in node_ids if i in s.nodes} if s else {}

    async def put_blobs(self, blobs: list[SealedBlob]) -> None:
        for blob in blobs:
            self._b._blobs.setdefault(blob.ref, blob.stored)

    async def detach_all(self, session_id: str) -> None:
        for node in self._b._s(session_id).nodes.values():
            node.row = replace(node.row, attached=False)

    async def write_nodes(self, session_id: str, nodes: list[NodeWrite]) -> None:
        stored = self._b._s(session_id).nodes
        for w in nodes:
            row = NodeRow(w.node_id, w.node_json, attached=True, tombstoned=False, seq=w.seq)
            stored[w.node_id] = _Node(row, w.parent_node_id, w.seq)

    async def insert_usage(self, session_id: str, rows: list[UsageRow]) -> None:
        usage = self._b._s(session_id).usage
        for row in rows:
            usage.setdefault((row.operation_id, row.ordinal), row)

    async def add_usage_totals(self, session_id: str, rows: list[UsageTotalRow]) -> None:
        totals = self._b._s(session_id).totals
        for row in rows:
            key = (row.source, row.model)
            old = totals.get(key)
            totals[key] = row if old is None else replace(
                old,
                input_tokens=old.input_tokens + row.input_tokens,
                output_tokens=old.output_tokens + row.output_tokens,
                cached_input_tokens=old.cached_input_tokens + row.cached_input_tokens,
                reasoning_tokens=old.reasoning_tokens + row.reasoning_tokens,
            )

    async def read_blob(self, ref: str) -> bytes | None:
        return self._b._blobs.get(ref)

    async def write_head(self, head: HeadRow, updated_at: float) -> None:
        s = self._b._s(head.session_id)
        s.head, s.updated_at = head, updated_at

    async def insert_receipt(self, session_id: str, receipt: ReceiptRow) -> None:
        self._b._s(session_id).receipts.setdefault(receipt.operation_id, receipt)

    async def insert_effects(
        self, session_id: str, turn_id: str, outcomes: dict[str, str], now: float
    ) -> None:
        effects = self._b._s(session_id).effects
        for key, text in outcomes.items():
            effects.setdefault((turn_id, key), text)

    async def insert_meta(
        self, session_id: str, parent_session_id: str | None, meta_json: str, now: float
    ) -> str:
        return await self._b.insert_meta(session_id, parent_session_id, meta_json, now)


class _MemoryGc(GcTx):
    def __init__(self, backend: MemoryBackend) -> None:
        self._b = backend

    async def head_checkpoint_refs(self) -> set[str]:
        return {
            s.head.checkpoint_ref for s in self._b._sessions.values()
            if s.head is not None and s.head.checkpoint_ref is not None
        }

    async def receipt_checkpoint_refs(self, since: float | None) -> set[str]:
        return {
            r.checkpoint_ref for s in self._b._sessions.values() for r in s.receipts.values()
            if since is None or r.committed_at >= since
        }

    async def blob_root_refs(self, since: float | None) -> set[str]:
        return {
            ref for s in self._b._sessions.values() for ref, at in s.blob_roots.items()
            if since is None or at >= since
        }

    async def all_blob_refs(self) -> set[str]:
        return set(self._b._blobs)

    async def read_blob(self, ref: str) -> bytes | None:
        return self._b._blobs.get(ref)

    async def delete_blobs(self, refs: list[str]) -> int:
        return sum(self._b._blobs.pop(ref, None) is not None for ref in refs)


__all__ = ["MemoryBackend"]
