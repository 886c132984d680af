"""The shape of a tool: a name, a JSON schema and an async ``run`` giving a ``ToolOutput``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from activities.contract import ChildResult

FailureClass = str
"""One of spec §5's classes: invalid_request, unavailable, execution, internal, ..."""


@dataclass(frozen=True)
class ToolContext:
    """Where a call happens; ``child_result`` is set when a sub-agent already answered it."""

    session_id: str
    turn_id: str
    turn_index: int
    step: int
    call_id: str
    subagent_depth: int = 0
    child_result: ChildResult | None = None


@dataclass(frozen=True)
class ToolOutput:
    """A tool's result: a JSON value and model-visible text, a failure, or a pending child."""

    value: Any = None
    text: str = ""
    failure_class: FailureClass | None = None
    spawn_task: str | None = None
    """Set by ``spawn_agent`` when the call waits for a child session to answer."""

    @classmethod
    def failed(cls, failure_class: FailureClass, message: str) -> ToolOutput:
        return cls(text=message, failure_class=failure_class)

    @property
    def pending(self) -> bool:
        return self.spawn_task is not None


class Tool(Protocol):
    """A built-in tool; instances are per session so they may hold session state."""

    name: str
    description: str
    parameters: dict[str, Any]

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        """Run one call; expected failures come back as ``ToolOutput.failed``, not exceptions."""
        ...


def string_parameter(name: str) -> dict[str, Any]:
    """The JSON schema of a tool that takes one required string argument, ``name``."""
    return {
        "type": "object",
        "properties": {name: {"type": "string"}},
        "required": [name],
    }
