"""``CheckpointStore``: every store rule, once, over a ``Backend`` that only moves rows.

It implements both protocols of ``_protocol`` (the hot path and maintenance); the method
docstrings there say what each promises, the ones here how.

It sets the schema up once (on first use), wraps driver failures into ``BackendError`` /
``StoreUnavailableError`` (messages keep the driver's text, never a password), verifies every
blob it reads, and hydrates checkpoints strictly: a missing or damaged blob is an error that
names its ref, never a silent None (lash's store returned None, spec §12.3).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Self

from checkpoint.blobs import BlobKind, BlobRef, CompressionProfile, SealedBlob, open_blob, seal
from checkpoint.errors import (
    BackendError,
    LashError,
    NodeNotFoundError,
    SessionNotFoundError,
    StoreError,
    StoreUnavailableError,
)
from checkpoint.model import (
    CommitReceipt,
    HydratedSessionCheckpoint,
    NodeWindow,
    PersistedSessionHead,
    PersistedSessionRead,
    PluginSessionSnapshot,
    RuntimeCommit,
    SessionCheckpoint,
    SessionGraph,
    SessionHeadMeta,
    SessionMeta,
    SessionNodeRecord,
    SessionReadScope,
    ToolState,
)
from checkpoint.store._backend import Backend, ReceiptRow
from checkpoint.store._commit import apply_commit, payload_hash, receipt_from_row
from checkpoint.store._effects import TurnEffects, TurnStart, effect_text
from checkpoint.store._fork import dangles, fork_point, missing_node, up_to
from checkpoint.store._gc import GcProgress, GcReport, collect_garbage
from checkpoint.store._graph_delta import scope_leaf
from checkpoint.store._ledger import ledger_from_totals
from checkpoint.store._node_cache import NodeCache
from checkpoint.store._payloads import open_payload, seal_payload
from checkpoint.store._protocol import SessionStore, StoreMaintenance
from checkpoint.store._session import SessionPersistence
from checkpoint.store._summaries import StoredSession, manifest_turn, stored_session
from checkpoint.store._url import redact_url


class CheckpointStore(SessionStore, StoreMaintenance):
    """The store: many sessions, one backend. Open with ``open_store(url)``."""

    def __init__(
        self,
        backend: Backend,
        *,
        retention: timedelta | None = None,
        auto_gc_every: int | None = None,
        profile: CompressionProfile = CompressionProfile.BALANCED,
        unavailable: tuple[type[BaseException], ...] = (),
        driver_errors: tuple[type[BaseException], ...] = (),
        node_cache_size: int = 20_000,
    ) -> None:
        self.backend = backend
        self.retention = retention
        self.auto_gc_every = auto_gc_every
        self.profile = profile
        self._unavailable = unavailable
        self._driver_errors = driver_errors
        self._ready = False
        self._setup_lock = asyncio.Lock()
        self._commits = 0
        self._meta_clock = 0.0
        self.node_cache = NodeCache(node_cache_size)

    @property
    def url(self) -> str:
        """The store URL with any password masked."""
        return redact_url(self.backend.url)

    # -- lifecycle -----------------------------------------------------------------------------

    async def setup(self) -> Self:
        """Connect and apply pending migrations; later calls do nothing."""
        async with self._setup_lock:
            if not self._ready:
                failures: tuple[type[BaseException], ...] = (
                    *self._unavailable, *self._driver_errors, OSError,
                )
                try:
                    await self.backend.setup()
                except LashError:
                    raise
                except failures as exc:
                    raise StoreUnavailableError(self.url, _reason(exc, self.backend.url)) from exc
                self._ready = True
        return self

    async def close(self) -> None:
        """Release connections; the store cannot be used afterwards."""
        await self.backend.close()

    async def __aenter__(self) -> Self:
        return await self.setup()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def _guard(self, action: str, session_id: str | None = None) -> AsyncIterator[Backend]:
        """Schema set up once; driver errors become store errors that say what failed."""
        if not self._ready:
            await self.setup()
        try:
            yield self.backend
        except LashError:
            raise
        except self._unavailable as exc:
            raise StoreUnavailableError(self.url, _reason(exc, self.backend.url)) from exc
        except self._driver_errors as exc:
            raise BackendError(
                f"{action} failed: {_reason(exc, self.backend.url)}", session_id=session_id
            ) from exc

    def session(self, session_id: str) -> SessionPersistence:
        """A handle bound to one session, like lash's RuntimePersistence (spec §12.1)."""
        return SessionPersistence(self, session_id)

    # -- reads ---------------------------------------------------------------------------------

    async def load_head_revision(self, session_id: str) -> int | None:
        """The head revision, or None if the session has no head (cheap: one row)."""
        async with self._guard("load head revision", session_id) as b:
            head = await b.read_head(session_id)
        return head.head_revision if head else None

    async def load_head(self, session_id: str) -> PersistedSessionHead | None:
        """Where the session stands without its graph: the head row, the hydrated head
        checkpoint (as ``load_session`` hydrates it) and the merged ledger, from the running
        usage totals. No node or usage row is read, so the cost does not grow with the
        session's length. None when the session has no head."""
        async with self._guard("load head", session_id) as b:
            rows = await b.read_head_totals(session_id)
        if rows is None:
            return None
        head = rows.head
        meta = SessionHeadMeta.from_stored_json(head.head_json)
        checkpoint = (
            await self.load_checkpoint(head.checkpoint_ref) if head.checkpoint_ref else None
        )
        return PersistedSessionHead(
            session_id=session_id, head_revision=head.head_revision, config=meta.config,
            checkpoint_ref=head.checkpoint_ref, checkpoint=checkpoint,
            leaf_node_id=head.leaf_node_id, graph_node_count=head.node_count,
            token_ledger=ledger_from_totals(rows.totals), node_window=head.node_window,
        )

    async def load_session(
        self, session_id: str, scope: SessionReadScope | None = None
    ) -> PersistedSessionRead | None:
        """Head, graph (full, or the active path), hydrated checkpoint and merged ledger (from
        the running usage totals, equal to merging every usage row)."""
        active, leaf = scope_leaf(scope)
        async with self._guard("load session", session_id) as b:
            rows = await b.read_session(session_id, leaf, active)
        if rows is None:
            return None
        head = rows.head
        meta = SessionHeadMeta.from_stored_json(head.head_json)
        graph_leaf = leaf if active and leaf is not None else head.leaf_node_id
        nodes = self.node_cache.parse(rows.nodes, session_id)
        if dangles(nodes, graph_leaf):
            nodes = await self._with_shared(session_id, nodes, graph_leaf, active)
        graph = SessionGraph.from_nodes(nodes, graph_leaf)
        checkpoint = (
            await self.load_checkpoint(head.checkpoint_ref) if head.checkpoint_ref else None
        )
        return PersistedSessionRead(
            session_id=session_id, head_revision=head.head_revision, config=meta.config,
            graph=graph, checkpoint_ref=head.checkpoint_ref, checkpoint=checkpoint,
            token_ledger=ledger_from_totals(rows.totals), node_window=head.node_window,
        )

    async def load_node(self, session_id: str, node_id: str) -> SessionNodeRecord | None:
        """One stored node (also one a full rewrite left out), or None; tombstoned ones hide."""
        async with self._guard("load node", session_id) as b:
            text = await b.read_node(session_id, node_id)
        if text is not None:
            return SessionNodeRecord.from_stored_json(text)
        base = fork_point(await self.load_session_meta(session_id))
        return await self.load_node(base[0], node_id) if base is not None else None

    async def load_graph_at(self, session_id: str, leaf_node_id: str) -> SessionGraph:
        """The conversation as it was when ``leaf_node_id`` was the leaf: the path from the
        root to it, following nodes that later rewrites left out or tombstoned (until vacuum).
        Meant for rebuilding a past turn from a receipt's ``leaf_node_id``."""
        async with self._guard("load graph at leaf", session_id) as b:
            nodes = await b.read_path(session_id, leaf_node_id, True)
        # A path whose root has a parent (or no path at all) may continue in a fork's source.
        # Parsed through the node cache, as load_session parses: a rebuild at turn N after one
        # at turn M re-reads the shared prefix without validating it again.
        own = self.node_cache.parse(nodes, session_id)
        if not nodes or own[0].parent_node_id is not None:
            path = await self._with_shared(session_id, own, leaf_node_id, True)
            if path:
                return SessionGraph.from_nodes(path, leaf_node_id)
        if not nodes:
            raise await self._not_found(session_id, leaf_node_id)
        return SessionGraph.from_nodes(own, leaf_node_id)

    async def load_graph_window(
        self, session_id: str, window: NodeWindow, leaf_node_id: str | None
    ) -> SessionGraph:
        """The full graph a past head held, old branches included: the nodes its node window
        names (tombstoned or left out since, until vacuum), as ``load_session`` would have read
        them then. Meant for rebuilding a past turn from the window its receipt recorded.

        A later full rewrite renumbers the nodes it keeps, so an earlier window may no longer
        hold them all (``rebuild_state`` reads such a turn's path instead); a window that misses
        its leaf or a parent is a ``NodeNotFoundError`` naming the node."""
        async with self._guard("load graph window", session_id) as b:
            rows = await b.read_window(session_id, *window)
        nodes = self.node_cache.parse(rows, session_id)
        if dangles(nodes, leaf_node_id):
            nodes = await self._with_shared(session_id, nodes, leaf_node_id, False)
        missing = missing_node(nodes, leaf_node_id)
        if missing is not None:
            raise await self._not_found(session_id, missing)
        return SessionGraph.from_nodes(nodes, leaf_node_id)

    async def _not_found(self, session_id: str, node_id: str) -> StoreError:
        """Why a node a read needed is not there: no such session, or no such node in it."""
        if await self.load_head_revision(session_id) is None:
            return SessionNotFoundError(session_id)
        return NodeNotFoundError(session_id, node_id)

    async def _with_shared(
        self, session_id: str, nodes: list[SessionNodeRecord], leaf: str | None, path: bool
    ) -> list[SessionNodeRecord]:
        """A fork's nodes with those it shares with its source (``_fork``): the source's path to
        the fork point before the fork's own (a path: only up to where the fork's path leaves
        it). Any other session's nodes come back as they are."""
        base = fork_point(await self.load_session_meta(session_id))
        if base is None:
            return nodes
        source, point = base
        shared = list((await self.load_graph_at(source, point)).nodes)
        if path:
            shared = up_to(shared, nodes[0].parent_node_id if nodes else leaf)
        return [*shared, *nodes]

    async def load_checkpoint(self, checkpoint_ref: BlobRef) -> HydratedSessionCheckpoint:
        """A checkpoint manifest by ref with its tool, plugin and execution blobs hydrated."""
        manifest = SessionCheckpoint.model_validate(await self.get_blob(checkpoint_ref))
        tool = plugin = execution = None
        if manifest.tool_state_ref is not None:
            tool = ToolState.model_validate(await self.get_blob(manifest.tool_state_ref))
        if manifest.plugin_snapshot_ref is not None:
            plugin = PluginSessionSnapshot.model_validate(
                await self.get_blob(manifest.plugin_snapshot_ref)
            )
        if manifest.execution_state_ref is not None:
            execution = bytes(await self.get_blob(manifest.execution_state_ref))
        return HydratedSessionCheckpoint(
            turn_state=manifest.turn_state,
            tool_state_ref=manifest.tool_state_ref, tool_state=tool,
            plugin_snapshot_ref=manifest.plugin_snapshot_ref, plugin_snapshot=plugin,
            plugin_snapshot_revision=manifest.plugin_snapshot_revision,
            execution_state_ref=manifest.execution_state_ref, execution_state=execution,
        )

    async def load_receipt(self, session_id: str, operation_id: str) -> CommitReceipt | None:
        """The receipt of an operation that landed, or None."""
        async with self._guard("load receipt", session_id) as b:
            row = await b.read_receipt(session_id, operation_id)
        return await self._receipt(session_id, row)

    async def load_turn(self, session_id: str, turn_id: str, operation_id: str) -> TurnStart:
        """Head revision, the receipt of ``operation_id`` and the turn's effect journal in one
        round trip: everything a turn reads before it runs when its session is cached."""
        async with self._guard("load turn", session_id) as b:
            rows = await b.read_turn(session_id, turn_id, operation_id)
        return TurnStart(
            head_revision=rows.head.head_revision if rows.head else None,
            receipt=await self._receipt(session_id, rows.receipt),
            effects={k: json.loads(v) for k, v in rows.effects.items()},
        )

    async def _receipt(self, session_id: str, row: ReceiptRow | None) -> CommitReceipt | None:
        if row is None:
            return None
        return receipt_from_row(session_id, row, await self.get_blob(row.checkpoint_ref))

    async def list_sessions(self) -> list[str]:
        """Ids of every session with a head, sorted."""
        async with self._guard("list sessions") as b:
            return await b.list_sessions()

    async def list_session_summaries(
        self, *, parent_session_id: str | None = None, since: float | None = None,
        limit: int | None = None,
    ) -> list[StoredSession]:
        """One joined read of heads and metas; see ``_summaries``."""
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")
        async with self._guard("list session summaries", parent_session_id) as b:
            rows = await b.read_session_summaries(parent_session_id, since, limit)
        found = []
        for row in rows:
            turn = row.turn_index
            if turn is None:  # a head last written before schema v4
                turn = manifest_turn(await self.get_blob(row.checkpoint_ref)) if (
                    row.checkpoint_ref) else 0
            found.append(stored_session(row, turn))
        return found

    # -- blobs ---------------------------------------------------------------------------------

    async def put_blob(
        self, value: Any, *, kind: BlobKind = "GenericBlob", session_id: str | None = None
    ) -> BlobRef:
        """Store a model or JSON-like value; with ``session_id`` GC keeps it like a checkpoint
        of that session (for refs that travel in workflow histories, e.g. child snapshots)."""
        return await self._put_sealed("put blob", seal(value, kind, self.profile), session_id)

    async def get_blob(self, ref: BlobRef) -> Any:
        """The verified, decoded value of a blob (raises naming the ref if missing or damaged)."""
        return open_blob(ref, await self._read_stored("get blob", ref))

    async def put_payload(self, data: bytes, *, root: str) -> BlobRef:
        """A Temporal payload's bytes as a blob rooted to session ``root`` (see ``_payloads``)."""
        return await self._put_sealed("put payload", seal_payload(data, self.profile), root)

    async def get_payload(self, ref: BlobRef) -> bytes:
        """A payload's bytes, hash verified (raises naming the ref if missing or damaged)."""
        return open_payload(ref, await self._read_stored("get payload", ref))

    async def _put_sealed(self, what: str, sealed: SealedBlob, root: str | None) -> BlobRef:
        """Write a sealed blob, rooted to session ``root`` (if any) as of now."""
        async with self._guard(what, root) as b:
            await b.put_blob(sealed, root, time.time())
        return sealed.ref

    async def _read_stored(self, what: str, ref: BlobRef) -> bytes | None:
        async with self._guard(what) as b:
            return await b.read_blob(ref)

    # -- writes --------------------------------------------------------------------------------

    async def commit_runtime_state(
        self,
        commit: RuntimeCommit,
        *,
        effects: TurnEffects | None = None,
        metas: Sequence[SessionMeta] = (),
    ) -> CommitReceipt:
        """One atomic, exactly-once commit (see ``_commit``). ``effects`` (journal records) and
        ``metas`` (``save_session_meta`` rows: the session's own when the commit creates it, or
        children it starts) land in the same transaction, only if the commit itself lands now."""
        digest = payload_hash(commit)
        texts = (effects.turn_id, effects.texts()) if effects is not None else None
        async with self._guard("commit", commit.session_id) as b:
            receipt = await b.run_write(
                lambda tx: apply_commit(tx, commit, digest, self.profile, texts, metas)
            )
        self._commits += 1
        if self.auto_gc_every and self._commits % self.auto_gc_every == 0:
            await self.gc()
        return receipt

    async def save_session_meta(self, meta: SessionMeta) -> SessionMeta:
        """Insert the session's metadata unless it has some; returns the stored meta. First
        write wins: who a session is and where it came from is fixed when it is created, so a
        retried activity can never rewrite it (lash replaced the row)."""
        self._meta_clock = max(time.time(), self._meta_clock + 1e-6)  # creation order
        async with self._guard("save session meta", meta.session_id) as b:
            text = await b.insert_meta(
                meta.session_id, meta.parent_session_id, meta.model_dump_json(), self._meta_clock
            )
        return SessionMeta.from_stored_json(text)

    async def load_session_meta(self, session_id: str) -> SessionMeta | None:
        """The session's stored metadata, or None."""
        async with self._guard("load session meta", session_id) as b:
            text = await b.read_meta(session_id)
        return SessionMeta.from_stored_json(text) if text is not None else None

    async def list_child_sessions(self, parent_session_id: str) -> list[SessionMeta]:
        """Meta of the sessions whose ``parent_session_id`` is this one (children, and
        handoffs), in the order they were created; one indexed read. Grandchildren are the
        children's children."""
        async with self._guard("list child sessions", parent_session_id) as b:
            texts = await b.read_child_metas(parent_session_id)
        return [SessionMeta.from_stored_json(t) for t in texts]

    async def tombstone_nodes(self, session_id: str, node_ids: list[str]) -> int:
        """Hide nodes from loads until ``vacuum`` deletes them (spec §12.7)."""
        async with self._guard("tombstone nodes", session_id) as b:
            return await b.tombstone(session_id, node_ids)

    async def vacuum(self, session_id: str | None = None, *, detached: bool = True) -> int:
        """Delete tombstoned nodes and (``detached``) the nodes full rewrites left out, of one
        session or of all. Afterwards ``load_graph_at`` no longer finds those branches, so run
        it only for turns older than any workflow history you still rebuild from."""
        async with self._guard("vacuum", session_id) as b:
            return await b.vacuum(session_id, detached)

    async def delete_session(self, session_id: str) -> bool:
        """Remove a session; its blobs go at the next GC unless something else keeps them."""
        async with self._guard("delete session", session_id) as b:
            return await b.delete_session(session_id)

    async def gc(
        self, retention: timedelta | None = None, *, dry_run: bool = False,
        progress: GcProgress | None = None,
    ) -> GcReport:
        """Delete unrooted blobs (``dry_run``: only count them); see ``_gc`` for the roots."""
        keep = retention if retention is not None else self.retention
        async with self._guard("gc") as b:
            return await collect_garbage(
                b, keep, time.time(), dry_run=dry_run, progress=progress
            )

    # -- effect journal ------------------------------------------------------------------------

    async def record_effect(
        self, session_id: str, turn_id: str, key: str, outcome_json: Any
    ) -> Any:
        """Journal one completed effect of a turn; first write wins and is returned."""
        text = effect_text(turn_id, key, outcome_json)
        async with self._guard("record effect", session_id) as b:
            stored = await b.record_effect(session_id, turn_id, key, text, time.time())
        return json.loads(stored)

    async def load_effects(self, session_id: str, turn_id: str) -> dict[str, Any]:
        """Every journaled outcome of a turn, by key."""
        async with self._guard("load effects", session_id) as b:
            rows = await b.load_effects(session_id, turn_id)
        return {k: json.loads(v) for k, v in rows.items()}


def _reason(exc: BaseException, url: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return redact_url(text.replace(url, redact_url(url)))


__all__ = ["CheckpointStore"]
