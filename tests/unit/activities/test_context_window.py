"""rolling_history: which part of the active path a model call is sent, and what it costs."""

from __future__ import annotations

import json

import pytest

from activities.agent._context_window import (
    FALLBACK_WINDOW,
    context_window,
    reply_reserve,
    rolling_history,
)
from activities.agent._messages import (
    ChatView,
    assistant_message,
    results_message,
    to_chat,
    user_message,
)
from activities.agent._tokens import message_tokens, text_tokens, tools_tokens
from activities.agent.providers import ChatMessage, ModelReply, ToolCallRequest, ToolSpec
from activities.agent.providers.openai import _chat_message
from activities.contract import TurnPolicy
from checkpoint.errors import ContractError, PromptTooLargeError
from checkpoint.model import Message, Part

TOOLS = [ToolSpec(name="word_count", description="Count words.")]


def _system(text: str) -> Message:
    part = Part(id="sys.p0", kind="Text", content=text, prune_state="Intact")
    return Message(id="sys", role="System", parts=[part])


def _round(turn: int, step: int, result: str) -> list[Message]:
    call = ToolCallRequest(id=f"c{turn}_{step}", name="word_count", args={"text": "a b"})
    reply = ModelReply(text="", tool_calls=[call])
    return [
        assistant_message(f"a{turn}_{step}", reply),
        results_message(f"r{turn}_{step}", [call], [result]),
    ]


def _conversation(turns: int, *, rounds: int = 1, text: str = "word " * 40) -> list[Message]:
    """``turns`` turns: user message, ``rounds`` tool rounds, final answer."""
    messages: list[Message] = []
    for turn in range(turns):
        messages.append(user_message(f"u{turn}", f"turn {turn}: {text}"))
        for step in range(rounds):
            messages += _round(turn, step, f"{len(text.split())} words")
        messages.append(assistant_message(f"f{turn}", ModelReply(text=f"answer {turn} {text}")))
    return messages


def _view(messages: list[Message]) -> ChatView:
    view = ChatView()
    view.update(messages)
    return view


def _assert_no_split_round(chat: list[ChatMessage]) -> None:
    """Every result follows its call in the prompt, and every call has all its results."""
    open_calls: set[str] = set()
    for message in chat:
        if message.role == "tool":
            assert message.tool_call_id in open_calls, "a result was sent without its call"
            open_calls.discard(message.tool_call_id)
        else:
            assert not open_calls, "a call was sent without its results"
            open_calls = {c.id for c in message.tool_calls}
    assert not open_calls


def test_a_conversation_that_fits_is_sent_whole() -> None:
    """Below the window nothing is left out, and the record says so."""
    messages = _conversation(5)
    prompt = rolling_history(_view(messages), window=100_000, tools=TOOLS)
    assert prompt.messages == to_chat(messages)
    assert (prompt.window.turns, prompt.window.path_turns) == (5, 5)
    assert prompt.window.messages == prompt.window.path_messages == len(to_chat(messages))


@pytest.mark.parametrize("window", [900, 1_200, 2_000, 3_000, 4_096, 8_000])
def test_the_prompt_is_the_newest_suffix_that_fits_without_splitting_a_tool_round(
    window: int,
) -> None:
    """A contiguous newest suffix, within budget, no call apart from its results."""
    messages = _conversation(60, rounds=2)
    prompt = rolling_history(_view(messages), window=window, tools=TOOLS)
    chat = to_chat(messages)
    assert prompt.messages == chat[len(chat) - len(prompt.messages) :]
    _assert_no_split_round(prompt.messages)
    used = sum(message_tokens(m) for m in prompt.messages) + tools_tokens(TOOLS)
    assert used == prompt.window.prompt_tokens
    assert used <= window - reply_reserve(window)
    assert prompt.window.turns < prompt.window.path_turns == 60
    # ... and it is the longest such suffix: the next older block would not have fit.
    start = len(chat) - len(prompt.messages)
    block = start - 1
    while chat[block].role == "tool":
        block -= 1
    assert used + sum(message_tokens(m) for m in chat[block:start]) > window - reply_reserve(window)


def test_the_system_prompt_and_current_user_message_are_always_sent() -> None:
    """Earlier turns give way first; the system prompt stays at the front."""
    messages = [_system("You are terse."), *_conversation(50)]
    messages.append(user_message("now", "the question of this turn"))
    prompt = rolling_history(_view(messages), window=1_000, tools=TOOLS)
    assert prompt.messages[0] == ChatMessage(role="system", content="You are terse.")
    assert prompt.messages[-1] == ChatMessage(role="user", content="the question of this turn")
    assert 1 <= prompt.window.turns < 51
    assert prompt.window.path_turns == 51


