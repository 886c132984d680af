"""``rolling_history`` (spec §2, lash's default standard context approach): the prompt is the
newest part of the active path that fits the model's context window.

The graph keeps everything; only what one model call is sent is trimmed. The rules:

- room: the window (``max_context_tokens``, else the model table, else ``FALLBACK_WINDOW``) less
  the offered tools' JSON and a reply reserve (a quarter of the window, at most
  ``MAX_REPLY_RESERVE``): endpoints count the reply inside the window and we do not cap it;
- always sent: the system prompt (leading system messages), the turn's user message and, when
  the turn has already run tools, its newest tool round (the results the model is answering).
  If those alone do not fit, the turn fails before any model call with ``PromptTooLargeError``,
  naming the sizes (retrying cannot shrink them);
- then whole blocks, newest first, while they fit: a block is one chat message, except that an
  assistant message with tool calls and the tool messages holding its results are one block, so
  a call is never sent without its results nor a result without its call. The first block that
  does not fit ends the walk, so the history sent is contiguous. If the current turn's own tool
  rounds overflow, the oldest of them drop out between the user message and the newest rounds.

Cost: ``ChatView`` converts and estimates each message once and keeps prefix sums, so a call
finds where the window starts by bisection and then copies the messages it keeps: O(window),
not O(conversation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from activities.agent._messages import ChatView
from activities.agent._tokens import tools_tokens
from activities.agent.providers import ChatMessage, ToolSpec
from activities.contract import PromptWindow
from checkpoint.errors import ContractError, PromptTooLargeError

MODEL_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4-32k", 32_768),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-5", 400_000),
    ("o1-mini", 128_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4-mini", 200_000),
    ("claude-", 200_000),
)
"""Context windows of well-known models, matched by the longest prefix of the model name (so
dated snapshots like ``gpt-4o-2024-08-06`` match)."""

FALLBACK_WINDOW = 32_768
"""Window of a model neither the policy nor the table knows. Small enough for nearly every
hosted model in use (a too-large guess fails with the endpoint's HTTP 400), large enough for
the longest user message a turn accepts (32,000 characters). Local models with smaller windows
need ``max_context_tokens`` in the policy."""

MAX_REPLY_RESERVE = 4_096
"""Most tokens kept free for the reply (a quarter of the window below 16,384)."""


class WindowPolicy(Protocol):
    """What sizes the window: a ``TurnPolicy`` or the loop's ``TurnContext``."""

    @property
    def model(self) -> str: ...

    @property
    def max_context_tokens(self) -> int | None: ...


def context_window(policy: WindowPolicy) -> int:
    """The policy's ``max_context_tokens`` when set (above 0), else the table, else the
    fallback."""
    if policy.max_context_tokens is not None and policy.max_context_tokens > 0:
        return policy.max_context_tokens
    model = policy.model.lower()
    known = [(len(prefix), size) for prefix, size in MODEL_WINDOWS if model.startswith(prefix)]
    return max(known)[1] if known else FALLBACK_WINDOW


def reply_reserve(window: int) -> int:
    return min(window // 4, MAX_REPLY_RESERVE)


@dataclass(frozen=True)
class Prompt:
    """What one model call is sent, and how much of the path that is."""

    messages: list[ChatMessage]
    chars: int
    tools: Sequence[ToolSpec]
    window: PromptWindow


def _block_start(view: ChatView, index: int, floor: int) -> int:
    """First message of the block ending at ``index``: back over tool results to their call."""
    while index > floor and view.role(index) == "tool":
        index -= 1
    return index


def _extend(view: ChatView, start: int, floor: int, need: int, budget: int) -> tuple[int, int]:
    """Move ``start`` back over whole blocks (not below ``floor``) while they fit ``budget``:
    to the earliest message the budget reaches, then forward past results whose call is left
    out, to the start of the first whole block."""
    first = view.earliest(start, floor, budget - need)
    while first < start and view.role(first) == "tool":
        first += 1
    return first, need + view.tokens(first, start)


def rolling_history(view: ChatView, *, window: int, tools: Sequence[ToolSpec]) -> Prompt:
    """The newest part of ``view`` that fits ``window`` (rules in the module docstring)."""
    n, system, user = len(view), view.system_end, view.last_user
    if user is None:
        raise ContractError("the conversation has no user message to answer")
    tool_tokens = tools_tokens(tools)
    budget = window - reply_reserve(window) - tool_tokens
    tail = _block_start(view, n - 1, user + 1) if n > user + 1 else n
    need = view.tokens(0, system) + view.tokens(user, user + 1) + view.tokens(tail, n)
    if need > budget:
        raise PromptTooLargeError(
            window,
            {
                "system prompt": view.tokens(0, system),
                "user message": view.tokens(user, user + 1),
                "newest tool round": view.tokens(tail, n),
                "tool specs": tool_tokens,
                "reply reserve": reply_reserve(window),
            },
        )
    start, need = _extend(view, tail, user + 1, need, budget)
    if start == user + 1:  # the whole turn fits: go on into earlier turns
        start, need = _extend(view, user, system, need, budget)
        kept = view.slice(start, n)
        turns = view.users(start, n)
        chars = view.chars_in(start, n)
    else:
        kept = view.slice(user, user + 1) + view.slice(start, n)
        turns = 1
        chars = view.chars_in(user, user + 1) + view.chars_in(start, n)
    messages = view.slice(0, system) + kept
    record = PromptWindow(
        window_tokens=window,
        prompt_tokens=need + tool_tokens,
        turns=turns,
        path_turns=view.users(0, n),
        messages=len(messages),
        path_messages=n,
    )
    chars += view.chars_in(0, system)
    return Prompt(messages=messages, chars=chars, tools=tools, window=record)


__all__ = [
    "FALLBACK_WINDOW",
    "MAX_REPLY_RESERVE",
    "MODEL_WINDOWS",
    "Prompt",
    "context_window",
    "reply_reserve",
    "rolling_history",
]
