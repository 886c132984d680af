"""The store's schema as an append-only list of migrations, one SQL text per dialect.

A released migration never changes (tests pin each one's checksum); a schema change is a new
entry at the end. Each store records the versions it applied in ``lash_schema_migrations`` and
applies the missing ones, in order, once per process on first use.

Tables (one store serves many sessions):

- ``lash_sessions``: one head per session (revision, SessionHeadMeta JSON, checkpoint ref, leaf,
  node count, next node sequence number).
- ``lash_nodes``: graph nodes, immutable once written. ``attached`` is 0 for nodes a full rewrite
  left out (still stored, not loaded, until ``vacuum``); ``tombstoned`` hides a node until
  ``vacuum`` deletes it.
- ``lash_blobs``: content-addressed blobs (stored envelope bytes), shared by all sessions.
- ``lash_blob_roots``: blobs a session asked to keep (e.g. a child's start snapshot).
- ``lash_usage``: usage rows, each with an identity (operation id, ordinal), inserted once,
  ordered by the revision that wrote them.
- ``lash_receipts``: operation id -> the first commit's result (exactly-once), also the list of
  every checkpoint a session committed, which GC keeps for workflow histories.
- ``lash_session_meta`` and ``lash_effects`` (the mid-turn effect journal).
- ``lash_usage_totals`` (v2): the merged ledger kept current by each commit, one row per
  (session, source, model) with the (revision, ordinal) of its first kept usage row, so loading
  a head reads a handful of rows instead of one per commit. Backfilled from ``lash_usage``.
- ``lash_session_meta`` (v3) gains ``parent_session_id`` (copied out of the meta JSON, indexed)
  and ``created_at`` (when the row was inserted), so a session's children are one indexed read,
  in the order they were created.
- ``lash_sessions`` (v4) gains ``turn_index`` (the head checkpoint's turn, written by each
  commit; NULL until a session's first commit under v4) and an index on ``updated_at``, so
  listing sessions with their turns and last activity is one query.
- v5: the node window. ``lash_sessions.first_seq`` is where the graph's current run of
  sequence numbers began (the last full rewrite; 0 for most sessions), so the head's graph is
  the nodes with ``seq`` in ``[first_seq, next_seq)``. ``lash_receipts`` keep both ends as each
  commit left them (NULL for receipts from before v5): with them a past head's full graph,
  old branches included, is read back from immutable rows (``load_graph_window``).

Upgrading: a process still running older code keeps writing to the store it set up, and one
from before v2 writes usage rows without their totals; stop such workers before the first new
one opens the store (a restarted old one is refused: its schema is newer than it knows).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from checkpoint.errors import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    """One released schema step; its SQL never changes once released."""

    version: int
    name: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]

    def checksum(self) -> str:
        """SHA-256 over both dialects' statements, pinned by a test."""
        text = "\n;\n".join((*self.sqlite, "--postgres--", *self.postgres))
        return hashlib.sha256(text.encode()).hexdigest()


def _dialect(*statements: str, blob: str, real: str, keyed: str) -> tuple[str, ...]:
    """``keyed`` ends a table whose primary key is its only key (SQLite: WITHOUT ROWID, so the
    key is not stored twice)."""
    return tuple(s.format(BLOB=blob, REAL=real, KEYED=keyed) for s in statements)


_V1 = (
    """CREATE TABLE IF NOT EXISTS lash_sessions (
        session_id TEXT PRIMARY KEY,
        head_revision BIGINT NOT NULL,
        head_json TEXT NOT NULL,
        checkpoint_ref TEXT,
        leaf_node_id TEXT,
        node_count BIGINT NOT NULL,
        next_seq BIGINT NOT NULL,
        updated_at {REAL} NOT NULL){KEYED}""",
    """CREATE TABLE IF NOT EXISTS lash_nodes (
        session_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        parent_node_id TEXT,
        node_json TEXT NOT NULL,
        attached SMALLINT NOT NULL DEFAULT 1,
        tombstoned SMALLINT NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, node_id)){KEYED}""",
    "CREATE INDEX IF NOT EXISTS lash_nodes_by_seq ON lash_nodes (session_id, seq)",
    """CREATE TABLE IF NOT EXISTS lash_blobs (
        ref TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        content {BLOB} NOT NULL,
        created_at {REAL} NOT NULL){KEYED}""",
    """CREATE TABLE IF NOT EXISTS lash_blob_roots (
        session_id TEXT NOT NULL,
        ref TEXT NOT NULL,
        created_at {REAL} NOT NULL,
        PRIMARY KEY (session_id, ref)){KEYED}""",
    """CREATE TABLE IF NOT EXISTS lash_usage (
        session_id TEXT NOT NULL,
        operation_id TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        head_revision BIGINT NOT NULL,
        source TEXT NOT NULL,
        model TEXT NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cached_input_tokens BIGINT NOT NULL,
        reasoning_tokens BIGINT NOT NULL,
        PRIMARY KEY (session_id, operation_id, ordinal)){KEYED}""",
    """CREATE TABLE IF NOT EXISTS lash_receipts (
        session_id TEXT NOT NULL,
        operation_id TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        head_revision BIGINT NOT NULL,
        checkpoint_ref TEXT NOT NULL,
        leaf_node_id TEXT,
        committed_at {REAL} NOT NULL,
        PRIMARY KEY (session_id, operation_id)){KEYED}""",
    """CREATE TABLE IF NOT EXISTS lash_session_meta (
        session_id TEXT PRIMARY KEY,
        meta_json TEXT NOT NULL){KEYED}""",
    """CREATE TABLE IF NOT EXISTS lash_effects (
        session_id TEXT NOT NULL,
        turn_id TEXT NOT NULL,
        effect_key TEXT NOT NULL,
        outcome_json TEXT NOT NULL,
        created_at {REAL} NOT NULL,
        PRIMARY KEY (session_id, turn_id, effect_key)){KEYED}""",
)

