"""SQL shared by the SQLite and PostgreSQL backends (both speak ``ON CONFLICT`` and ``WITH
RECURSIVE``); a backend supplies a runner (fetch/execute/executemany) and its parameter style."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

from checkpoint.blobs import SealedBlob
from checkpoint.store._backend import (
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

_CHUNK = 500
_MAX_DEPTH = 10_000_000


class Runner(Protocol):
    async def fetch(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]: ...

    async def execute(self, sql: str, args: Iterable[Any] = ()) -> int: ...

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...


@dataclass(frozen=True, slots=True)
class SqlDialect:
    """What differs between the two SQL backends."""

    param: str

    def q(self, sql: str) -> str:
        """Write ``?`` placeholders in this dialect's style."""
        return sql if self.param == "?" else sql.replace("?", self.param)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


HEAD_COLUMNS = (
    "session_id, head_revision, head_json, checkpoint_ref, leaf_node_id, node_count, next_seq, "
    "first_seq"
)
_RECEIPT_COLUMNS = (
    "operation_id, payload_hash, head_revision, checkpoint_ref, leaf_node_id, committed_at, "
    "first_seq, next_seq"
)
_USAGE_COLUMNS = (
    "operation_id, ordinal, head_revision, source, model, input_tokens, output_tokens, "
    "cached_input_tokens, reasoning_tokens"
)
_TOTAL_COLUMNS = (
    "source, model, first_revision, first_ordinal, input_tokens, output_tokens, "
    "cached_input_tokens, reasoning_tokens"
)
_VISIBLE = "attached = 1 AND tombstoned = 0"
_first = itemgetter(0)
_SUMMARY_COLUMNS = (
    "s.session_id, s.head_revision, s.node_count, s.turn_index, s.checkpoint_ref, "
    "s.updated_at, m.parent_session_id, m.meta_json"
)

HEAD_SQL = f"SELECT {HEAD_COLUMNS} FROM lash_sessions WHERE session_id = ?"
RECEIPT_SQL = (
    f"SELECT {_RECEIPT_COLUMNS} FROM lash_receipts WHERE session_id = ? AND operation_id = ?"
)
EFFECTS_SQL = (
    "SELECT effect_key, outcome_json FROM lash_effects WHERE session_id = ? AND turn_id = ?"
)
INSERT_EFFECT_SQL = (
    "INSERT INTO lash_effects (session_id, turn_id, effect_key, outcome_json, created_at) "
    "VALUES (?,?,?,?,?) ON CONFLICT (session_id, turn_id, effect_key) DO NOTHING"
)


HEAD_TOTALS_SQL = (
    "SELECT " + ", ".join(f"s.{c}" for c in HEAD_COLUMNS.split(", ")) + ", "
    + ", ".join(f"t.{c}" for c in _TOTAL_COLUMNS.split(", "))
    + " FROM lash_sessions s LEFT JOIN lash_usage_totals t ON t.session_id = s.session_id"
    " WHERE s.session_id = ? ORDER BY t.first_revision, t.first_ordinal"
)
"""One statement (one snapshot, one round trip): the head, repeated on each totals row."""

_HEAD_WIDTH = len(HEAD_COLUMNS.split(", "))


def head_rows(rows: list[tuple[Any, ...]]) -> HeadRows | None:
    """Rows of ``HEAD_TOTALS_SQL`` as one ``HeadRows`` (None without a head)."""
    if not rows:
        return None
    totals = [UsageTotalRow(*r[_HEAD_WIDTH:]) for r in rows if r[_HEAD_WIDTH] is not None]
    return HeadRows(HeadRow(*rows[0][:_HEAD_WIDTH]), totals)


def turn_rows(
    head: list[tuple[Any, ...]], receipt: list[tuple[Any, ...]], effects: list[tuple[Any, ...]]
) -> TurnRows:
    """Rows of ``HEAD_SQL``, ``RECEIPT_SQL`` and ``EFFECTS_SQL`` as one ``TurnRows``."""
    return TurnRows(
        HeadRow(*head[0]) if head else None,
        ReceiptRow(*receipt[0]) if receipt else None,
        {str(k): str(v) for k, v in effects},
    )


