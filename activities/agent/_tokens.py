"""A token estimate without a tokenizer: what the context window is measured in.

Each provider tokenizes differently and a tokenizer per model would be a heavy dependency that is
still wrong for any model it does not know. So the window is fitted with an estimate that errs
high for ordinary input:

- text: ``ceil(utf8_bytes / 3)``. English prose runs about 4 characters a token and code or JSON
  about 3; counting UTF-8 bytes, not characters, keeps non-Latin scripts (2-4 bytes a character,
  often one token or more each) from being undercounted by the same rule;
- ``MESSAGE_OVERHEAD_TOKENS`` per message for the role and separators of the chat format
  (OpenAI's own counting recipe uses 3-4), ``TOOL_CALL_OVERHEAD_TOKENS`` per tool call for its
  id, name and framing, ``RESULT_OVERHEAD_TOKENS`` per tool result for the call id it names.
  Together they cover the JSON wire form at four characters a token, which is what a proxy or
  gateway that counts by characters would see;
- the offered tools' JSON, once per request.

It is an estimate, not a bound (random digits or base64 can run 2 bytes a token); the reply
reserve of the window (see ``_context_window``) absorbs a miss of that size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from activities.agent.providers import ChatMessage, ToolSpec

BYTES_PER_TOKEN = 3
MESSAGE_OVERHEAD_TOKENS = 8
TOOL_CALL_OVERHEAD_TOKENS = 24
RESULT_OVERHEAD_TOKENS = 6


def text_tokens(text: str) -> int:
    """``ceil(utf8_bytes / 3)``; ASCII text skips the encode (its bytes are its characters)."""
    size = len(text) if text.isascii() else len(text.encode("utf-8"))
    return -(-size // BYTES_PER_TOKEN)


def message_tokens(message: ChatMessage) -> int:
    """One chat message: overhead, content, tool calls (arguments as JSON) and result id."""
    tokens = MESSAGE_OVERHEAD_TOKENS + text_tokens(message.content)
    for call in message.tool_calls:
        args = json.dumps(call.args, sort_keys=True)
        tokens += TOOL_CALL_OVERHEAD_TOKENS + text_tokens(call.id + call.name + args)
    if message.tool_call_id is not None:
        tokens += RESULT_OVERHEAD_TOKENS + text_tokens(message.tool_call_id)
    return tokens


def tools_tokens(specs: Sequence[ToolSpec]) -> int:
    """The offered tools, as the JSON a provider sends them in (0 when none are offered)."""
    if not specs:
        return 0
    return text_tokens(json.dumps([spec.model_dump(mode="json") for spec in specs]))


__all__ = [
    "BYTES_PER_TOKEN",
    "MESSAGE_OVERHEAD_TOKENS",
    "RESULT_OVERHEAD_TOKENS",
    "TOOL_CALL_OVERHEAD_TOKENS",
    "message_tokens",
    "text_tokens",
    "tools_tokens",
]
