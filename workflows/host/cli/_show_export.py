"""``show SESSION --format mermaid|dot``: the diagram, read from the store alone.

A diagram needs the messages and the sessions below this one, which the store holds; so unlike
the text and JSON views it needs no Temporal server or worker (export from a backup works).
"""

from __future__ import annotations

import gc
from typing import TextIO

from checkpoint.store import SessionStore, redact_url
from workflows.host.cli._access import open_store_at
from workflows.host.cli._config import BRANCH_MESSAGES, Target
from workflows.host.cli._errors import CliError
from workflows.host.cli._graph_export import Descendant, dot_lines, mermaid_lines
from workflows.host.cli._graph_view import MessageGraph
from workflows.host.cli._lineage import MAX_DESCENDANTS


async def descendants(store: SessionStore, session_id: str) -> list[Descendant]:
    """Sessions below ``session_id``, depth first in creation order, at most MAX_DESCENDANTS;
    a cycle is never followed."""
    found: list[Descendant] = []
    seen = {session_id}
    stack = [(m, session_id) for m in reversed(await store.list_child_sessions(session_id))]
    while stack and len(found) < MAX_DESCENDANTS:
        meta, parent = stack.pop()
        if meta.session_id in seen:
            continue
        seen.add(meta.session_id)
        found.append(Descendant(meta, parent))
        children = await store.list_child_sessions(meta.session_id)
        stack += [(m, meta.session_id) for m in reversed(children)]
    return found


async def export_graph(
    target: Target, session_id: str, fmt: str, out: TextIO, *, last_turns: int | None
) -> None:
    """Write the session's diagram in ``fmt``: the last ``last_turns`` turns with each other
    branch cut to ``BRANCH_MESSAGES`` messages, or all (None)."""
    store = await open_store_at(target.store_url, must_exist=True)
    try:
        read = await store.load_session(session_id)
        if read is None:
            raise CliError(f"no session {session_id!r} in the store {redact_url(target.store_url)}")
        below = await descendants(store, session_id)
    finally:
        await store.close()
    gc.freeze()  # every node stays alive until exit: keep them out of the collector's passes
    graph = MessageGraph.of(read.graph)
    start = graph.last_turns_root(last_turns) if last_turns else None
    lines = mermaid_lines if fmt == "mermaid" else dot_lines
    fold = BRANCH_MESSAGES if last_turns else None
    for line in lines(session_id, graph, below, start, fold):
        out.write(line + "\n")
    out.flush()


__all__ = ["descendants", "export_graph"]
