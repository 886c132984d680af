"""What a session shows in the Temporal UI: activity summaries, current details, error lines."""

from __future__ import annotations

from collections.abc import Sequence

from activities.contract import shorten
from checkpoint.model import TokenLedgerEntry
from workflows.contract import SessionSummary

SUMMARY_TEXT_CHARS = 60
"""How much of the user's message an activity summary shows."""


def turn_summary(turn_index: int, text: str) -> str:
    """The activity summary the UI lists: ``turn 3 · <start of the message>``."""
    return f"turn {turn_index} · {shorten(text, SUMMARY_TEXT_CHARS, one_line=True)}"


def describe_failure(err: BaseException) -> str:
    """The innermost message of a Temporal failure chain, which names what actually went wrong."""
    parts: list[str] = []
    current: BaseException | None = err
    while current is not None and len(parts) < 4:
        parts.append(str(current))
        current = current.__cause__
    return parts[-1] if parts else type(err).__name__


def render_details(summary: SessionSummary, ledger: Sequence[TokenLedgerEntry]) -> str:
    """A short status card: turns, head, usage, and what is happening now."""
    inp = sum(e.usage.input_tokens for e in ledger)
    out = sum(e.usage.output_tokens for e in ledger)
    cached = sum(e.usage.cached_input_tokens for e in ledger)
    state = "running a turn" if summary.in_flight else "waiting for a message"
    if summary.turn_retry:
        state += f", retrying ({summary.turn_retry})"
    if summary.pending_approvals:
        state = f"waiting for approval ({len(summary.pending_approvals)} call(s))"
    if summary.queued:
        state += f" ({summary.queued} queued)"
    head = "none yet" if summary.head_revision is None else f"revision {summary.head_revision}"
    checkpoint = f"`{summary.checkpoint_ref[:16]}…`" if summary.checkpoint_ref else "none"
    title = f" · {summary.title}" if summary.title else ""
    lines = [
        f"### Session `{summary.session_id}`{title}",
        "",
        "| turns | head | checkpoint | tokens in / out / cached | model calls | tool calls | run |",
        "|---|---|---|---|---|---|---|",
        f"| {summary.turn_index} | {head} | {checkpoint} | {inp} / {out} / {cached} "
        f"| {summary.model_calls} | {summary.tool_calls} | {summary.run_count} |",
        "",
        f"**Now:** {state}",
    ]
    if summary.parent_session_id:
        lines.append(f"**Sub-agent of:** `{summary.parent_session_id}`")
    for waiting in summary.pending_approvals:
        req = waiting.request
        args = shorten(req.args_excerpt, 120, one_line=True)
        where = (f" in sub-agent `{waiting.session_id}`"
                 if waiting.session_id != summary.session_id else "")
        lines.append(f"**Awaiting approval:** `{req.tool}` {args} · call `{req.tool_call_id}`"
                     f"{where} · `lash-temporal approve {summary.session_id} {req.tool_call_id}`")
    if summary.last_answer_excerpt:
        answer = shorten(summary.last_answer_excerpt, 200, one_line=True)
        lines.append(f"**Last answer:** {answer}")
    if summary.last_error:
        lines.append(f"**Last error:** {shorten(summary.last_error, 300)}")
    return "\n".join(lines)
