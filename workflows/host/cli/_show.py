"""``lash-temporal show SESSION``: where a session stands, what it cost, and its graph.

The summary comes from the workflow's query (a worker answers it), the history figures from
``describe`` (the same numbers ``temporal workflow describe`` prints), how much of the
conversation the last prompt held from the newest turn outcome in history, and the usage report
and graph from the store, which holds the conversation itself. The relation and the descendant
sessions (each with its workflow status and usage) come from ``_lineage``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError

from activities.contract import PromptWindow
from checkpoint.model import PersistedSessionRead, SessionMessageTreeNode, SessionUsageReport
from checkpoint.store import redact_url
from workflows.contract import SessionSummary
from workflows.host.cli._access import (
    HistoryFigures,
    connect_to,
    has_poller,
    history_figures,
    open_store_at,
)
from workflows.host.cli._config import Target
from workflows.host.cli._last_turn import last_turn_outcome
from workflows.host.cli._lineage import Lineage, lineage, relation_text
from workflows.host.cli._render import (
    count,
    descendant_lines,
    message_text,
    plural,
    prompt_text,
    tree_lines,
    usage_table,
)
from workflows.host.client import handle
from workflows.session import SessionWorkflow

QUERY_TIMEOUT = timedelta(seconds=5)
"""A query needs a worker; without one the server holds it, so give up and say so."""


async def _query_summary(
    client: Client, target: Target, session_id: str, task_queue: str
) -> tuple[SessionSummary | None, str]:
    """The workflow's own summary, or None and the reason it is missing."""
    if not await has_poller(client, target, task_queue):
        return None, f"no worker polls task queue {task_queue!r}, so no summary query was sent"
    try:
        summary = await asyncio.wait_for(
            handle(client, session_id).query(SessionWorkflow.summary, rpc_timeout=QUERY_TIMEOUT),
            QUERY_TIMEOUT.total_seconds() + 5,
        )
    except (RPCError, TimeoutError) as err:
        reason = err.message if isinstance(err, RPCError) else "timed out"
        return None, f"no worker answered the summary query ({reason})"
    return summary, ""


def _tree_json(nodes: list[SessionMessageTreeNode]) -> list[dict[str, Any]]:
    return [
        {
            "node_id": n.node_id,
            "role": n.message.role,
            "text": message_text(n.message),
            "active": n.active,
            "timestamp": n.timestamp,
            "children": _tree_json(n.children),
        }
        for n in nodes
    ]


@dataclass(frozen=True)
class SessionView:
    """What ``show`` knows about one session, from Temporal and from the store."""

    session_id: str
    figures: HistoryFigures
    summary: SessionSummary | None
    read: PersistedSessionRead | None
    notes: list[str]
    store: str
    """The store URL, password masked."""
    lineage: Lineage
    prompt: PromptWindow | None = None
    """What the current run's newest completed turn sent the model (None: no such turn)."""

    @property
    def turn_index(self) -> int:
        if self.summary is not None:
            return self.summary.turn_index
        checkpoint = self.read.checkpoint if self.read else None
        return checkpoint.turn_state.turn_index if checkpoint else 0

    @property
    def report(self) -> SessionUsageReport:
        return SessionUsageReport.from_entries(list(self.read.token_ledger) if self.read else [])

    @property
    def tree(self) -> list[SessionMessageTreeNode]:
        return self.read.graph.message_tree() if self.read else []

    def to_json(self) -> dict[str, Any]:
        """One JSON object; the history figures are the ones ``temporal workflow describe`` has."""
        read, figures = self.read, self.figures
        return {
            "session_id": self.session_id,
            "workflow_id": figures.workflow_id,
            "run_id": figures.run_id,
            "status": figures.status,
            "task_queue": figures.task_queue,
            "turn_index": self.turn_index,
            "head_revision": read.head_revision if read else None,
            "checkpoint_ref": read.checkpoint_ref if read else None,
            "history_length": figures.history_length,
            "history_size_bytes": figures.history_size_bytes,
            "summary": self.summary.model_dump(mode="json") if self.summary else None,
            "meta": self.lineage.meta.model_dump(mode="json") if self.lineage.meta else None,
            "relation": relation_text(self.lineage.meta),
            "descendants": [d.to_json() for d in self.lineage.descendants],
            "descendants_left_out": self.lineage.left_out,
            "prompt": self.prompt.model_dump(mode="json") if self.prompt else None,
            "notes": self.notes,
            "store": self.store,
            "usage": self.report.model_dump(mode="json"),
            "graph": {
                "leaf_node_id": read.graph.leaf_node_id if read else None,
                "node_count": len(read.graph.nodes) if read else 0,
                "tree": _tree_json(self.tree),
            },
        }


async def gather(target: Target, session_id: str) -> SessionView:
    """Describe the workflow, ask it for its summary, read the session from the store."""
    client = await connect_to(target)
    figures = await history_figures(client, target, session_id)
    summary, note = await _query_summary(client, target, session_id, figures.task_queue)
    last = await last_turn_outcome(client, target.namespace, session_id, figures.run_id)
    store = await open_store_at(target.store_url, must_exist=True)
    try:
        read = await store.load_session(session_id)
        family = await lineage(client, target, store, session_id)
    finally:
        await store.close()
    notes = [note] if note else []
    if read is None:
        notes.append("the store has no head for this session yet (no turn has committed)")
    return SessionView(
        session_id,
        figures,
        summary,
        read,
        notes,
        redact_url(target.store_url),
        family,
        prompt=last.prompt if last else None,
    )


def render_text(view: SessionView) -> str:
    """The human view: summary lines, the usage table, then the graph tree."""
    figures, read, summary = view.figures, view.read, view.summary
    revision = read.head_revision if read else "none"
    ref = (read.checkpoint_ref if read else None) or "none"
    lines = [
        f"session {view.session_id} · workflow {figures.workflow_id} ({figures.status})",
        f"  relation       {relation_text(view.lineage.meta)}",
        f"  turns          {view.turn_index}",
        f"  head revision  {revision}",
        f"  checkpoint     {ref}",
        f"  history        {count(figures.history_length)} events, "
        f"{count(figures.history_size_bytes)} bytes",
    ]
    if summary is not None:
        busy = ", turn in flight" if summary.in_flight else ""
        lines.append(
            f"  activity       {plural(summary.model_calls, 'model call')}, "
            f"{plural(summary.tool_calls, 'tool call')}, run {summary.run_count}{busy}"
        )
        if summary.last_error:
            lines.append(f"  last error     {summary.last_error}")
    if view.prompt is not None:
        lines.append(f"  prompt         {prompt_text(view.prompt)}")
    lines += [f"  note: {note}" for note in view.notes]
    lines += ["", f"usage ({view.store})"]
    lines += ["  " + line for line in usage_table(view.report)]
    family = view.lineage
    lines += ["", f"descendants ({len(family.descendants)})"]
    lines += ["  " + line for line in descendant_lines(family.descendants)] or ["  (none)"]
    if family.left_out:
        lines.append(f"  … and {family.left_out} more")
    node_count = len(read.graph.nodes) if read else 0
    lines += ["", f"graph ({node_count} nodes; ● active path, ○ other branches)"]
    lines += ["  " + line for line in tree_lines(view.tree)] or ["  (empty)"]
    return "\n".join(lines)


async def show(target: Target, session_id: str, *, as_json: bool) -> str:
    """The text ``show`` prints: plain text, or one JSON object."""
    view = await gather(target, session_id)
    if as_json:
        return json.dumps(view.to_json(), indent=2, ensure_ascii=False)
    return render_text(view)
