"""A Chat Completions endpoint on 127.0.0.1 for the openai provider's tests.

It speaks what the SDK reads: an error status with a JSON body, or ``text/event-stream`` chunks
ending in ``data: [DONE]``. Requests are recorded (path, auth header, JSON body).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def text_chunks(*pieces: str) -> list[dict[str, Any]]:
    """Stream chunks carrying ``pieces`` of answer text, one each."""
    return [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]


def usage_chunk(prompt: int, completion: int, cached: int = 0, reasoning: int = 0
                ) -> dict[str, Any]:
    """The last chunk of an ``include_usage`` stream: no choices, the usage."""
    return {"choices": [], "usage": {
        "prompt_tokens": prompt, "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }}


def tool_call_chunks(index: int, call_id: str, name: str, *argument_pieces: str
                     ) -> list[dict[str, Any]]:
    """A tool call as servers stream it: id and name first, then argument fragments."""
    first = {"index": index, "id": call_id, "type": "function",
             "function": {"name": name, "arguments": ""}}
    rest = [{"index": index, "function": {"arguments": a}} for a in argument_pieces]
    return [{"choices": [{"index": 0, "delta": {"tool_calls": [piece]}}]}
            for piece in [first, *rest]]


class FakeEndpoint:
    """Answers every POST with ``status`` and ``body`` (JSON), or with ``chunks`` as SSE."""

    def __init__(self) -> None:
        self.status = 200
        self.body: dict[str, Any] = {}
        self.chunks: list[dict[str, Any]] = []
        self.seen: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                endpoint.seen.append({
                    "path": self.path, "auth": self.headers["Authorization"],
                    "json": json.loads(self.rfile.read(length)),
                })
                if endpoint.status != 200:
                    self._send(endpoint.status, "application/json",
                               json.dumps(endpoint.body).encode())
                    return
                events = [
                    {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
                     "model": "gpt-test", **chunk}
                    for chunk in endpoint.chunks
                ]
                data = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
                self._send(200, "text/event-stream", (data + "data: [DONE]\n\n").encode())

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
