"""A deterministic provider for trying ``chat`` without a key: it answers the message it got.

The scripted demo plays canned turns in a cycle, whatever the user writes ("hello" got "Your
sentence has 4 words."), which reads as broken in a conversation. ``echo`` replies to what was
said: it repeats the message with its word count, and when the message asks to count words it
calls the ``word_count`` tool and reports the tool's answer. The reply depends only on the
messages, so a retried call answers identically.
"""

from __future__ import annotations

import hashlib
import json
import re

from activities.agent.providers._base import (
    ChatMessage,
    ModelReply,
    ModelRequest,
    RawUsage,
    ToolCallRequest,
)

COUNT_ASK = re.compile(r"\b(count|how many words)\b", re.IGNORECASE)
QUOTED = re.compile(r"[\"“'\u2018](.+?)[\"”'\u2019](?:\W|$)")
WORDS = re.compile(r"(\d+) words?")
ECHO_CHARS = 200


class EchoProvider:
    """Answers each user message; counts words with the ``word_count`` tool when asked to."""

    kind = "echo"
    input_usage_excludes_cached_tokens = False

    async def complete(self, request: ModelRequest) -> ModelReply:
        messages = list(request.messages)
        last = messages[-1] if messages else ChatMessage(role="user")
        if last.role == "tool":
            text, calls = _report_count(messages), []
        else:
            said = _last_user_text(messages)
            if COUNT_ASK.search(said) and any(t.name == "word_count" for t in request.tools):
                seed = hashlib.sha256(request.turn_id.encode()).hexdigest()[:10]
                quoted = QUOTED.search(said)
                target = quoted.group(1) if quoted else said
                text = "Let me count those words."
                calls = [ToolCallRequest(id=f"call_{seed}_{request.step}_0", name="word_count",
                                         args={"text": target})]
            else:
                text, calls = f"You said “{_clip(said)}” ({_words(said)}).", []
        return ModelReply(text=text, tool_calls=calls, usage=_usage(request, text, calls))


def _last_user_text(messages: list[ChatMessage]) -> str:
    for message in reversed(messages):
        if message.role == "user":
            return " ".join(message.content.split())
    return ""


def _report_count(messages: list[ChatMessage]) -> str:
    """The tool's answer, with the text it counted (from the call before it)."""
    result = messages[-1].content
    counted = ""
    for message in reversed(messages[:-1]):
        if message.role == "assistant" and message.tool_calls:
            counted = str(message.tool_calls[0].args.get("text", ""))
            break
    found = WORDS.search(result)
    if not found:
        return f"The word_count tool said: {_clip(result)}"
    n = int(found.group(1))
    return f"“{_clip(counted)}” has {n} word{'' if n == 1 else 's'} (counted by word_count)."


def _words(text: str) -> str:
    n = len(text.split())
    return f"{n} word{'' if n == 1 else 's'}"


def _clip(text: str) -> str:
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1] + "…"


def _usage(request: ModelRequest, text: str, calls: list[ToolCallRequest]) -> RawUsage:
    """About four characters a token, as the scripted provider estimates."""
    prompt = request.prompt_chars
    if prompt is None:
        prompt = sum(len(m.content) for m in request.messages)
    prompt += 16 * len(request.messages)
    out = len(text) + sum(len(c.name) + len(json.dumps(c.args)) for c in calls)
    return RawUsage(input_tokens=prompt // 4 + 8, output_tokens=out // 4 + 1)


__all__ = ["EchoProvider"]
