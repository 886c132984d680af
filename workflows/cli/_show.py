"""``lash-temporal show SESSION``: where a session stands, what it cost, and its graph.

The summary comes from the workflow's query (a worker answers it), the history figures from
``describe`` (the same numbers ``temporal workflow describe`` prints), and the usage report and
graph from the store, which holds the conversation itself.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError

from checkpoint.model import PersistedSessionRead, SessionMessageTreeNode, SessionUsageReport
from checkpoint.store import redact_url
from workflows._inputs import SessionSummary
from workflows.cli._access import (
    HistoryFigures,
    connect_to,
    has_poller,
    history_figures,
    open_store_at,
)
from workflows.cli._config import Target
from workflows.cli._render import count, message_text, plural, tree_lines, usage_table
from workflows.client import handle
from workflows.session import SessionWorkflow

QUERY_TIMEOUT = timedelta(seconds=10)
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


async def gather(target: Target, session_id: str) -> dict[str, Any]:
    """Everything ``show`` prints, as one JSON-ready object."""
    client = await connect_to(target)
    figures: HistoryFigures = await history_figures(client, target, session_id)
    summary, summary_note = await _query_summary(client, target, session_id,
                                                 figures.task_queue)
    store = await open_store_at(target.store_url, must_exist=True)
    try:
        read: PersistedSessionRead | None = await store.load_session(session_id)
    finally:
        await store.close()
    report = SessionUsageReport.from_entries(list(read.token_ledger) if read else [])
    tree = read.graph.message_tree() if read else []
    turn_index = summary.turn_index if summary else (
        read.checkpoint.turn_state.turn_index if read and read.checkpoint else 0
    )
    return {
        "session_id": session_id,
        "workflow_id": figures.workflow_id,
        "run_id": figures.run_id,
        "status": figures.status,
        "task_queue": figures.task_queue,
        "turn_index": turn_index,
        "head_revision": read.head_revision if read else None,
        "checkpoint_ref": read.checkpoint_ref if read else None,
        "history_length": figures.history_length,
        "history_size_bytes": figures.history_size_bytes,
        "summary": summary.model_dump(mode="json") if summary else None,
        "notes": [n for n in [summary_note, "" if read else "the store has no head for this "
                              "session yet (no turn has committed)"] if n],
        "store": redact_url(target.store_url),
        "usage": report.model_dump(mode="json"),
        "graph": {
            "leaf_node_id": read.graph.leaf_node_id if read else None,
            "node_count": len(read.graph.nodes) if read else 0,
            "tree": _tree_json(tree),
        },
        "_tree": tree,
        "_report": report,
    }


def render_text(data: dict[str, Any]) -> str:
    """The human view: summary lines, the usage table, then the graph tree."""
    summary = data["summary"] or {}
    ref = data["checkpoint_ref"] or "none"
    revision = data["head_revision"] if data["head_revision"] is not None else "none"
    lines = [
        f"session {data['session_id']} · workflow {data['workflow_id']} ({data['status']})",
        f"  turns          {data['turn_index']}",
        f"  head revision  {revision}",
        f"  checkpoint     {ref}",
        f"  history        {count(data['history_length'])} events, "
        f"{count(data['history_size_bytes'])} bytes",
    ]
    if summary:
        busy = ", turn in flight" if summary["in_flight"] else ""
        lines.append(
            f"  activity       {plural(summary['model_calls'], 'model call')}, "
            f"{plural(summary['tool_calls'], 'tool call')}, run {summary['run_count']}{busy}"
        )
        if summary.get("last_error"):
            lines.append(f"  last error     {summary['last_error']}")
    lines += [f"  note: {note}" for note in data["notes"]]
    lines += ["", f"usage ({data['store']})"]
    lines += ["  " + line for line in usage_table(data["_report"])]
    graph = data["graph"]
    lines += ["", f"graph ({graph['node_count']} nodes; ● active path, ○ other branches)"]
    lines += ["  " + line for line in tree_lines(data["_tree"])] or ["  (empty)"]
    return "\n".join(lines)


def render_json(data: dict[str, Any]) -> str:
    """One JSON object (the private rendering helpers left out)."""
    public = {k: v for k, v in data.items() if not k.startswith("_")}
    return json.dumps(public, indent=2, ensure_ascii=False)


async def show(target: Target, session_id: str, *, as_json: bool) -> str:
    """The text ``show`` prints."""
    data = await gather(target, session_id)
    return render_json(data) if as_json else render_text(data)

