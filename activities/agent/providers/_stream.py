"""Assemble a streamed Chat Completion (text deltas, tool-call deltas, usage) into a ModelReply.

Chunks are read by attribute, so the SDK's typed chunks and plain namespaces both work. A tool
call arrives in pieces keyed by ``index``: the first piece has its id and name, later pieces
append to its arguments. Usage comes in a last chunk without choices (``include_usage``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from activities.agent.providers._base import ModelReply, RawUsage, ToolCallRequest


@dataclass
class _Call:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class StreamAssembler:
    """Feed chunks as they arrive; ``reply()`` once the stream ended."""

    text: list[str] = field(default_factory=list)
    calls: dict[int, _Call] = field(default_factory=dict)
    usage: RawUsage = field(default_factory=RawUsage)
    chunks: int = 0

    def feed(self, chunk: Any) -> None:
        self.chunks += 1
        if (usage := getattr(chunk, "usage", None)) is not None:
            self.usage = _usage(usage)
        for choice in getattr(chunk, "choices", None) or []:
            if getattr(choice, "index", 0) != 0:
                continue
            delta = getattr(choice, "delta", None)
            if delta is None:
                continue
            if content := getattr(delta, "content", None):
                self.text.append(content)
            for piece in getattr(delta, "tool_calls", None) or []:
                index = getattr(piece, "index", None)
                call = self.calls.setdefault(len(self.calls) if index is None else index, _Call())
                call.id = getattr(piece, "id", None) or call.id
                function = getattr(piece, "function", None)
                if function is not None:
                    call.name = getattr(function, "name", None) or call.name
                    if arguments := getattr(function, "arguments", None):
                        call.arguments.append(arguments)

    def reply(self) -> ModelReply:
        """The assembled reply; ValueError if a tool call's arguments are not JSON."""
        calls = []
        for index in sorted(self.calls):
            call = self.calls[index]
            if not call.name:
                raise ValueError(f"tool call {index} has no name")
            args = json.loads("".join(call.arguments) or "{}")
            calls.append(ToolCallRequest(
                id=call.id or f"call_{index}", name=call.name,
                args=args if isinstance(args, dict) else {"value": args},
            ))
        return ModelReply(text="".join(self.text), tool_calls=calls, usage=self.usage)


def _usage(usage: Any) -> RawUsage:
    prompt = getattr(usage, "prompt_tokens_details", None)
    completion = getattr(usage, "completion_tokens_details", None)
    return RawUsage(
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cached_input_tokens=int(getattr(prompt, "cached_tokens", 0) or 0),
        reasoning_tokens=int(getattr(completion, "reasoning_tokens", 0) or 0),
    )


__all__ = ["StreamAssembler"]
