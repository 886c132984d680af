"""Where a session came from and what it started: its ``SessionMeta`` and its descendants.

The relation and the tree come from the store's session meta (children listed by parent, one
indexed read per session); each descendant's status from Temporal (``describe`` of its
workflow) and its usage from the store's head (running ledger totals, no graph read).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from checkpoint.model import (
    ChildRelation,
    HandoffRelation,
    SessionMeta,
    SessionUsageReport,
    UsageTotals,
)
from checkpoint.store import SessionStore
from workflows.host.cli._config import Target
from workflows.host.cli._errors import from_rpc
from workflows.host.client import handle

MAX_DESCENDANTS = 500
"""``show`` lists at most this many descendants; a larger tree says how many it left out."""

NOT_STARTED = "not started"
"""Status of a descendant whose workflow Temporal does not know (yet, or any more)."""


@dataclass(frozen=True)
class Descendant:
    """One session below the shown one: its meta, depth (1 = child), status and usage."""

    meta: SessionMeta
    depth: int
    status: str
    usage: UsageTotals

    def to_json(self) -> dict[str, Any]:
        relation = self.meta.relation
        return {
            "session_id": self.meta.session_id,
            "session_name": self.meta.session_name,
            "parent_session_id": self.meta.parent_session_id,
            "originating_tool_call_id": (
                relation.originating_tool_call_id if isinstance(relation, ChildRelation) else None
            ),
            "depth": self.depth,
            "model": self.meta.model,
            "created_at": self.meta.created_at,
            "status": self.status,
            "usage": self.usage.model_dump(mode="json"),
        }


@dataclass(frozen=True)
class Lineage:
    """The shown session's meta (None if none was stored) and its descendants, depth first."""

    meta: SessionMeta | None
    descendants: list[Descendant]
    left_out: int = 0


def relation_text(meta: SessionMeta | None) -> str:
    """``root``, ``child of P via tool call C``, ``handoff from P (reason)``."""
    if meta is None:
        return "unknown (no session meta stored)"
    relation = meta.relation
    if isinstance(relation, ChildRelation):
        via = relation.originating_tool_call_id
        return f"child of {relation.parent_session_id}" + (f" via tool call {via}" if via else "")
    if isinstance(relation, HandoffRelation):
        return f"handoff from {relation.parent_session_id} ({relation.reason})"
    return "root"


async def _tree(
    store: SessionStore, session_id: str
) -> tuple[list[tuple[SessionMeta, int]], int]:
    """Descendants depth first, children in creation order; a cycle is never followed."""
    found: list[tuple[SessionMeta, int]] = []
    seen = {session_id}
    stack = [(m, 1) for m in reversed(await store.list_child_sessions(session_id))]
    left_out = 0
    while stack:
        meta, depth = stack.pop()
        if meta.session_id in seen:
            continue
        if len(found) >= MAX_DESCENDANTS:
            left_out += 1
            continue
        seen.add(meta.session_id)
        found.append((meta, depth))
        children = await store.list_child_sessions(meta.session_id)
        stack += [(m, depth + 1) for m in reversed(children)]
    return found, left_out


async def _status(client: Client, target: Target, session_id: str) -> str:
    try:
        desc = await handle(client, session_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return NOT_STARTED
        raise from_rpc(err, address=target.address, session_id=session_id) from err
    return desc.status.name.lower() if desc.status else "unknown"


async def _usage(store: SessionStore, session_id: str) -> UsageTotals:
    head = await store.load_head(session_id)
    return SessionUsageReport.from_entries(list(head.token_ledger) if head else []).usage


async def lineage(
    client: Client, target: Target, store: SessionStore, session_id: str
) -> Lineage:
    """The session's meta and every descendant with its workflow status and usage."""
    meta = await store.load_session_meta(session_id)
    tree, left_out = await _tree(store, session_id)
    statuses = await asyncio.gather(*(_status(client, target, m.session_id) for m, _ in tree))
    usages = [await _usage(store, m.session_id) for m, _ in tree]
    descendants = [
        Descendant(m, depth, status, usage)
        for (m, depth), status, usage in zip(tree, statuses, usages, strict=True)
    ]
    return Lineage(meta, descendants, left_out)


__all__ = ["MAX_DESCENDANTS", "NOT_STARTED", "Descendant", "Lineage", "lineage", "relation_text"]
