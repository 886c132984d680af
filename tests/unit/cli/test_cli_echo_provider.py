"""The ``echo`` provider that ``chat`` starts new sessions with: it answers what was said."""

from __future__ import annotations

import asyncio

from activities.agent.providers import (
    ChatMessage,
    EchoProvider,
    ModelReply,
    ModelRequest,
    ToolSpec,
)

TOOLS = (ToolSpec(name="word_count"),)


def _ask(*messages: ChatMessage, tools: tuple[ToolSpec, ...] = TOOLS) -> ModelReply:
    request = ModelRequest(session_id="s", turn_id="t1", turn_index=1, step=len(messages) - 1,
                           model="echo", messages=messages, tools=tools)
    return asyncio.run(EchoProvider().complete(request))


def test_a_message_is_answered_with_itself_and_its_word_count() -> None:
    """"hello" gets "hello" back (not a canned line about another sentence)."""
    reply = _ask(ChatMessage(role="user", content="hello"))
    assert reply.text == "You said “hello” (1 word)." and reply.tool_calls == []
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0


def test_asking_to_count_calls_word_count_on_the_quoted_text_then_reports_it() -> None:
    """A request to count calls the tool; the tool's result becomes the answer."""
    ask = ChatMessage(role="user", content="How many words are in 'durable agents on temporal'?")
    first = _ask(ask)
    [call] = first.tool_calls
    assert (call.name, call.args) == ("word_count", {"text": "durable agents on temporal"})
    assert _ask(ask).tool_calls[0].id == call.id  # a retried call asks the same
    answer = _ask(ask, ChatMessage(role="assistant", content=first.text, tool_calls=[call]),
                  ChatMessage(role="tool", content="4 words, 26 chars", tool_call_id=call.id))
    assert answer.text == "“durable agents on temporal” has 4 words (counted by word_count)."


def test_without_the_tool_a_count_request_is_echoed() -> None:
    """No word_count offered: no call to a tool that is not there."""
    reply = _ask(ChatMessage(role="user", content="count to three"), tools=())
    assert reply.tool_calls == [] and reply.text == "You said “count to three” (3 words)."
