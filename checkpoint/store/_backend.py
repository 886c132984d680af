"""The hooks a backend fills in: plain rows in, plain rows out, no session rules.

Every rule (exactly-once, revision checks, node immutability, hash verification, GC roots) lives
once in ``_base``/``_commit``/``_gc``; a backend only moves rows. A write transaction is one
database transaction holding the session's write lock from ``lock_head`` on, so racing writers
serialise per session; a GC transaction excludes every commit while it runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TypeVar

from checkpoint.blobs import SealedBlob

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HeadRow:
    """One session head as stored."""

    session_id: str
    head_revision: int
    head_json: str
    checkpoint_ref: str | None
    leaf_node_id: str | None
    node_count: int
    next_seq: int
    first_seq: int = 0
    """Where the graph's run of sequence numbers began (its last full rewrite): the graph is
    the nodes with ``seq`` in ``[first_seq, next_seq)``."""
    turn_index: int | None = None
    """The head checkpoint's turn (written, not read back by head loads; None before v4)."""

    @property
    def node_window(self) -> tuple[int, int]:
        """``(first_seq, next_seq)``: the sequence numbers of the head's graph."""
        return self.first_seq, self.next_seq


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One session as ``list_session_summaries`` reads it: head row fields, last activity and
    the meta row (both None when the session has no meta)."""

    session_id: str
    head_revision: int
    node_count: int
    turn_index: int | None
    checkpoint_ref: str | None
    updated_at: float
    parent_session_id: str | None
    meta_json: str | None


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One stored node: its serde JSON and whether loads see it."""

    node_id: str
    node_json: str
    attached: bool
    tombstoned: bool
    seq: int


@dataclass(frozen=True, slots=True)
class NodeWrite:
    """A node to insert, or an existing identical one to (re)attach at ``seq``."""

    node_id: str
    parent_node_id: str | None
    node_json: str
    seq: int
    exists: bool


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One usage delta with its identity (operation id, ordinal)."""

    operation_id: str
    ordinal: int
    head_revision: int
    source: str
    model: str
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    reasoning_tokens: int


@dataclass(frozen=True, slots=True)
class UsageTotalRow:
    """One merged ledger row: the sums of a (source, model)'s kept usage rows, and the
    (revision, ordinal) of the first of them, which orders the ledger as the merge does."""

    source: str
    model: str
    first_revision: int
    first_ordinal: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    reasoning_tokens: int


@dataclass(frozen=True, slots=True)
class HeadRows:
    """A head and its usage totals (in ledger order), read in one snapshot."""

    head: HeadRow
    totals: list[UsageTotalRow]


@dataclass(frozen=True, slots=True)
class SessionRows:
    """One consistent snapshot of a session: head, node JSON (in order) and usage totals (in
    ledger order)."""

    head: HeadRow
    nodes: list[str]
    totals: list[UsageTotalRow]


@dataclass(frozen=True, slots=True)
class TurnRows:
    """What a turn reads before it runs: the head, one operation's receipt and the turn's
    effect journal, in one round trip."""

    head: HeadRow | None
    receipt: ReceiptRow | None
    effects: dict[str, str]


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    """The first result of an operation, and the hash of the payload that produced it."""

    operation_id: str
    payload_hash: str
    head_revision: int
    checkpoint_ref: str
    leaf_node_id: str | None
    committed_at: float
    first_seq: int | None = None
    next_seq: int | None = None
    """The head's node window after this commit (None for receipts stored before v5)."""

    @property
    def node_window(self) -> tuple[int, int] | None:
        if self.first_seq is None or self.next_seq is None:
            return None
        return self.first_seq, self.next_seq


class WriteTx(ABC):
    """One commit's transaction. Reads see the transaction's own writes."""

    @abstractmethod
    async def lock_head(self, session_id: str) -> HeadRow | None:
        """Take the session's write lock (also when no head exists yet) and read its head."""

    @abstractmethod
    async def read_receipt(self, session_id: str, operation_id: str) -> ReceiptRow | None: ...

    @abstractmethod
    async def read_blob(self, ref: str) -> bytes | None: ...

    @abstractmethod
    async def existing_blobs(self, refs: Iterable[str]) -> set[str]: ...

    @abstractmethod
    async def read_nodes_by_id(self, session_id: str, node_ids: list[str]) -> dict[str, NodeRow]:
        ...

    @abstractmethod
    async def put_blobs(self, blobs: list[SealedBlob]) -> None:
        """Insert blobs that are not stored yet (content addressing makes a duplicate a no-op)."""

    @abstractmethod
    async def detach_all(self, session_id: str) -> None:
        """Mark every node of the session as left out of its graph (a full rewrite)."""

    @abstractmethod
    async def write_nodes(self, session_id: str, nodes: list[NodeWrite]) -> None:
        """Insert new nodes; set existing ones attached, untombstoned, at their new seq."""

    @abstractmethod
    async def insert_usage(self, session_id: str, rows: list[UsageRow]) -> None: ...

    @abstractmethod
    async def add_usage_totals(self, session_id: str, rows: list[UsageTotalRow]) -> None:
        """Add each row into its (source, model) total, in order; a new key keeps the row's
        first revision and ordinal."""

    @abstractmethod
    async def write_head(self, head: HeadRow, updated_at: float) -> None: ...

    @abstractmethod
    async def insert_receipt(self, session_id: str, receipt: ReceiptRow) -> None: ...

    @abstractmethod
    async def insert_effects(
        self, session_id: str, turn_id: str, outcomes: dict[str, str], now: float
    ) -> None:
        """Journal records that ride the commit; a key that exists keeps its first outcome."""

    @abstractmethod
    async def insert_meta(
        self, session_id: str, parent_session_id: str | None, meta_json: str, now: float
    ) -> str:
        """Insert a session's meta row unless it has one; return the stored JSON (first write
        wins)."""


