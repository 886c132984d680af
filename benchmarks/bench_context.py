"""Whether building a prompt costs the window or the conversation (rolling_history).

Prints (not a test; figures are ratios within one run) the time to build one prompt for a
session of 100 turns and of 10,000 turns (4 messages a turn, one tool round each), with the
conversation already converted, as on a warm worker (``ChatView`` converts each message once):

- ``rolling_history`` at a 4,096- and a 128,000-token window: flat in the conversation's length
  when the window is full (ratio near 1), since only the kept blocks are walked and copied;
- for scale, copying the whole converted path (what every call did before the window).

Run: ``python -m benchmarks context`` (or ``python3 dev.py bench context``).
"""

from __future__ import annotations

from activities.agent._context_window import rolling_history
from activities.agent._messages import (
    ChatView,
    assistant_message,
    results_message,
    user_message,
)
from activities.agent.providers import ModelReply, ToolCallRequest, ToolSpec
from benchmarks.bench_model import best_of
from checkpoint.model import Message

TOOLS = [ToolSpec(name="search", description="Search the notes.")]
CALLS = 200
"""Prompts built per timing, so each figure is well above the clock's resolution."""


def conversation(turns: int) -> list[Message]:
    """``turns`` turns: a question, a tool call, its result, an answer."""
    messages: list[Message] = []
    for turn in range(turns):
        call = ToolCallRequest(id=f"call_{turn}", name="search", args={"query": "lash"})
        messages += [
            user_message(f"u{turn}", f"question {turn}: " + "what next? " * 18),
            assistant_message(f"a{turn}", ModelReply(tool_calls=[call])),
            results_message(f"r{turn}", [call], ["result " * 30]),
            assistant_message(f"f{turn}", ModelReply(text="answer " * 25)),
        ]
    return messages


def prompt_cost(view: ChatView, window: int) -> float:
    """Seconds per prompt built from an already converted view."""
    return best_of(
        lambda: [rolling_history(view, window=window, tools=TOOLS) for _ in range(CALLS)]
    ) / CALLS


def copy_cost(view: ChatView, messages: list[Message]) -> float:
    """Seconds per copy of the whole converted path (the pre-window prompt)."""
    return best_of(lambda: [view.sync(messages) for _ in range(CALLS)]) / CALLS


def main() -> None:
    views: dict[int, tuple[ChatView, list[Message]]] = {}
    for turns in (100, 10_000):
        messages = conversation(turns)
        view = ChatView()
        view.update(messages)
        views[turns] = (view, messages)
    print(f"one prompt, conversation already converted (best of 5 x {CALLS} calls):")
    for label, cost in (
        ("rolling_history, 4,096-token window", lambda v, m: prompt_cost(v, 4_096)),
        ("rolling_history, 128,000-token window", lambda v, m: prompt_cost(v, 128_000)),
        ("whole path copied (before the window)", copy_cost),
    ):
        small, large = (cost(*views[turns]) for turns in (100, 10_000))
        print(
            f"  {label:<40} 100 turns {small * 1e6:8.1f} us   10,000 turns "
            f"{large * 1e6:8.1f} us   ratio {large / small:6.2f}x"
        )
    kept = rolling_history(views[10_000][0], window=4_096, tools=TOOLS).window
    print(f"  (4,096 tokens hold the last {kept.turns} of {kept.path_turns:,} turns)")


if __name__ == "__main__":
    main()
