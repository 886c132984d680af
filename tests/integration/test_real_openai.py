"""The openai provider against a real OpenAI-compatible server, when one is named.

Runs only with LASH_TEST_OPENAI_BASE_URL (e.g. llama.cpp from /work/shared/tools/real-llm:
``start.sh medium PORT``); LASH_TEST_OPENAI_MODEL names the model (default: the server's first)
and LASH_TEST_OPENAI_API_KEY the key (default: any, which such servers accept).
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("openai")

from activities.agent.providers import (
    ChatMessage,
    FailureKind,
    ModelRequest,
    OpenAIProvider,
    ProviderCallError,
    ToolSpec,
)

BASE_URL = os.environ.get("LASH_TEST_OPENAI_BASE_URL", "")
pytestmark = pytest.mark.skipif(not BASE_URL, reason="set LASH_TEST_OPENAI_BASE_URL to run")
MODEL = os.environ.get("LASH_TEST_OPENAI_MODEL", "any")
WORD_COUNT = ToolSpec(
    name="word_count", description="Count the words of a text.",
    parameters={"type": "object", "properties": {"text": {"type": "string"}},
                "required": ["text"]},
)


def _provider() -> OpenAIProvider:
    return OpenAIProvider(api_key=os.environ.get("LASH_TEST_OPENAI_API_KEY", "sk-local"),
                          base_url=BASE_URL, timeout_s=120)


def _request(messages: list[ChatMessage], tools: list[ToolSpec] | None = None,
             model: str = MODEL) -> ModelRequest:
    return ModelRequest(session_id="real", turn_id="t", turn_index=1, step=len(messages),
                        model=model, messages=messages, tools=tools or [])


async def test_a_plain_answer_streams_with_usage() -> None:
    reply = await _provider().complete(_request([
        ChatMessage(role="user", content="What is the capital of France? One word."),
    ]))
    assert "paris" in reply.text.lower()
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0


async def test_a_tool_call_round_trip() -> None:
    """The model calls word_count; given the result as JSON, it answers with the number."""
    provider = _provider()
    ask = ChatMessage(role="user", content='Use the word_count tool to count the words in '
                      '"durable agents on temporal".')
    first = await provider.complete(_request([ask], [WORD_COUNT]))
    if not first.tool_calls:
        pytest.xfail(f"the model answered without calling the tool: {first.text!r}")
    call = first.tool_calls[0]
    assert call.name == "word_count" and "text" in call.args
    result = ChatMessage(role="tool", content='{"words": 4}', tool_call_id=call.id)
    second = await provider.complete(_request(
        [ask, ChatMessage(role="assistant", content=first.text, tool_calls=[call]), result],
        [WORD_COUNT]))
    assert "4" in second.text or "four" in second.text.lower()


async def test_a_wrong_path_is_a_permanent_one_line_error() -> None:
    """A base URL with a wrong path: 404 from the real server, not retried, one line."""
    provider = OpenAIProvider(api_key="sk-local", base_url=BASE_URL.rstrip("/") + "/nowhere")
    with pytest.raises(ProviderCallError) as info:
        await provider.complete(_request([ChatMessage(role="user", content="hi")]))
    assert info.value.kind is FailureKind.NOT_FOUND and not info.value.retryable
    assert "\n" not in str(info.value)
