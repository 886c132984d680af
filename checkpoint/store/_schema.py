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

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions, nodes, blobs, usage rows, receipts, meta, effect journal",
        _dialect(*_V1, blob="BLOB", real="REAL", keyed=" WITHOUT ROWID"),
        _dialect(*_V1, blob="BYTEA", real="DOUBLE PRECISION", keyed=""),
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