def test_a_long_turn_keeps_its_user_message_and_newest_rounds() -> None:
    """When the turn's own tool rounds overflow, its oldest rounds drop out, not its question."""
    messages = [_system("sys"), *_conversation(3)]
    messages.append(user_message("now", "research this"))
    for step in range(40):
        messages += _round(99, step, "result " * 30)
    prompt = rolling_history(_view(messages), window=2_000, tools=TOOLS)
    roles = [m.role for m in prompt.messages]
    assert roles[:2] == ["system", "user"] and prompt.messages[1].content == "research this"
    assert roles[2:4] == ["assistant", "tool"]
    assert prompt.messages[-1].tool_call_id == "c99_39"  # the newest results are there
    _assert_no_split_round(prompt.messages[2:])
    assert prompt.window.turns == 1


def test_a_message_too_large_for_the_window_is_refused_with_its_sizes() -> None:
    """User message + reply reserve + tools over the window: a ContractError naming each."""
    messages = [*_conversation(2), user_message("big", "x" * 12_000)]
    with pytest.raises(PromptTooLargeError) as info:
        rolling_history(_view(messages), window=4_096, tools=TOOLS)
    err = info.value
    assert isinstance(err, ContractError)  # non-retryable, like every ContractError
    assert err.window == 4_096
    big = ChatMessage(role="user", content="x" * 12_000)
    assert err.parts["user message"] == message_tokens(big)
    assert err.parts["reply reserve"] == 1_024
    assert "context window is 4,096" in str(err) and "user message 4,008" in str(err)


def test_a_tool_round_too_large_for_the_window_is_refused() -> None:
    """The model cannot answer without the results it asked for, so they are never dropped."""
    messages = [user_message("u", "go"), *_round(0, 0, "r" * 20_000)]
    with pytest.raises(PromptTooLargeError, match="newest tool round"):
        rolling_history(_view(messages), window=4_096, tools=TOOLS)


class _CountingView(ChatView):
    """Counts the messages the window looks at."""

    looked = 0

    def role(self, index: int) -> str:
        self.looked += 1
        return super().role(index)


def test_building_a_prompt_looks_only_at_the_messages_it_keeps() -> None:
    """Per-call work is bounded by the window, not the conversation."""
    for turns in (100, 2_000):
        view = _CountingView()
        view.update(_conversation(turns))
        prompt = rolling_history(view, window=4_096, tools=TOOLS)
        assert view.looked <= prompt.window.messages + 2


def test_the_estimate_covers_the_wire_form_at_four_characters_a_token() -> None:
    """Each message's estimate is at least its OpenAI JSON at chars/4 (the common rule)."""
    samples = [
        ChatMessage(role="user", content="The quick brown fox jumps over the lazy dog."),
        ChatMessage(role="user", content=""),
        ChatMessage(role="assistant", content="def f(x):\n    return {'a': [x, x * 2]}\n"),
        ChatMessage(role="tool", content='{"hits": [1, 2, 3]}', tool_call_id="call_abc123"),
        ChatMessage(
            role="assistant",
            tool_calls=[ToolCallRequest(id="call_1", name="python", args={"code": "print(1)"})],
        ),
    ]
    for message in samples:
        wire = json.dumps(_chat_message(message), ensure_ascii=False)
        assert message_tokens(message) >= len(wire) / 4, message


def test_the_estimate_counts_non_latin_text_by_its_bytes() -> None:
    """A CJK character is 3 bytes and often a token or more: at least one token each."""
    text = "今天天气很好我们去公园散步吧"
    assert text_tokens(text) >= len(text)
    assert text_tokens("abcdef") == 2 and text_tokens("abcdefg") == 3  # ceil(chars / 3)


def test_the_window_comes_from_the_policy_then_the_model_table_then_the_fallback() -> None:
    """An explicit max_context_tokens wins; dated model names match their family."""
    assert context_window(TurnPolicy(model="gpt-4o", max_context_tokens=4_096)) == 4_096
    assert context_window(TurnPolicy(model="gpt-4o-2024-08-06")) == 128_000
    assert context_window(TurnPolicy(model="gpt-4")) == 8_192
    assert context_window(TurnPolicy(model="gpt-4-32k-0613")) == 32_768
    assert context_window(TurnPolicy(model="my-local-model")) == FALLBACK_WINDOW
    assert context_window(TurnPolicy(model="gpt-4", max_context_tokens=0)) == 8_192
    assert reply_reserve(4_096) == 1_024 and reply_reserve(200_000) == 4_096