_LIVE = ("NOT (input_tokens + output_tokens + reasoning_tokens = 0 "
         "AND cached_input_tokens = 0)")
"""A usage row the ledger merge keeps (``TokenUsage.is_empty`` is false)."""

_V2 = (
    """CREATE TABLE IF NOT EXISTS lash_usage_totals (
        session_id TEXT NOT NULL,
        source TEXT NOT NULL,
        model TEXT NOT NULL,
        first_revision BIGINT NOT NULL,
        first_ordinal INTEGER NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cached_input_tokens BIGINT NOT NULL,
        reasoning_tokens BIGINT NOT NULL,
        PRIMARY KEY (session_id, source, model)){KEYED}""",
    f"""INSERT INTO lash_usage_totals (session_id, source, model, first_revision, first_ordinal,
        input_tokens, output_tokens, cached_input_tokens, reasoning_tokens)
    SELECT g.session_id, g.source, g.model, g.first_revision,
        (SELECT MIN(u.ordinal) FROM lash_usage u
          WHERE u.session_id = g.session_id AND u.source = g.source AND u.model = g.model
            AND u.head_revision = g.first_revision AND {_LIVE}),
        g.input_tokens, g.output_tokens, g.cached_input_tokens, g.reasoning_tokens
    FROM (SELECT session_id, source, model, MIN(head_revision) AS first_revision,
            SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
            SUM(cached_input_tokens) AS cached_input_tokens,
            SUM(reasoning_tokens) AS reasoning_tokens
          FROM lash_usage WHERE {_LIVE}
          GROUP BY session_id, source, model) g""",
)

_V3_SQLITE = (
    "ALTER TABLE lash_session_meta ADD COLUMN parent_session_id TEXT",
    "ALTER TABLE lash_session_meta ADD COLUMN created_at REAL NOT NULL DEFAULT 0",
    "UPDATE lash_session_meta "
    "SET parent_session_id = json_extract(meta_json, '$.parent_session_id')",
    """CREATE INDEX IF NOT EXISTS lash_session_meta_by_parent
        ON lash_session_meta (parent_session_id, created_at)""",
)

_V3_POSTGRES = (
    "ALTER TABLE lash_session_meta ADD COLUMN parent_session_id TEXT",
    "ALTER TABLE lash_session_meta ADD COLUMN created_at DOUBLE PRECISION NOT NULL DEFAULT 0",
    "UPDATE lash_session_meta SET parent_session_id = meta_json::json->>'parent_session_id'",
    """CREATE INDEX IF NOT EXISTS lash_session_meta_by_parent
        ON lash_session_meta (parent_session_id, created_at)""",
)

_V4 = (
    "ALTER TABLE lash_sessions ADD COLUMN turn_index BIGINT",
    "CREATE INDEX IF NOT EXISTS lash_sessions_by_activity ON lash_sessions (updated_at)",
)

_V5 = (
    "ALTER TABLE lash_sessions ADD COLUMN first_seq BIGINT NOT NULL DEFAULT 0",
    """UPDATE lash_sessions SET first_seq = COALESCE(
        (SELECT MIN(n.seq) FROM lash_nodes n
          WHERE n.session_id = lash_sessions.session_id AND n.attached = 1), next_seq)""",
    "ALTER TABLE lash_receipts ADD COLUMN first_seq BIGINT",
    "ALTER TABLE lash_receipts ADD COLUMN next_seq BIGINT",
)
"""Backfill: after a full rewrite every attached row has a sequence number from it on, and the
rewrite's first node is the lowest; a session with no attached row starts at ``next_seq``."""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions, nodes, blobs, usage rows, receipts, meta, effect journal",
        _dialect(*_V1, blob="BLOB", real="REAL", keyed=" WITHOUT ROWID"),
        _dialect(*_V1, blob="BYTEA", real="DOUBLE PRECISION", keyed=""),
    ),
    Migration(
        2,
        "usage totals per (session, source, model), backfilled from the usage rows",
        _dialect(*_V2, blob="BLOB", real="REAL", keyed=" WITHOUT ROWID"),
        _dialect(*_V2, blob="BYTEA", real="DOUBLE PRECISION", keyed=""),
    ),
    Migration(
        3,
        "session meta: parent session id (indexed) and creation time, to list children",
        _V3_SQLITE,
        _V3_POSTGRES,
    ),
    Migration(
        4,
        "session heads: turn index of the head checkpoint, index on last activity",
        _V4,
        _V4,
    ),
    Migration(
        5,
        "node window: where the graph's sequence numbers begin, per head and per receipt",
        _V5,
        _V5,
    ),
)
"""Append-only. Never edit a released entry; add a new one."""

MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS lash_schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL)"""


def pending(applied: dict[int, str]) -> list[Migration]:
    """Migrations not yet applied; refuses a store whose applied steps were edited or are newer."""
    known = {m.version: m for m in MIGRATIONS}
    for version, checksum in applied.items():
        if version not in known:
            raise StoreError(
                f"store schema version {version} is newer than this code knows "
                f"(latest {MIGRATIONS[-1].version}); upgrade lash-temporal"
            )
        if known[version].checksum() != checksum:
            raise StoreError(f"store schema migration {version} differs from the released one")
    return [m for m in MIGRATIONS if m.version not in applied]


__all__ = ["MIGRATIONS", "MIGRATIONS_TABLE", "Migration", "pending"]