class SqlBase:
    def __init__(self, dialect: SqlDialect, runner: Runner) -> None:
        self.d, self.r = dialect, runner

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return await self.r.fetch(self.d.q(sql), args)

    async def execute(self, sql: str, *args: Any) -> int:
        return await self.r.execute(self.d.q(sql), args)

    async def read_head(self, session_id: str) -> HeadRow | None:
        rows = await self.fetch(HEAD_SQL, session_id)
        return HeadRow(*rows[0]) if rows else None

    async def read_receipt(self, session_id: str, operation_id: str) -> ReceiptRow | None:
        rows = await self.fetch(RECEIPT_SQL, session_id, operation_id)
        return ReceiptRow(*rows[0]) if rows else None

    async def read_blob(self, ref: str) -> bytes | None:
        rows = await self.fetch("SELECT content FROM lash_blobs WHERE ref = ?", ref)
        return bytes(rows[0][0]) if rows else None


class SqlReads(SqlBase):
    """Reads outside any write transaction."""

    async def read_session(
        self, session_id: str, path_from: str | None, active_path: bool
    ) -> SessionRows | None:
        head = await self.read_head(session_id)
        if head is None:
            return None
        if active_path:
            leaf = path_from if path_from is not None else head.leaf_node_id
            nodes = [] if leaf is None else await self.read_path(session_id, leaf, False)
        else:
            nodes = await self.read_graph(session_id)
        return SessionRows(head, nodes, await self.read_totals(session_id))

    async def read_head_totals(self, session_id: str) -> HeadRows | None:
        return head_rows(await self.fetch(HEAD_TOTALS_SQL, session_id))

    async def read_graph(self, session_id: str) -> list[str]:
        """The visible nodes in ``seq`` order. Sorted here, not by ``ORDER BY seq``: without it
        SQLite reads the session's rows in primary-key order, one range of its table, instead
        of looking each row up from the ``seq`` index (about 25% of a 1,000-turn read)."""
        rows = await self.fetch(
            f"SELECT seq, node_json FROM lash_nodes WHERE session_id = ? AND {_VISIBLE}",
            session_id,
        )
        rows.sort(key=_first)
        return [r[1] for r in rows]

    async def read_path(self, session_id: str, leaf_node_id: str, any_node: bool) -> list[str]:
        visible = "" if any_node else f"AND {_VISIBLE}"
        rows = await self.fetch(
            f"""WITH RECURSIVE path(node_id, parent_node_id, node_json, depth) AS (
                SELECT node_id, parent_node_id, node_json, 0 FROM lash_nodes
                 WHERE session_id = ? AND node_id = ? {visible}
                UNION ALL
                SELECT n.node_id, n.parent_node_id, n.node_json, p.depth + 1
                  FROM lash_nodes n JOIN path p
                    ON n.session_id = ? AND n.node_id = p.parent_node_id {visible}
                 WHERE p.depth < {_MAX_DEPTH})
            SELECT node_json FROM path ORDER BY depth DESC""",
            session_id, leaf_node_id, session_id,
        )
        return [r[0] for r in rows]

    async def read_window(self, session_id: str, first_seq: int, next_seq: int) -> list[str]:
        rows = await self.fetch(
            "SELECT seq, node_json FROM lash_nodes WHERE session_id = ? AND seq >= ? AND seq < ?",
            session_id, first_seq, next_seq,
        )
        rows.sort(key=_first)  # as read_graph: one range of the table, sorted here
        return [r[1] for r in rows]

    async def read_node(self, session_id: str, node_id: str) -> str | None:
        rows = await self.fetch(
            "SELECT node_json FROM lash_nodes WHERE session_id = ? AND node_id = ? "
            "AND tombstoned = 0",
            session_id, node_id,
        )
        return rows[0][0] if rows else None

    async def read_totals(self, session_id: str) -> list[UsageTotalRow]:
        rows = await self.fetch(
            f"SELECT {_TOTAL_COLUMNS} FROM lash_usage_totals WHERE session_id = ? "
            "ORDER BY first_revision, first_ordinal",
            session_id,
        )
        return [UsageTotalRow(*r) for r in rows]

    async def read_usage(self, session_id: str) -> list[UsageRow]:
        rows = await self.fetch(
            f"SELECT {_USAGE_COLUMNS} FROM lash_usage WHERE session_id = ? "
            "ORDER BY head_revision, ordinal",
            session_id,
        )
        return [UsageRow(*r) for r in rows]

    async def list_sessions(self) -> list[str]:
        rows = await self.fetch("SELECT session_id FROM lash_sessions ORDER BY session_id")
        return [r[0] for r in rows]

    async def read_session_summaries(
        self, parent_session_id: str | None, since: float | None, limit: int | None
    ) -> list[SummaryRow]:
        where = ["s.head_json <> ''"]  # PostgreSQL's placeholder head is no session
        args: list[Any] = []
        if parent_session_id is not None:
            where.append("m.parent_session_id = ?")
            args.append(parent_session_id)
        if since is not None:
            where.append("s.updated_at >= ?")
            args.append(since)
        bound = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = await self.fetch(
            f"SELECT {_SUMMARY_COLUMNS} FROM lash_sessions s "
            "LEFT JOIN lash_session_meta m ON m.session_id = s.session_id "
            f"WHERE {' AND '.join(where)} ORDER BY s.updated_at DESC, s.session_id{bound}",
            *args,
        )
        return [SummaryRow(*r) for r in rows]

    async def read_meta(self, session_id: str) -> str | None:
        rows = await self.fetch(
            "SELECT meta_json FROM lash_session_meta WHERE session_id = ?", session_id
        )
        return rows[0][0] if rows else None

    async def read_child_metas(self, parent_session_id: str) -> list[str]:
        rows = await self.fetch(
            "SELECT meta_json FROM lash_session_meta WHERE parent_session_id = ? "
            "ORDER BY created_at, session_id",
            parent_session_id,
        )
        return [r[0] for r in rows]

    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, str]:
        rows = await self.fetch(EFFECTS_SQL, session_id, turn_id)
        return {k: v for k, v in rows}

    async def read_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnRows:
        return turn_rows(
            await self.fetch(HEAD_SQL, session_id),
            await self.fetch(RECEIPT_SQL, session_id, operation_id),
            await self.fetch(EFFECTS_SQL, session_id, turn_id),
        )


