"""What every model provider speaks: a neutral chat request in, one reply with usage out.

Providers never see the session model; the loop converts the read model's messages into
``ChatMessage`` values. A ``ModelReply`` is what the effect journal stores, so it is a pydantic
model whose JSON round-trips exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from checkpoint.errors import ContractError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _is_none(value: object) -> bool:
    return value is None


class ToolCallRequest(_Frozen):
    """One tool call as the model asked for it."""

    id: str
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    refusal: str | None = Field(default=None, exclude_if=_is_none)
    """Why the loop will not run this call (set by ``agent._poison`` when the model's arguments
    could not be stored, which are then ``{}``); journaled with the reply, so a replay agrees."""


class RawUsage(_Frozen):
    """Usage as the provider reported it, before normalisation (spec §6)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0


class ModelReply(_Frozen):
    """A completed model call: prose, tool calls and usage."""

    text: str = ""
    tool_calls: list[ToolCallRequest] = Field(default_factory=list)
    usage: RawUsage = Field(default_factory=RawUsage)


class ChatMessage(_Frozen):
    """One provider-neutral chat message."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCallRequest] = Field(default_factory=list)
    tool_call_id: str | None = None


class ToolSpec(_Frozen):
    """A tool offered to the model: name, description and JSON-schema parameters."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True)
class ModelRequest:
    """Everything a provider needs for one call; ``session_id``/``turn_id``/``step`` name it.

    A plain dataclass, not a model: it is never stored, and the conversation it carries grows
    with the session, so it is not re-validated on every call.
    """

    session_id: str
    turn_id: str
    turn_index: int
    step: int
    model: str
    messages: Sequence[ChatMessage]
    tools: Sequence[ToolSpec] = ()
    subagent_depth: int = 0
    prompt_chars: int | None = None
    """Characters of content in ``messages`` when the caller already knows (saves a pass)."""


class ModelProvider(Protocol):
    """A configured provider on one worker; credentials live inside it and nowhere else."""

    kind: str
    input_usage_excludes_cached_tokens: bool

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Run one model call; raise ProviderError on failure."""
        ...


ProviderFactory = Callable[[], ModelProvider]


class ProviderRegistry:
    """Provider kinds a worker can serve, each built lazily once from its factory."""

    def __init__(self, factories: Mapping[str, ProviderFactory]) -> None:
        self._factories = dict(factories)
        self._built: dict[str, ModelProvider] = {}

    @classmethod
    def of(cls, *providers: ModelProvider) -> ProviderRegistry:
        """A registry of ready-made providers, keyed by their ``kind``."""
        return cls({p.kind: (lambda p=p: p) for p in providers})  # type: ignore[misc]

    @property
    def kinds(self) -> list[str]:
        return sorted(self._factories)

    def get(self, kind: str) -> ModelProvider:
        """The provider for ``kind``; an unknown kind is a ContractError (retrying cannot help)."""
        if kind not in self._built:
            factory = self._factories.get(kind)
            if factory is None:
                served = ", ".join(self.kinds) or "none"
                raise ContractError(f"unknown provider {kind!r}; this worker serves {served}")
            self._built[kind] = factory()
        return self._built[kind]
