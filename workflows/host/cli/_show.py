"""``lash-temporal show SESSION``: where a session stands, what it cost, and its graph.

The summary comes from the workflow's query (a worker answers it), the history figures from
``describe`` (the same numbers ``temporal workflow describe`` prints), how much of the
conversation the last prompt held from the newest turn outcome in history, and the usage report
and graph from the store, which holds the conversation itself. The relation and the descendant
sessions (each with its workflow status and usage) come from ``_lineage``. A turn that is
retrying shows its attempt and the previous attempt's failure (``_pending``).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TextIO

from temporalio.client import Client
from temporalio.service import RPCError

from activities.contract import PromptWindow
from checkpoint.model import PersistedSessionHead, SessionUsageReport
from checkpoint.store import SessionStore, redact_url
from workflows.contract import SessionSummary
from workflows.host.cli._access import (
    HistoryFigures,
    connect_to,
    has_poller,
    history_figures,
    open_store_at,
)
from workflows.host.cli._approve import waiting_line
from workflows.host.cli._config import BRANCH_MESSAGES, DEFAULT_LAST_TURNS, Target
from workflows.host.cli._graph_view import MessageGraph
from workflows.host.cli._last_turn import last_turn_outcome
from workflows.host.cli._lineage import Lineage, lineage, relation_text
from workflows.host.cli._pending import PendingTurn, pending_turn
from workflows.host.cli._render import (
    count,
    descendant_lines,
    is_fold_line,
    plural,
    prompt_text,
    tree_lines,
    usage_table,
)
from workflows.host.cli._show_json import write_json_graph, write_json_head
from workflows.host.client import handle
from workflows.session import SessionWorkflow

KEY = "● active path, ○ other branches"
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


@dataclass(frozen=True)
class SessionView:
    """What ``show`` knows about one session, from Temporal and from the store."""

    session_id: str
    figures: HistoryFigures
    summary: SessionSummary | None
    head: PersistedSessionHead | None
    """Where the session stands in the store, read without a node (None: no turn committed)."""
    notes: list[str]
    store: str
    """The store URL, password masked."""
    lineage: Lineage
    prompt: PromptWindow | None = None
    """What the current run's newest completed turn sent the model (None: no such turn)."""
    graph: MessageGraph | None = None
    """The messages, read after the rest (None: not read yet, or no head)."""
    pending: PendingTurn | None = None
    """The turn activity running now, with its attempt and last failure (None: none runs)."""

    @property
    def turn_index(self) -> int:
        if self.summary is not None:
            return self.summary.turn_index
        checkpoint = self.head.checkpoint if self.head else None
        return checkpoint.turn_state.turn_index if checkpoint else 0

    @property
    def report(self) -> SessionUsageReport:
        return SessionUsageReport.from_entries(list(self.head.token_ledger) if self.head else [])

    def header_json(self) -> dict[str, Any]:
        """Every field but the graph; the history figures are ``temporal workflow describe``'s."""
        head, figures = self.head, self.figures
        return {
            "session_id": self.session_id,
            "workflow_id": figures.workflow_id,
            "run_id": figures.run_id,
            "status": figures.status,
            "task_queue": figures.task_queue,
            "turn_index": self.turn_index,
            "head_revision": head.head_revision if head else None,
            "checkpoint_ref": head.checkpoint_ref if head else None,
            "history_length": figures.history_length,
            "history_size_bytes": figures.history_size_bytes,
            "summary": self.summary.model_dump(mode="json") if self.summary else None,
            "meta": self.lineage.meta.model_dump(mode="json") if self.lineage.meta else None,
            "relation": relation_text(self.lineage.meta),
            "descendants": [d.to_json() for d in self.lineage.descendants],
            "descendants_left_out": self.lineage.left_out,
            "prompt": dict(self.prompt) if self.prompt else None,  # every count, always
            "pending_turn": (
                {"attempt": self.pending.attempt, "last_failure": self.pending.last_failure}
                if self.pending else None
            ),
            "notes": self.notes,
            "store": self.store,
            "usage": self.report.model_dump(mode="json"),
        }


