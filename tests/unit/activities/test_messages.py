"""Standard-mode message shapes (spec §4) and their chat form."""

from __future__ import annotations

from activities.agent._messages import (
    ChatView,
    assistant_message,
    results_message,
    to_chat,
    user_message,
)
from activities.agent.providers import ModelReply, ToolCallRequest
from activities.turn.ids import message_id
from checkpoint.model import Message, resume_safety_problem

CALL = ToolCallRequest(id="c1", name="word_count", args={"text": "a b"})


def _round(n: int) -> list[Message]:
    return [
        user_message(message_id("s", "t", f"u{n}"), f"hi {n}"),
        assistant_message(
            message_id("s", "t", f"a{n}"),
            ModelReply(text="x", tool_calls=[CALL.model_copy(update={"id": f"c{n}"})]),
        ),
        results_message(
            message_id("s", "t", f"r{n}"), [CALL.model_copy(update={"id": f"c{n}"})], ["2"]
        ),
    ]


def test_message_ids_are_derived_and_lash_shaped() -> None:
    """``m`` + 32 hex, the same for the same (session, turn, ordinal), different otherwise."""
    a = message_id("s", "t", "user")
    assert a == message_id("s", "t", "user") != message_id("s", "t2", "user")
    assert len(a) == 33 and a.startswith("m")


def test_tool_round_is_resume_safe_and_parts_carry_call_ids() -> None:
    """Assistant ToolCall parts and User ToolResult parts pair up by call id."""
    messages = _round(0)
    assert resume_safety_problem(messages) is None
    call_part = messages[1].parts[1]
    assert (call_part.kind, call_part.tool_call_id, call_part.content) == (
        "ToolCall",
        "c0",
        '{"text": "a b"}',
    )
    assert messages[2].parts[0].kind == "ToolResult"
    assert resume_safety_problem(messages[:2]) is not None


def test_chat_view_extends_incrementally_and_matches_a_full_conversion() -> None:
    """Syncing after each round gives the same chat as converting everything at once."""
    view = ChatView()
    messages: list[Message] = []
    for n in range(3):
        messages += _round(n)
        assert list(view.sync(messages)) == to_chat(messages)
    assert [c.role for c in to_chat(messages[:3])] == ["user", "assistant", "tool"]


def test_chat_view_rebuilds_after_a_rebranch() -> None:
    """A different prefix (re-branched conversation) is converted from scratch."""
    view = ChatView()
    view.sync(_round(0) + _round(1))
    other = _round(5)
    assert list(view.sync(other)) == to_chat(other)
