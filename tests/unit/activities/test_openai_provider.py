"""The openai provider against a local endpoint: request shape, parsing, and the key kept secret."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from activities.agent.providers import (
    ChatMessage,
    ModelRequest,
    OpenAIProvider,
    ProviderError,
    ToolCallRequest,
    ToolSpec,
)

CANARY = "sk-canary-7f3a9c1e-never-print-me"


class _Endpoint:
    """A stdlib HTTP server on 127.0.0.1 that answers with a fixed status and body."""

    def __init__(self) -> None:
        self.status = 200
        self.body: dict[str, Any] = {}
        self.seen: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                endpoint.seen.append(
                    {
                        "path": self.path,
                        "auth": self.headers["Authorization"],
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                data = json.dumps(endpoint.body).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[_Endpoint]:
    server = _Endpoint()
    yield server
    server.close()


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


async def test_reply_text_tool_calls_and_usage_are_parsed(endpoint: _Endpoint) -> None:
    """Chat Completions JSON becomes a ModelReply with usage incl. cached and reasoning tokens."""
    endpoint.body = {
        "choices": [
            {
                "message": {
                    "content": "ok",
                    "tool_calls": [
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "python", "arguments": '{"code": "1"}'},
                        }
                    ],
                }
            }
        ],
        "usage": {
            "prompt_tokens": 30,
            "completion_tokens": 5,
            "prompt_tokens_details": {"cached_tokens": 10},
            "completion_tokens_details": {"reasoning_tokens": 2},
        },
    }
    reply = await OpenAIProvider(api_key=CANARY, base_url=endpoint.url).complete(_request())
    assert reply.text == "ok"
    assert reply.tool_calls == [ToolCallRequest(id="c2", name="python", args={"code": "1"})]
    assert (reply.usage.input_tokens, reply.usage.cached_input_tokens) == (30, 10)
    assert reply.usage.reasoning_tokens == 2
    sent = endpoint.seen[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == f"Bearer {CANARY}"
    assert sent["json"]["messages"][1]["tool_calls"][0]["function"]["name"] == "word_count"
    assert sent["json"]["messages"][2] == {
        "role": "tool",
        "content": "2 words",
        "tool_call_id": "c1",
    }


@pytest.mark.parametrize(("status", "retryable"), [(401, False), (400, False), (503, True)])
async def test_error_answers_never_carry_the_key(
    endpoint: _Endpoint, status: int, retryable: bool, caplog: pytest.LogCaptureFixture
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


async def test_unreachable_endpoint_is_retryable_and_redacted() -> None:
    """A refused connection is a retryable ProviderError without the key."""
    provider = OpenAIProvider(api_key=CANARY, base_url="http://127.0.0.1:9/v1", timeout_s=2)
    with pytest.raises(ProviderError) as info:
        await provider.complete(_request())
    assert info.value.retryable and CANARY not in str(info.value)


async def test_missing_key_is_a_non_retryable_error() -> None:
    """Without a configured key the provider refuses before any request."""
    with pytest.raises(ProviderError, match="no API key") as info:
        await OpenAIProvider(api_key=None, base_url="http://127.0.0.1:9/v1").complete(_request())
    assert not info.value.retryable
