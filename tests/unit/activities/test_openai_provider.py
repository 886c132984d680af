"""The openai provider through the real SDK against a local SSE endpoint: the request it sends,
the streamed reply it assembles, and the key kept out of every error and log."""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("openai")

from activities.agent.providers import (
    ChatMessage,
    ModelRequest,
    OpenAIProvider,
    ProviderError,
    ToolCallRequest,
    ToolSpec,
)
from tests.unit.activities._openai_fake import (
    FakeEndpoint,
    text_chunks,
    tool_call_chunks,
    usage_chunk,
)

CANARY = "sk-canary-7f3a9c1e-never-print-me"


def _request() -> ModelRequest:
    return ModelRequest(
        session_id="s",
        turn_id="t",
        turn_index=1,
        step=0,
        model="gpt-test",
        messages=[
            ChatMessage(role="user", content="count"),
            ChatMessage(
                role="assistant",
                tool_calls=[ToolCallRequest(id="c1", name="word_count", args={"text": "a b"})],
            ),
            ChatMessage(role="tool", content="2 words", tool_call_id="c1"),
        ],
        tools=[ToolSpec(name="word_count", description="count")],
    )


async def test_streamed_text_is_assembled_with_usage(endpoint: FakeEndpoint) -> None:
    """Text deltas join in order; the usage chunk gives input, cached and reasoning tokens."""
    endpoint.chunks = [*text_chunks("Hel", "lo, ", "world"), usage_chunk(30, 5, 10, 2)]
    reply = await OpenAIProvider(api_key=CANARY, base_url=endpoint.url).complete(_request())
    assert reply.text == "Hello, world"
    assert reply.tool_calls == []
    usage = reply.usage
    assert (usage.input_tokens, usage.output_tokens) == (30, 5)
    assert (usage.cached_input_tokens, usage.reasoning_tokens) == (10, 2)


async def test_tool_call_argument_deltas_are_joined(endpoint: FakeEndpoint) -> None:
    """Two tool calls streamed in fragments keyed by index come out whole, in index order."""
    endpoint.chunks = [
        *text_chunks("ok"),
        *tool_call_chunks(0, "c2", "python", '{"co', 'de": ', '"1"}'),
        *tool_call_chunks(1, "c3", "word_count", '{"text": "a b c"}'),
        usage_chunk(3, 4),
    ]
    reply = await OpenAIProvider(api_key=CANARY, base_url=endpoint.url).complete(_request())
    assert reply.text == "ok"
    assert reply.tool_calls == [
        ToolCallRequest(id="c2", name="python", args={"code": "1"}),
        ToolCallRequest(id="c3", name="word_count", args={"text": "a b c"}),
    ]


async def test_the_request_streams_and_carries_history_and_tools(endpoint: FakeEndpoint) -> None:
    """The body asks for a stream with usage; tool calls and results keep their ids."""
    endpoint.chunks = [*text_chunks("ok"), usage_chunk(1, 1)]
    await OpenAIProvider(api_key=CANARY, base_url=endpoint.url).complete(_request())
    sent = endpoint.seen[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == f"Bearer {CANARY}"
    body = sent["json"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"][1]["tool_calls"][0]["function"]["name"] == "word_count"
    assert body["messages"][2] == {"role": "tool", "content": "2 words", "tool_call_id": "c1"}
    assert body["tools"][0]["function"]["name"] == "word_count"


async def test_broken_tool_arguments_are_a_permanent_malformed_error(
    endpoint: FakeEndpoint,
) -> None:
    """Arguments that never become JSON: the same answer would come again, so no retry."""
    endpoint.chunks = [*tool_call_chunks(0, "c2", "python", '{"code": '), usage_chunk(1, 1)]
    with pytest.raises(ProviderError, match="malformed response") as info:
        await OpenAIProvider(api_key=CANARY, base_url=endpoint.url).complete(_request())
    assert not info.value.retryable


@pytest.mark.parametrize(("status", "retryable"), [(401, False), (400, False), (503, True)])
async def test_error_answers_never_carry_the_key(
    endpoint: FakeEndpoint, status: int, retryable: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """An endpoint that echoes the key in its error body: the error text has it redacted."""
    caplog.set_level(logging.DEBUG)
    endpoint.status = status
    endpoint.body = {"error": {"message": f"bad key {CANARY}"}}
    provider = OpenAIProvider(api_key=CANARY, base_url=endpoint.url)
    with pytest.raises(ProviderError) as info:
        await provider.complete(_request())
    assert info.value.retryable is retryable
    assert f"HTTP {status}" in str(info.value)
    assert CANARY not in str(info.value) and "<redacted>" in str(info.value)
    assert CANARY not in repr(provider)
    assert CANARY not in caplog.text


async def test_missing_key_is_a_non_retryable_error() -> None:
    """Without a configured key the provider refuses before any request."""
    with pytest.raises(ProviderError, match="no API key") as info:
        await OpenAIProvider(api_key=None, base_url="http://127.0.0.1:9/v1").complete(_request())
    assert not info.value.retryable


async def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker without the ``openai`` package fails the turn at once, saying what to install."""
    import sys

    monkeypatch.setitem(sys.modules, "openai", None)  # makes `import openai` raise ImportError
    with pytest.raises(ProviderError, match=r"lash-temporal\[openai\]") as info:
        await OpenAIProvider(api_key=CANARY, base_url="http://127.0.0.1:9/v1").complete(
            _request())
    assert not info.value.retryable
    assert "\n" not in str(info.value)


def test_a_base_url_without_scheme_is_refused() -> None:
    """``OPENAI_BASE_URL=localhost:8080/v1`` fails when the worker builds the provider."""
    with pytest.raises(ProviderError, match="must start with http") as info:
        OpenAIProvider(api_key=CANARY, base_url="localhost:8080/v1")
    assert not info.value.retryable