class SqlWrites(SqlBase, WriteTx):
    """Writes inside one transaction; ``lock_head`` (left abstract) is the backend's own."""

    async def existing_blobs(self, refs: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(sorted(set(refs))):
            rows = await self.fetch(
                f"SELECT ref FROM lash_blobs WHERE ref IN ({_marks(len(chunk))})", *chunk
            )
            found.update(r[0] for r in rows)
        return found

    async def read_nodes_by_id(self, session_id: str, node_ids: list[str]) -> dict[str, NodeRow]:
        found: dict[str, NodeRow] = {}
        for chunk in _chunks(node_ids):
            rows = await self.fetch(
                "SELECT node_id, node_json, attached, tombstoned, seq FROM lash_nodes "
                f"WHERE session_id = ? AND node_id IN ({_marks(len(chunk))})",
                session_id, *chunk,
            )
            for node_id, node_json, attached, tombstoned, seq in rows:
                found[node_id] = NodeRow(
                    node_id, node_json, bool(attached), bool(tombstoned), int(seq)
                )
        return found

    async def put_blobs(self, blobs: list[SealedBlob], now: float | None = None) -> None:
        at = time.time() if now is None else now
        await self.r.executemany(
            self.d.q(
                "INSERT INTO lash_blobs (ref, kind, content, created_at) VALUES (?,?,?,?) "
                "ON CONFLICT (ref) DO NOTHING"
            ),
            [(b.ref, b.kind, b.stored, at) for b in blobs],
        )

    async def put_rooted_blob(self, blob: SealedBlob, root: str | None, now: float) -> None:
        await self.put_blobs([blob], now)
        if root is not None:
            await self.execute(
                "INSERT INTO lash_blob_roots (session_id, ref, created_at) VALUES (?,?,?) "
                "ON CONFLICT (session_id, ref) DO UPDATE SET created_at = excluded.created_at",
                root, blob.ref, now,
            )

    async def detach_all(self, session_id: str) -> None:
        await self.execute("UPDATE lash_nodes SET attached = 0 WHERE session_id = ?", session_id)

    async def write_nodes(self, session_id: str, nodes: list[NodeWrite]) -> None:
        await self.r.executemany(
            self.d.q(
                "INSERT INTO lash_nodes (session_id, node_id, seq, parent_node_id, node_json, "
                "attached, tombstoned) VALUES (?,?,?,?,?,1,0) ON CONFLICT (session_id, node_id) "
                "DO UPDATE SET seq = excluded.seq, attached = 1, tombstoned = 0"
            ),
            [(session_id, n.node_id, n.seq, n.parent_node_id, n.node_json) for n in nodes],
        )

    async def insert_usage(self, session_id: str, rows: list[UsageRow]) -> None:
        await self.r.executemany(
            self.d.q(
                f"INSERT INTO lash_usage (session_id, {_USAGE_COLUMNS}) "
                "VALUES (?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (session_id, operation_id, ordinal) DO NOTHING"
            ),
            [(session_id, *(getattr(u, f) for f in UsageRow.__slots__)) for u in rows],
        )

    async def add_usage_totals(self, session_id: str, rows: list[UsageTotalRow]) -> None:
        sums = ", ".join(
            f"{c} = lash_usage_totals.{c} + excluded.{c}" for c in _TOTAL_COLUMNS.split(", ")[4:]
        )
        await self.r.executemany(
            self.d.q(
                f"INSERT INTO lash_usage_totals (session_id, {_TOTAL_COLUMNS}) "
                f"VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (session_id, source, model) "
                f"DO UPDATE SET {sums}"
            ),
            [(session_id, *(getattr(t, f) for f in UsageTotalRow.__slots__)) for t in rows],
        )

    async def write_head(self, head: HeadRow, updated_at: float) -> None:
        await self.execute(
            f"INSERT INTO lash_sessions ({HEAD_COLUMNS}, updated_at, turn_index) "
            "VALUES (?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (session_id) DO UPDATE SET head_revision = excluded.head_revision, "
            "head_json = excluded.head_json, checkpoint_ref = excluded.checkpoint_ref, "
            "leaf_node_id = excluded.leaf_node_id, node_count = excluded.node_count, "
            "next_seq = excluded.next_seq, first_seq = excluded.first_seq, "
            "updated_at = excluded.updated_at, turn_index = excluded.turn_index",
            head.session_id, head.head_revision, head.head_json, head.checkpoint_ref,
            head.leaf_node_id, head.node_count, head.next_seq, head.first_seq, updated_at,
            head.turn_index,
        )

    async def insert_receipt(self, session_id: str, receipt: ReceiptRow) -> None:
        await self.execute(
            f"INSERT INTO lash_receipts (session_id, {_RECEIPT_COLUMNS}) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            session_id, receipt.operation_id, receipt.payload_hash, receipt.head_revision,
            receipt.checkpoint_ref, receipt.leaf_node_id, receipt.committed_at,
            receipt.first_seq, receipt.next_seq,
        )

    async def insert_effects(
        self, session_id: str, turn_id: str, outcomes: dict[str, str], now: float
    ) -> None:
        await self.r.executemany(
            self.d.q(INSERT_EFFECT_SQL),
            [(session_id, turn_id, key, text, now) for key, text in outcomes.items()],
        )

    async def insert_meta(
        self, session_id: str, parent_session_id: str | None, meta_json: str, now: float
    ) -> str:
        await self.execute(
            "INSERT INTO lash_session_meta (session_id, meta_json, parent_session_id, created_at) "
            "VALUES (?,?,?,?) ON CONFLICT (session_id) DO NOTHING",
            session_id, meta_json, parent_session_id, now,
        )
        rows = await self.fetch(
            "SELECT meta_json FROM lash_session_meta WHERE session_id = ?", session_id
        )
        return str(rows[0][0])

    async def tombstone(self, session_id: str, node_ids: list[str]) -> int:
        count = visible = 0
        for chunk in _chunks(sorted(set(node_ids))):
            marks = _marks(len(chunk))
            rows = await self.fetch(
                f"SELECT count(*) FROM lash_nodes WHERE session_id = ? AND {_VISIBLE} "
                f"AND node_id IN ({marks})",
                session_id, *chunk,
            )
            visible += int(rows[0][0])
            count += await self.execute(
                "UPDATE lash_nodes SET tombstoned = 1 WHERE session_id = ? AND tombstoned = 0 "
                f"AND node_id IN ({marks})",
                session_id, *chunk,
            )
        if visible:
            await self.execute(
                "UPDATE lash_sessions SET node_count = node_count - ? WHERE session_id = ?",
                visible, session_id,
            )
        return count

    async def vacuum(self, session_id: str | None, detached: bool) -> int:
        dead = "(tombstoned = 1 OR attached = 0)" if detached else "tombstoned = 1"
        if session_id is None:
            return await self.execute(f"DELETE FROM lash_nodes WHERE {dead}")
        return await self.execute(
            f"DELETE FROM lash_nodes WHERE session_id = ? AND {dead}", session_id
        )

    async def delete_session(self, session_id: str) -> bool:
        tables = ("lash_nodes", "lash_usage", "lash_usage_totals", "lash_receipts",
                  "lash_session_meta", "lash_effects", "lash_blob_roots")
        for table in tables:
            await self.execute(f"DELETE FROM {table} WHERE session_id = ?", session_id)
        return await self.execute("DELETE FROM lash_sessions WHERE session_id = ?", session_id) > 0

    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: str, now: float
    ) -> str:
        await self.execute(INSERT_EFFECT_SQL, session_id, turn_id, key, outcome_json, now)
        rows = await self.fetch(
            "SELECT outcome_json FROM lash_effects WHERE session_id = ? AND turn_id = ? "
            "AND effect_key = ?",
            session_id, turn_id, key,
        )
        return str(rows[0][0])


