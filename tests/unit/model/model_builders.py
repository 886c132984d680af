"""Small builders for model tests (messages, tool records, states)."""

from __future__ import annotations

from typing import Any

from checkpoint.model import (
    Message,
    MessageRole,
    ModeEvent,
    OutcomeSuccess,
    Part,
    PluginOrigin,
    ToolCallOutput,
    ToolCallRecord,
)


def text_message(
    message_id: str, role: MessageRole = "User", content: str = "hello", *, transient: bool = False
) -> Message:
    origin = PluginOrigin(kind="plugin", plugin_id="p", transient=True) if transient else None
    return Message(
        id=message_id,
        role=role,
        parts=[Part(id=f"{message_id}.p0", kind="Text", content=content, prune_state="Intact")],
        origin=origin,
    )


def call_message(message_id: str, *call_ids: str, tool: str = "lookup") -> Message:
    parts = [
        Part(
            id=f"{message_id}.p{i}", kind="ToolCall", content='{"q":"x"}',
            tool_call_id=call_id, tool_name=tool, prune_state="Intact",
        )
        for i, call_id in enumerate(call_ids)
    ]
    return Message(id=message_id, role="Assistant", parts=parts)


def result_message(message_id: str, *call_ids: str, tool: str = "lookup") -> Message:
    parts = [
        Part(
            id=f"{message_id}.p{i}", kind="ToolResult", content='{"answer":"y"}',
            tool_call_id=call_id, tool_name=tool, prune_state="Intact",
        )
        for i, call_id in enumerate(call_ids)
    ]
    return Message(id=message_id, role="User", parts=parts)


def tool_record(call_id: str | None, answer: Any = "y", tool: str = "lookup") -> ToolCallRecord:
    return ToolCallRecord(
        call_id=call_id,
        tool=tool,
        args={"q": "x"},
        output=ToolCallOutput(outcome=OutcomeSuccess(payload={"answer": answer})),
        duration_ms=3,
    )


def mode_event() -> ModeEvent:
    return ModeEvent(mode_id="rlm", payload={"step": "started"})
