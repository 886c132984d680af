"""The text views of ``show``: branches stay visible, chains stay flat, usage totals add up."""

from __future__ import annotations

from checkpoint.model import (
    Message,
    Part,
    SessionGraph,
    SessionMeta,
    SessionUsageReport,
    TokenLedgerEntry,
    TokenUsage,
    UsageTotals,
)
from workflows.host.cli._graph_view import MessageGraph
from workflows.host.cli._lineage import Descendant, relation_text
from workflows.host.cli._render import descendant_lines, tree_lines, usage_table


def _text(message_id: str, role: str, content: str) -> Message:
    part = Part(id=f"{message_id}.p", kind="Text", content=content, prune_state="Intact")
    return Message.model_validate({"id": message_id, "role": role, "parts": [part]})


def _usage(inp: int, out: int) -> TokenUsage:
    return TokenUsage(input_tokens=inp, output_tokens=out, cached_input_tokens=0)


def test_tree_marks_the_active_branch_and_shows_the_other() -> None:
    """A fork after the question: both answers listed, only the current one marked active."""
    graph = SessionGraph()
    question = graph.append_message(_text("m1", "User", "which way?"))
    graph.append_message(_text("m2", "Assistant", "left"))
    graph.append_message(_text("m3", "User", "are you sure?"))
    graph.branch_to(question)
    graph.append_message(_text("m4", "Assistant", "right"))
    assert list(tree_lines(MessageGraph.of(graph))) == [
        "● you: which way?",
        "├─ ○ agent: left",
        "│  ○ you: are you sure?",
        "└─ ● agent: right",
    ]


def test_tree_of_a_linear_chain_is_flat() -> None:
    """However long the conversation, an unbranched chain is not indented."""
    graph = SessionGraph()
    for i in range(30):
        graph.append_message(_text(f"m{i}", "User" if i % 2 == 0 else "Assistant", f"line {i}"))
    lines = list(tree_lines(MessageGraph.of(graph)))
    assert len(lines) == 30 and all(line.startswith("● ") for line in lines)


def test_usage_table_has_a_row_per_source_and_model_and_a_total() -> None:
    """Rows in ledger order, then the total of every component."""
    report = SessionUsageReport.from_entries([
        TokenLedgerEntry(source="turn", model="m", usage=_usage(1200, 30)),
        TokenLedgerEntry(source="subagent", model="m", usage=_usage(5, 7)),
    ])
    lines = usage_table(report)
    assert [line.split() for line in lines] == [
        ["source", "model", "input", "output", "cached", "total"],
        ["turn", "m", "1,200", "30", "0", "1,230"],
        ["subagent", "m", "5", "7", "0", "12"],
        ["total", "1,205", "37", "0", "1,242"],
    ]


def _meta(session_id: str, relation: dict[str, object] | None = None) -> SessionMeta:
    return SessionMeta.model_validate({
        "session_id": session_id, "session_name": f"task   of\n{session_id}",
        "created_at": "unix:1", "model": "m", "relation": relation or {"kind": "root"},
    })


def test_relation_names_the_parent_and_the_tool_call() -> None:
    """Root, child (with or without its call), handoff, and a session with no meta stored."""
    child = {"kind": "child", "parent_session_id": "p", "originating_tool_call_id": "call_1"}
    assert relation_text(_meta("r")) == "root"
    assert relation_text(_meta("c", child)) == "child of p via tool call call_1"
    assert relation_text(_meta("c", {"kind": "child", "parent_session_id": "p"})) == "child of p"
    handoff = {"kind": "handoff", "parent_session_id": "p", "reason": "escalate"}
    assert relation_text(_meta("h", handoff)) == "handoff from p (escalate)"
    assert relation_text(None) == "unknown (no session meta stored)"


def test_descendants_indent_by_depth() -> None:
    """A grandchild sits under its parent; each line has status, tokens and a one-line name."""
    usage = UsageTotals.from_usage(_usage(1_000, 234))
    lines = descendant_lines([
        Descendant(_meta("c"), 1, "completed", usage),
        Descendant(_meta("g"), 2, "running", usage),
    ])
    assert lines == [
        "└ c · completed · 1,234 tokens · task of c",
        "   └ g · running · 1,234 tokens · task of g",
    ]
