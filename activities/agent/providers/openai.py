"""Chat Completions against any OpenAI-compatible endpoint, through the official ``openai`` SDK.

The SDK is an optional extra (``pip install 'lash-temporal[openai]'``): a worker that only
plays scripts does not need it, and one that lacks it fails its first openai turn with one line
that names the extra. Replies are streamed (``include_usage``) and read as they arrive, so a
long answer never meets a read timeout; the timeout bounds the wait for the next chunk.

The key is read from the environment when the worker builds the provider and lives only in this
object: never in a request model, a log line, an error message or the store. Failures are
classified by ``_failures`` into one-line ``ProviderCallError``s that say whether a retry helps;
the SDK's own retries are off, so Temporal's retry policy is the only one and every attempt shows.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from activities.agent.providers._base import ChatMessage, ModelReply, ModelRequest
from activities.agent.providers._failures import (
    FailureKind,
    ProviderCallError,
    classify,
    one_line,
    public_url,
)
from activities.agent.providers._stream import StreamAssembler
from checkpoint.errors import ProviderError

_log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.openai.com/v1"
CONNECT_TIMEOUT_S = 10.0
MISSING_SDK = (
    "the openai provider needs the `openai` package on this worker: "
    "pip install 'lash-temporal[openai]'"
)


class OpenAIProvider:
    """One OpenAI-compatible endpoint; ``api_key`` never leaves this object.

    ``timeout_s`` bounds each wait for data (the next streamed chunk), not the whole answer.
    """

    kind = "openai"
    input_usage_excludes_cached_tokens = False

    def __init__(
        self, *, api_key: str | None, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 120.0
    ) -> None:
        self.__key = api_key or ""
        self.base_url = base_url.rstrip("/")
        self.url = public_url(self.base_url)
        self.timeout_s = timeout_s
        self._client: Any = None
        if not self.base_url.startswith(("http://", "https://")):
            raise ProviderError(
                self.kind, f"base URL {self.url!r} must start with http:// or https://",
                retryable=False,
            )

    @classmethod
    def from_env(cls, key_env: str = "OPENAI_API_KEY") -> OpenAIProvider:
        """Key from ``key_env`` (default OPENAI_API_KEY), endpoint from OPENAI_BASE_URL."""
        return cls(
            api_key=os.environ.get(key_env),
            base_url=os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
        )

    def __repr__(self) -> str:
        return f"OpenAIProvider(base_url={self.url!r}, api_key=<redacted>)"

    async def complete(self, request: ModelRequest) -> ModelReply:
        if not self.__key:
            raise ProviderError(self.kind, "no API key configured on this worker", retryable=False)
        client = self._sdk_client()
        assembler = StreamAssembler()
        try:
            stream = await client.chat.completions.create(
                **_request_body(request), stream=True, stream_options={"include_usage": True}
            )
            async for chunk in stream:
                assembler.feed(chunk)
        except Exception as exc:
            failure = self._failure(exc, request)
            if failure is exc:
                raise
            # The SDK's chain (httpx, httpcore, socket) would ride along in Temporal's failure
            # and push it past the server's size limit ("Failure exceeds size limit."), which
            # hides the cause. The one line has what matters; DEBUG names the chain's types
            # only, since the SDK's messages may quote a key an endpoint echoed.
            _log.debug("model call failed: %s (raised as %s)", failure, _types(exc))
            raise failure from None
        try:
            return assembler.reply()
        except ValueError as exc:
            raise self._error(FailureKind.MALFORMED, request, detail=str(exc)) from None

    def _sdk_client(self) -> Any:
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise ProviderError(self.kind, MISSING_SDK, retryable=False) from None
            self._client = openai.AsyncOpenAI(
                api_key=self.__key,
                base_url=self.base_url,
                max_retries=0,  # Temporal retries, with backoff, visibly
                timeout=openai.Timeout(self.timeout_s, connect=min(CONNECT_TIMEOUT_S,
                                                                   self.timeout_s)),
            )
        return self._client

    def _failure(self, exc: Exception, request: ModelRequest) -> Exception:
        """The classified ProviderCallError for ``exc``; an unclassified one stays itself."""
        found = classify(exc)
        if found is None:
            import openai

            if not isinstance(exc, openai.APIError):
                return exc  # a bug, not a failed call: its traceback is what helps
            found = (FailureKind.SERVER, None)  # an error event in the middle of a stream
        kind, status = found
        detail = _detail(exc) if status is not None or kind is FailureKind.SERVER else ""
        return self._error(kind, request, status=status, detail=detail)

    def _error(
        self, kind: FailureKind, request: ModelRequest, *, status: int | None = None,
        detail: str = "",
    ) -> ProviderCallError:
        return ProviderCallError(
            self.kind, kind, self.url, status=status, detail=one_line(self._redact(detail)),
            session_id=request.session_id, turn_index=request.turn_index,
        )

    def _redact(self, text: str) -> str:
        return text.replace(self.__key, "<redacted>") if self.__key else text


def _types(exc: BaseException) -> str:
    """``APIConnectionError <- ConnectError <- ConnectionRefusedError``."""
    names: list[str] = []
    link: BaseException | None = exc
    while link is not None and len(names) < 8:
        names.append(type(link).__name__)
        link = link.__cause__ or link.__context__
    return " <- ".join(names)


def _detail(exc: Exception) -> str:
    """The server's own words: ``error.message`` of a JSON body, else the SDK's message."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)
    return str(getattr(exc, "message", "") or exc)


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
