"""The checkpoint store: durable sessions, exactly-once commits, content-addressed blobs.

Open one with ``open_store(url)``: ``memory://`` (tests), ``sqlite:///path`` (the embedded
default: one WAL file for many sessions) or ``postgresql://...`` (shared by many workers). One
store serves many sessions; ``store.session(id)`` gives a handle bound to one, like lash's
``RuntimePersistence``.

Callers type against the two protocols (``_protocol``), whose methods say what they promise:
``SessionStore``, the hot path (turns, head loads, history rebuild, the CLI), and
``StoreMaintenance`` (GC, vacuum, tombstones, deleting and listing sessions). ``CheckpointStore``
implements both over a ``Backend`` that only moves rows: it sets the schema up once, wraps
driver errors and verifies blobs; the SQL backends share ``SqlBackend`` and fill in hooks.

- A commit (``commit_runtime_state``) is one transaction with lash's steps (spec §12.2) and an
  operation id: a retried commit returns its first receipt and writes nothing again; the head
  revision is always checked; nodes are immutable and never deleted by a commit.
- Every blob read verifies its hash; a missing or damaged blob is an error naming the ref.
- ``load_head`` reads where a session stands (head row, hydrated head checkpoint, merged
  ledger from running usage totals) without reading a node: its cost does not grow with the
  session's length. ``load_session`` reads the graph too.
- Loading: ``load_persisted_session_state`` and the refresh path (``apply_session_head``,
  ``apply_session_checkpoint``) both hydrate execution state (the spec §16.12 fix).
- GC keeps every head, every checkpoint a session committed within the retention (default: all,
  while the session exists) and blobs rooted by ``put_blob(..., session_id=...)``, so refs in
  workflow histories keep resolving (``gc(dry_run=True)`` only counts what would go).
  ``tombstone_nodes`` + ``vacuum`` delete nodes explicitly. ``list_session_summaries`` lists
  sessions with their turn, last activity and meta in one query.
- Payload blobs (``put_payload`` / ``get_payload``, ``PayloadBlobs``): a Temporal payload's
  bytes, rooted to the session whose history refers to them, with the time they were last
  stored; a root stored again is refreshed, so GC's retention counts from the last reference.
- An effect journal (``record_effect`` / ``load_effects``) lets a retried turn replay completed
  model and tool calls. A commit can carry journal records (``TurnEffects``) that land in its
  own transaction, and ``load_turn`` reads head, one receipt and a turn's journal at once, so a
  plain turn costs one read and one write transaction.
- Time travel writes new content only (``_fork``): ``fork_session`` starts a session whose
  first head points into another session's graph and shares its nodes and blobs (reads follow
  the fork point into the source), and ``rewind_commit`` moves a session's leaf back to an
  earlier turn's end with that turn's checkpoint, keeping the old branch.
- Nodes are immutable: a parsed node is cached (by its stored JSON) and shared between loads in
  one process; validation dominates loading a long session. ``vacuum`` deletes tombstoned nodes
  and, unless ``detached=False``, the nodes full rewrites left out.
"""

from checkpoint.errors import NodeNotFoundError
from checkpoint.store._base import CheckpointStore
from checkpoint.store._effects import TurnEffects, TurnStart
from checkpoint.store._fork import FORK_REASON, fork_point, fork_session, rewind_commit, rewind_op
from checkpoint.store._gc import GcReport
from checkpoint.store._ledger import merge_usage_rows
from checkpoint.store._load import (
    apply_session_checkpoint,
    apply_session_head,
    load_persisted_session_state,
    refresh_persisted_session_state,
    state_from_read,
)
from checkpoint.store._memory import MemoryBackend
from checkpoint.store._open import make_store, open_store
from checkpoint.store._payloads import PayloadBlobs
from checkpoint.store._protocol import SessionStore, StoreMaintenance
from checkpoint.store._schema import MIGRATIONS, Migration
from checkpoint.store._session import SessionPersistence
from checkpoint.store._summaries import StoredSession
from checkpoint.store._url import redact_url, store_scheme

__all__ = [
    "FORK_REASON",
    "MIGRATIONS",
    "CheckpointStore",
    "GcReport",
    "MemoryBackend",
    "Migration",
    "NodeNotFoundError",
    "PayloadBlobs",
    "SessionPersistence",
    "SessionStore",
    "StoreMaintenance",
    "StoredSession",
    "TurnEffects",
    "TurnStart",
    "apply_session_checkpoint",
    "apply_session_head",
    "fork_point",
    "fork_session",
    "load_persisted_session_state",
    "make_store",
    "merge_usage_rows",
    "open_store",
    "redact_url",
    "refresh_persisted_session_state",
    "rewind_commit",
    "rewind_op",
    "state_from_read",
    "store_scheme",
]