class SqlGc(SqlBase, GcTx):
    """GC reads and deletes, inside the backend's exclusive GC transaction."""

    async def head_checkpoint_refs(self) -> set[str]:
        rows = await self.fetch(
            "SELECT checkpoint_ref FROM lash_sessions WHERE checkpoint_ref IS NOT NULL"
        )
        return {r[0] for r in rows}

    async def receipt_checkpoint_refs(self, since: float | None) -> set[str]:
        if since is None:
            rows = await self.fetch("SELECT DISTINCT checkpoint_ref FROM lash_receipts")
        else:
            rows = await self.fetch(
                "SELECT DISTINCT checkpoint_ref FROM lash_receipts WHERE committed_at >= ?", since
            )
        return {r[0] for r in rows}

    async def blob_root_refs(self, since: float | None) -> set[str]:
        if since is None:
            rows = await self.fetch("SELECT DISTINCT ref FROM lash_blob_roots")
        else:
            rows = await self.fetch(
                "SELECT DISTINCT ref FROM lash_blob_roots WHERE created_at >= ?", since
            )
        return {r[0] for r in rows}

    async def all_blob_refs(self) -> set[str]:
        return {r[0] for r in await self.fetch("SELECT ref FROM lash_blobs")}

    async def blob_bytes(self, refs: list[str]) -> int:
        total = 0
        for chunk in _chunks(refs):
            rows = await self.fetch(
                f"SELECT SUM(length(content)) FROM lash_blobs WHERE ref IN ({_marks(len(chunk))})",
                *chunk,
            )
            total += int(rows[0][0] or 0)
        return total

    async def delete_blobs(self, refs: list[str]) -> int:
        count = 0
        for chunk in _chunks(refs):
            count += await self.execute(
                f"DELETE FROM lash_blobs WHERE ref IN ({_marks(len(chunk))})", *chunk
            )
        return count


__all__ = [
    "EFFECTS_SQL",
    "HEAD_COLUMNS",
    "HEAD_SQL",
    "HEAD_TOTALS_SQL",
    "RECEIPT_SQL",
    "Runner",
    "SqlBase",
    "SqlDialect",
    "SqlGc",
    "SqlReads",
    "SqlWrites",
    "head_rows",
    "turn_rows",
]