async def _head_view(
    client: Client, target: Target, store: SessionStore, session_id: str
) -> SessionView:
    """Everything but the graph: Temporal's figures and summary, the store's head and lineage.

    None of it grows with the session, so ``show`` prints it at once, however long the session.
    """
    figures = await history_figures(client, target, session_id)
    summary, note = await _query_summary(client, target, session_id, figures.task_queue)
    last = await last_turn_outcome(client, target.namespace, session_id, figures.run_id)
    head = await store.load_head(session_id)
    family = await lineage(client, target, store, session_id)
    pending = await _pending(client, session_id) if figures.status == "running" else None
    notes = [note] if note else []
    if head is None:
        notes.append("the store has no head for this session yet (no turn has committed)")
    return SessionView(
        session_id, figures, summary, head, notes, redact_url(target.store_url), family,
        prompt=last.prompt if last else None, pending=pending,
    )


async def _pending(client: Client, session_id: str) -> PendingTurn | None:
    try:
        return await pending_turn(client, session_id)
    except RPCError:  # it ended between the two describes: nothing in flight
        return None


async def _graph(store: SessionStore, view: SessionView) -> MessageGraph | None:
    read = await store.load_session(view.session_id) if view.head is not None else None
    # A short-lived process that just loaded every node keeps them all: take them out of the
    # garbage collector's passes, which otherwise dominate building the view of a long session.
    gc.freeze()
    return MessageGraph.of(read.graph) if read is not None else None


async def gather(target: Target, session_id: str) -> SessionView:
    """Describe the workflow, ask it for its summary, read the session from the store."""
    client = await connect_to(target)
    store = await open_store_at(target.store_url, must_exist=True)
    try:
        view = await _head_view(client, target, store, session_id)
        return replace(view, graph=await _graph(store, view))
    finally:
        await store.close()


def header_lines(view: SessionView) -> list[str]:
    """Summary lines, the usage table and the descendants: all but the graph."""
    figures, head, summary = view.figures, view.head, view.summary
    revision = head.head_revision if head else "none"
    ref = (head.checkpoint_ref if head else None) or "none"
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
        for waiting in summary.pending_approvals:
            lines.append(f"  approval       {waiting_line(view.session_id, waiting)}")
    if view.pending is not None and view.pending.last_failure:
        lines.append(f"  in flight      turn {view.pending.retry_line()}")
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
    return lines


def graph_lines(
    graph: MessageGraph | None, last_turns: int | None = DEFAULT_LAST_TURNS
) -> Iterator[str]:
    """The graph's header, then its tree: everything, or the last ``last_turns`` turns of the
    active path with each other branch cut to its first ``BRANCH_MESSAGES`` messages.

    The header counts the messages printed, and says how many there are when that is not all.
    """
    yield ""
    if graph is None or not graph.nodes:
        yield f"graph (empty; {KEY})"
        yield "  (empty)"
        return
    start = graph.last_turns_root(last_turns) if last_turns else None
    lines = list(tree_lines(graph, start, BRANCH_MESSAGES if last_turns else None))
    folds = sum(1 for line in lines if is_fold_line(line))
    shown = len(lines) - folds
    if shown == len(graph.nodes):
        yield f"graph ({plural(shown, 'message')}; {KEY})"
    else:
        turns = (f"the last {last_turns} of {count(graph.turn_count())} turns" if start
                 else f"all {count(graph.turn_count())} turns")
        branches = f", other branches cut to {BRANCH_MESSAGES} messages" if folds else ""
        yield (f"graph (showing {count(shown)} of {count(len(graph.nodes))} messages: {turns}"
               f"{branches}, --all shows every message; {KEY})")
    yield from ("  " + line for line in lines)


def render_text(view: SessionView, last_turns: int | None = DEFAULT_LAST_TURNS) -> str:
    """The human view: summary lines, the usage table, then the graph tree."""
    return "\n".join([*header_lines(view), *graph_lines(view.graph, last_turns)])


async def show(
    target: Target, session_id: str, out: TextIO, *, as_json: bool,
    last_turns: int | None = DEFAULT_LAST_TURNS,
) -> None:
    """Write the view to ``out`` as it is read: the head part at once, the graph after it.

    Text shows the last ``last_turns`` turns (None: all); JSON is always complete, one line per
    message, so its size grows with the session and nothing is held as one string.
    """
    client = await connect_to(target)
    store = await open_store_at(target.store_url, must_exist=True)
    try:
        view = await _head_view(client, target, store, session_id)
        if as_json:
            write_json_head(view.header_json(), out)
        else:
            out.write("\n".join(header_lines(view)) + "\n")
        out.flush()
        view = replace(view, graph=await _graph(store, view))
    finally:
        await store.close()
    if as_json:
        write_json_graph(view.graph, out)
    else:
        for line in graph_lines(view.graph, last_turns):
            out.write(line + "\n")
    out.flush()
