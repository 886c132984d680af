"""Plain-text views for people: the usage report as a table, descendants indented by depth and
the session graph as a tree.

A conversation is a long chain with an occasional fork, so the tree indents only where a message
has more than one child; a linear session stays a flat list however long it is.
"""

from __future__ import annotations

from collections.abc import Iterator

from activities.contract import PromptWindow, shorten
from checkpoint.model import Message, SessionUsageReport, UsageTotals
from workflows.host.cli._graph_view import Folded, MessageGraph, MessageNode, view_walk
from workflows.host.cli._lineage import Descendant

ACTIVE_MARK = "●"
INACTIVE_MARK = "○"
FOLD_MARK = "…"
LINE_CHARS = 100


def count(n: int) -> str:
    """1234567 -> '1,234,567'."""
    return f"{n:,}"


def plural(n: int, noun: str) -> str:
    """``1 tool call``, ``2 tool calls``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def message_text(message: Message) -> str:
    """What a message says: its text, its tool calls by name, its tool results."""
    pieces: list[str] = []
    for part in message.parts:
        if part.kind == "ToolCall":
            pieces.append(f"[calls {part.tool_name or 'tool'}]")
        elif part.kind == "ToolResult":
            result = shorten(part.content, 40, one_line=True)
            pieces.append(f"[{part.tool_name or 'tool'} result: {result}]")
        elif part.kind == "Reasoning":
            continue
        elif part.content.strip():
            pieces.append(part.content)
    return " ".join(pieces)


def prompt_text(window: PromptWindow) -> str:
    """``last 37 of 400 turns (window 4,096 tokens, about 2,980 sent)``: what rolling_history
    left out of the last model call."""
    held = (
        f"all {plural(window.path_turns, 'turn')}"
        if window.turns >= window.path_turns
        else f"last {count(window.turns)} of {count(window.path_turns)} turns"
    )
    return (
        f"{held} (window {count(window.window_tokens)} tokens, "
        f"about {count(window.prompt_tokens)} sent)"
    )


def tool_names(message: Message) -> list[str]:
    """Names of the tools a message calls, in order."""
    return [p.tool_name or "tool" for p in message.parts if p.kind == "ToolCall"]


def _usage_row(label: str, model: str, usage: UsageTotals) -> list[str]:
    return [
        label, model, count(usage.input_tokens), count(usage.output_tokens),
        count(usage.cached_input_tokens), count(usage.total_tokens),
    ]


def usage_table(report: SessionUsageReport) -> list[str]:
    """One row per (source, model) and a total row, columns aligned."""
    rows = [["source", "model", "input", "output", "cached", "total"]]
    rows += [_usage_row(r.source, r.model, r.usage) for r in report.by_source_model]
    rows.append(_usage_row("total", "", report.usage))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        left = [cell.ljust(widths[i]) for i, cell in enumerate(row[:2])]
        right = [cell.rjust(widths[i + 2]) for i, cell in enumerate(row[2:])]
        lines.append("  ".join(left + right).rstrip())
    return lines


def descendant_lines(descendants: list[Descendant]) -> list[str]:
    """One line per descendant, indented by depth: id, status, total tokens, name."""
    return [
        f"{'   ' * (d.depth - 1)}└ {d.meta.session_id} · {d.status} · "
        f"{count(d.usage.total_tokens)} tokens · {shorten(d.meta.session_name, 60, one_line=True)}"
        for d in descendants
    ]


def _node_line(node: MessageNode, active: bool) -> str:
    mark = ACTIVE_MARK if active else INACTIVE_MARK
    text = shorten(message_text(node.message), LINE_CHARS - 20, one_line=True)
    return f"{mark} {node.label}: {text}"


def tree_lines(
    graph: MessageGraph, start: str | None = None, branch_messages: int | None = None
) -> Iterator[str]:
    """The message forest (or the subtree from ``start``), one line per message, lazily; a
    branch cut short (``view_walk``'s ``branch_messages``) ends in a line counting the rest.

    Chains stay flat, forks get ``├─``/``└─`` branches; nothing recurses, however long the chain.
    """
    active = set(graph.active_path)
    for item, prefix in view_walk(graph, start, branch_messages):
        if isinstance(item, Folded):
            yield f"{prefix}{FOLD_MARK} {plural(item.count, 'more message')} on this branch"
        else:
            yield prefix + _node_line(item, item.node_id in active)


def is_fold_line(line: str) -> bool:
    """A line ``tree_lines`` wrote for the messages of a branch it left out."""
    return line.lstrip(" │├└─").startswith(FOLD_MARK)
