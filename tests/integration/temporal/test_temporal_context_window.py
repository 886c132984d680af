"""400 turns against an OpenAI-compatible endpoint with a 4,096-token window: every prompt fits.

The fake endpoint counts tokens its own way (request body characters / 4, tools included) and
answers HTTP 400, which the provider does not retry, when a prompt exceeds the window or breaks
a tool round apart, as real endpoints do. So the session completes only if rolling_history
trims every prompt right, while the graph keeps all 400 turns.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from temporal_harness import TEST_KEY
from temporalio.client import Client
from temporalio.worker import Worker

from activities.agent.providers import OpenAIProvider, ProviderRegistry
from activities.contract import TurnPolicy
from checkpoint.store import CheckpointStore, load_persisted_session_state
from workflows.host import client as lash
from workflows.host.cli._config import Target
from workflows.host.cli._last_turn import last_turn_outcome
from workflows.host.cli._show import gather, render_text
from workflows.host.worker import build_worker

WINDOW = 4_096
TURNS = 400
ANSWER = "Noted. " + "Here is a considered reply that takes some room in the window. " * 4


def _problem(messages: list[dict[str, Any]]) -> str | None:
    """What a strict endpoint refuses: a result without its call, or a call without results."""
    open_calls: set[str] = set()
    for message in messages:
        if message["role"] == "tool":
            if message.get("tool_call_id") not in open_calls:
                return "tool message without a preceding tool call"
            open_calls.discard(message["tool_call_id"])
        elif open_calls:
            return "tool call without its results"
        else:
            open_calls = {c["id"] for c in message.get("tool_calls") or []}
    return "tool call without its results" if open_calls else None


class _WindowedEndpoint:
    """Chat Completions on 127.0.0.1: a word_count call every fifth turn, else prose."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.refusals: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                status, body = endpoint.answer(raw)
                streamed = status == 200 and json.loads(raw).get("stream")
                data = _as_stream(body) if streamed else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type",
                                 "text/event-stream" if streamed else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def answer(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        tokens = math.ceil(len(raw) / 4)
        self.sizes.append(tokens)
        messages = json.loads(raw)["messages"]
        problem = _problem(messages)
        if tokens > WINDOW or problem:
            reason = problem or f"prompt of {tokens} tokens exceeds the {WINDOW}-token window"
            self.refusals.append(reason)
            return 400, {"error": {"message": reason, "type": "invalid_request_error"}}
        last = messages[-1]
        message: dict[str, Any] = {"role": "assistant", "content": ANSWER}
        if last["role"] == "user" and "[count]" in last["content"]:
            args = json.dumps({"text": last["content"]})
            call = {"id": f"call_{len(self.sizes)}", "type": "function",
                    "function": {"name": "word_count", "arguments": args}}
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
        usage = {"prompt_tokens": tokens, "completion_tokens": 40}
        return 200, {"choices": [{"message": message}], "usage": usage}


def _as_stream(body: dict[str, Any]) -> bytes:
    """A completion as Server-Sent Events, as the API streams it: the message as one delta
    (tool calls with their index), then the usage, then ``[DONE]``."""
    message = dict(body["choices"][0]["message"])
    message.pop("role", None)
    calls = message.get("tool_calls")
    if calls:
        message["tool_calls"] = [{**c, "index": i} for i, c in enumerate(calls)]
    finish = "tool_calls" if calls else "stop"
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", **message},
                      "finish_reason": finish}]},
        {"choices": [], "usage": body["usage"]},
    ]
    base = {"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": "fake"}
    events = [f"data: {json.dumps({**base, **chunk})}\n\n" for chunk in chunks]
    return ("".join(events) + "data: [DONE]\n\n").encode()


@pytest.fixture
def endpoint() -> Iterator[_WindowedEndpoint]:
    fake = _WindowedEndpoint()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
async def openai_worker(
    client: Client, store: CheckpointStore, task_queue: str, endpoint: _WindowedEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Worker]:
    """The worker's openai provider, configured from the environment, aimed at the fake."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{endpoint.server.server_port}/v1")
    providers = ProviderRegistry({"openai": OpenAIProvider.from_env})
    w = build_worker(
        client, store, task_queue=task_queue, providers=providers, execution_state_key=TEST_KEY
    )
    async with w:
        yield w


async def test_four_hundred_turns_fit_a_4096_token_window(
    client: Client, store: CheckpointStore, store_url: str, task_queue: str,
    endpoint: _WindowedEndpoint, openai_worker: Worker,
) -> None:
    """Every turn completes, no prompt the endpoint saw passed the window, the graph keeps all
    turns, and ``show`` says how many of them the last prompt held."""
    sid = f"window-{uuid.uuid4().hex[:8]}"
    policy = TurnPolicy(provider="openai", model="fake-4k", max_context_tokens=WINDOW)
    started = time.monotonic()
    for n in range(1, TURNS + 1):
        tag = " [count]" if n % 5 == 0 else ""
        text = f"message {n}{tag}: " + "please keep this in mind for later. " * 3
        outcome = await lash.send(client, sid, text, task_queue=task_queue, policy=policy)
        assert (outcome.status, outcome.turn_index) == ("completed", n)
    elapsed = time.monotonic() - started

    assert endpoint.refusals == []
    assert max(endpoint.sizes) <= WINDOW
    assert len(endpoint.sizes) == TURNS + TURNS // 5  # one more call in each tool turn
    run_id = (await lash.describe(client, sid)).run_id
    last = await last_turn_outcome(client, client.namespace, sid, run_id)
    prompt = last.prompt if last is not None else None
    assert prompt is not None and prompt.window_tokens == WINDOW
    assert prompt.path_turns == TURNS and 1 < prompt.turns < 40
    state = await load_persisted_session_state(store, sid)
    users = [m for m in state.session_graph.messages()
             if m.role == "User" and m.parts[0].kind == "Text"]
    assert len(users) == TURNS  # only the prompt was trimmed

    target = Target(client.service_client.config.target_host, client.namespace, task_queue,
                    store_url, True)
    shown = render_text(await gather(target, sid))
    assert f"  prompt         last {prompt.turns} of 400 turns (window 4,096 tokens" in shown
    print(f"\n{TURNS} turns in {elapsed:.1f} s; largest prompt {max(endpoint.sizes)} tokens")
