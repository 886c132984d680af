"""Chat Completions against any OpenAI-compatible endpoint, with the stdlib only.

The key is read from the environment when the worker builds the provider and lives only in this
object: it is never part of a request model, a log line, an error message or the store. Every
error text passes through ``_redact`` before it leaves, in case an endpoint echoes the header.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from typing import Any

from activities.agent.providers._base import (
    ChatMessage,
    ModelReply,
    ModelRequest,
    RawUsage,
    ToolCallRequest,
)
from checkpoint.errors import ProviderError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class OpenAIProvider:
    """One OpenAI-compatible endpoint; ``api_key`` never leaves this object."""

    kind = "openai"
    input_usage_excludes_cached_tokens = False

    def __init__(
        self, *, api_key: str | None, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 120.0
    ) -> None:
        self.__key = api_key or ""
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    @classmethod
    def from_env(cls, key_env: str = "OPENAI_API_KEY") -> OpenAIProvider:
        """Key from ``key_env`` (default OPENAI_API_KEY), endpoint from OPENAI_BASE_URL."""
        return cls(
            api_key=os.environ.get(key_env),
            base_url=os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
        )

    def __repr__(self) -> str:
        return f"OpenAIProvider(base_url={self.base_url!r}, api_key=<redacted>)"

    async def complete(self, request: ModelRequest) -> ModelReply:
        body = _request_body(request)
        data = await asyncio.to_thread(self._post, body)
        return _parse_reply(data)

    def _redact(self, text: str) -> str:
        return text.replace(self.__key, "<redacted>") if self.__key else text

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        if not self.__key:
            raise ProviderError(self.kind, "no API key configured on this worker", retryable=False)
        http = urllib.request.Request(
            f"{self.base_url}/chat/completions",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.__key}",
            },
        )
        try:
            with urllib.request.urlopen(http, timeout=self.timeout_s) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            detail = self._redact(exc.read(2000).decode("utf-8", "replace"))
            raise ProviderError(
                self.kind,
                f"HTTP {exc.code} from {self.base_url}: {detail}",
                retryable=exc.code in _RETRYABLE_STATUS,
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = self._redact(str(getattr(exc, "reason", exc)))
            raise ProviderError(
                self.kind, f"request to {self.base_url} failed: {reason}", retryable=True
            ) from None


def _chat_message(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["content"] = message.content or None  # some endpoints refuse "" beside tool calls
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.args, sort_keys=True)},
            }
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def _request_body(request: ModelRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_chat_message(m) for m in request.messages],
    }
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in request.tools
        ]
    return body


def _parse_reply(data: dict[str, Any]) -> ModelReply:
    try:
        message = data["choices"][0]["message"]
        calls = []
        for raw in message.get("tool_calls") or []:
            args = json.loads(raw["function"].get("arguments") or "{}")
            calls.append(
                ToolCallRequest(
                    id=raw["id"],
                    name=raw["function"]["name"],
                    args=args if isinstance(args, dict) else {"value": args},
                )
            )
        usage = data.get("usage") or {}
        prompt_details = usage.get("prompt_tokens_details") or {}
        completion_details = usage.get("completion_tokens_details") or {}
        return ModelReply(
            text=message.get("content") or "",
            tool_calls=calls,
            usage=RawUsage(
                input_tokens=int(usage.get("prompt_tokens") or 0),
                output_tokens=int(usage.get("completion_tokens") or 0),
                cached_input_tokens=int(prompt_details.get("cached_tokens") or 0),
                reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
            ),
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ProviderError("openai", f"malformed response: {exc!r}", retryable=False) from None