class GcTx(ABC):
    """GC's transaction: no commit runs while it is open."""

    @abstractmethod
    async def head_checkpoint_refs(self) -> set[str]: ...

    @abstractmethod
    async def receipt_checkpoint_refs(self, since: float | None) -> set[str]:
        """Checkpoints committed at or after ``since`` (all when None), of existing sessions."""

    @abstractmethod
    async def blob_root_refs(self, since: float | None) -> set[str]: ...

    @abstractmethod
    async def all_blob_refs(self) -> set[str]: ...

    @abstractmethod
    async def read_blob(self, ref: str) -> bytes | None: ...

    @abstractmethod
    async def delete_blobs(self, refs: list[str]) -> int: ...

    async def blob_bytes(self, refs: list[str]) -> int:
        """Stored bytes of these blobs (a backend may sum them without reading them)."""
        total = 0
        for ref in refs:
            total += len(await self.read_blob(ref) or b"")
        return total


class Backend(ABC):
    """Row storage for the store. Implementations: memory, SQLite, PostgreSQL."""

    url: str

    @abstractmethod
    async def setup(self) -> None:
        """Open connections and apply pending migrations. Called once, before anything else."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def write_tx(self) -> AbstractAsyncContextManager[WriteTx]: ...

    async def run_write(self, work: Callable[[WriteTx], Awaitable[T]]) -> T:
        """Run ``work`` in one write transaction; a backend may run it whole somewhere else
        (SQLite: in its thread, in one hop)."""
        async with self.write_tx() as tx:
            return await work(tx)

    @abstractmethod
    def gc_tx(self) -> AbstractAsyncContextManager[GcTx]: ...

    @abstractmethod
    async def read_head(self, session_id: str) -> HeadRow | None: ...

    @abstractmethod
    async def read_head_totals(self, session_id: str) -> HeadRows | None:
        """The head and its usage totals in ledger order, in one snapshot; no node rows."""

    @abstractmethod
    async def read_session(
        self, session_id: str, path_from: str | None, active_path: bool
    ) -> SessionRows | None:
        """Head, nodes and usage totals read in one snapshot. Nodes: the visible graph in
        insertion order, or (``active_path``) the visible path from ``path_from`` (else the
        head's leaf)."""

    @abstractmethod
    async def read_usage(self, session_id: str) -> list[UsageRow]:
        """Every usage row of the session, ordered by (revision, ordinal): the ledger's source
        of truth, which the running totals must always equal when merged (audits, tests)."""

    @abstractmethod
    async def read_path(self, session_id: str, leaf_node_id: str, any_node: bool) -> list[str]:
        """Node JSON from the root to ``leaf_node_id``; ``any_node`` also follows hidden nodes."""

    @abstractmethod
    async def read_node(self, session_id: str, node_id: str) -> str | None: ...

    @abstractmethod
    async def read_window(self, session_id: str, first_seq: int, next_seq: int) -> list[str]:
        """Node JSON with ``seq`` in ``[first_seq, next_seq)`` in ``seq`` order, hidden or not:
        the graph a head with that node window had (``load_graph_window``)."""

    @abstractmethod
    async def read_blob(self, ref: str) -> bytes | None: ...

    @abstractmethod
    async def put_blob(self, blob: SealedBlob, root_session_id: str | None, now: float) -> None:
        ...

    @abstractmethod
    async def read_receipt(self, session_id: str, operation_id: str) -> ReceiptRow | None: ...

    @abstractmethod
    async def list_sessions(self) -> list[str]: ...

    @abstractmethod
    async def read_session_summaries(
        self, parent_session_id: str | None, since: float | None, limit: int | None
    ) -> list[SummaryRow]:
        """Sessions with a head joined with their meta, newest activity first (then by id);
        only children of ``parent_session_id``, only those updated at or after ``since``, at
        most ``limit``: one statement in the SQL backends."""

    @abstractmethod
    async def insert_meta(
        self, session_id: str, parent_session_id: str | None, meta_json: str, now: float
    ) -> str:
        """Insert a session's meta row unless it has one; return the stored JSON (first write
        wins)."""

    @abstractmethod
    async def read_meta(self, session_id: str) -> str | None: ...

    @abstractmethod
    async def read_child_metas(self, parent_session_id: str) -> list[str]:
        """Meta JSON of the sessions whose parent is ``parent_session_id``, oldest first (then
        by session id)."""

    @abstractmethod
    async def tombstone(self, session_id: str, node_ids: list[str]) -> int:
        """Hide nodes from loads (and from the head's node count); returns how many."""

    @abstractmethod
    async def vacuum(self, session_id: str | None, detached: bool) -> int:
        """Delete tombstoned nodes, and with ``detached`` the ones full rewrites left out (of
        one session, or all); returns how many."""

    @abstractmethod
    async def delete_session(self, session_id: str) -> bool:
        """Remove a session's head, nodes, usage, receipts, meta, effects and blob roots."""

    @abstractmethod
    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: str, now: float
    ) -> str:
        """Insert unless the key exists; return the stored outcome (first write wins)."""

    @abstractmethod
    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, str]: ...

    @abstractmethod
    async def read_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnRows:
        """Head, the receipt of ``operation_id`` and the turn's effects, read in that order
        (a receipt seen implies its commit's effects are seen too)."""


__all__ = [
    "Backend",
    "GcTx",
    "HeadRow",
    "HeadRows",
    "NodeRow",
    "NodeWrite",
    "ReceiptRow",
    "SessionRows",
    "SummaryRow",
    "TurnRows",
    "UsageRow",
    "UsageTotalRow",
    "WriteTx",
]
