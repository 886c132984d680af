"""A tool definition (name, description, argument model, options) and the guard every call runs.

Built-in and user-defined tools are bound to a session the same way (``ToolDefinition.bind``),
and every call goes through ``BoundTool.run``: the arguments are validated against the
definition's model before anything runs (``invalid_request``, naming the field); one attempt is
bounded by the timeout (``timeout``); an exception becomes a tool failure (``execution``) with
its message, so the turn and the worker go on; a timeout or an exception is retried up to
``retries`` times. A failure the tool returns itself (``ToolOutput.failed``) is not retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from activities.agent.tools._types import ToolContext, ToolOutput

if TYPE_CHECKING:
    from activities.agent.plugins import NotesPlugin
    from activities.agent.tools._python import PythonInterpreter

_log = logging.getLogger(__name__)

BUILTIN_SOURCE = "lash-temporal:builtin"
"""``ToolStateEntry.source_id`` of the built-in tools."""
WORKER_SOURCE = "lash-temporal:worker"
"""``ToolStateEntry.source_id`` of tools a worker was given by its operator."""
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What OpenAI-compatible endpoints accept as a function name."""


@dataclass(frozen=True)
class ToolOptions:
    """How a tool's calls run."""

    timeout: float | None = None
    """Seconds one attempt may take; past it the call fails with ``timeout``. A sync function
    keeps running in its thread (Python cannot stop a thread), and its result is dropped."""
    retries: int = 0
    """Further attempts after an exception or a timeout (never after invalid arguments)."""
    needs_approval: bool = False
    """A person must decide each call before it runs (the session's ``approve`` update); a
    session's policy can ask it of more tools (``TurnPolicy.approval_tools``)."""
    idempotent: bool = False
    """Running a call twice is harmless. An approved call cut off mid-run (its worker died) is
    then run again; otherwise it fails as a tool rather than risk doing its effect twice."""

    def __post_init__(self) -> None:
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"a tool timeout must be positive, not {self.timeout}")
        if self.retries < 0:
            raise ValueError(f"tool retries must be 0 or more, not {self.retries}")


@dataclass(frozen=True)
class SessionParts:
    """The session objects a built-in may hold: the code-mode interpreter and the notes plugin."""

    interpreter: PythonInterpreter
    notes: NotesPlugin


Handler = Callable[[BaseModel, ToolContext], Awaitable[Any]]
"""Runs one call with validated arguments; returns a ``ToolOutput`` or any JSON-able value."""


@dataclass(frozen=True)
class ToolDefinition:
    """One tool a worker offers. ``make`` gives a session its handler (a stateless tool ignores
    the session's parts; ``python`` and ``remember`` hold on to theirs)."""

    name: str
    description: str
    args: type[BaseModel]
    """Validates a call's arguments; the JSON schema the model sees is derived from it."""
    make: Callable[[SessionParts], Handler]
    options: ToolOptions = field(default_factory=ToolOptions)
    code_mode: bool = False
    """Code mode (``python``): in the default set only for the scripted and echo providers."""
    source_id: str = WORKER_SOURCE

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"tool name {self.name!r} must be 1-64 letters, digits, _ or -")
        if not self.description.strip():
            raise ValueError(f"tool {self.name!r} needs a description (a docstring will do)")

    @cached_property
    def parameters(self) -> dict[str, Any]:
        """The arguments' JSON schema, without pydantic's generated titles."""
        schema: dict[str, Any] = _untitled(self.args.model_json_schema())
        return schema

    def bind(self, parts: SessionParts) -> BoundTool:
        return BoundTool(self, self.make(parts))


class BoundTool:
    """A definition bound to one session: validation, timeout, retries and error capture."""

    def __init__(self, definition: ToolDefinition, handler: Handler) -> None:
        self.definition = definition
        self.name = definition.name
        self.description = definition.description
        self.parameters = definition.parameters
        self.source_id = definition.source_id
        self._handler = handler

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        try:
            valid = self.definition.args.model_validate(args)
        except ValidationError as exc:
            return ToolOutput.failed("invalid_request", invalid_arguments(self.name, exc))
        output = ToolOutput()
        for _attempt in range(1 + self.definition.options.retries):
            output, retry = await self._attempt(valid, ctx)
            if not retry:
                break
        return output

    async def _attempt(self, valid: BaseModel, ctx: ToolContext) -> tuple[ToolOutput, bool]:
        timeout = self.definition.options.timeout
        try:
            result = await asyncio.wait_for(self._handler(valid, ctx), timeout)
            return to_output(result), False
        except TimeoutError:
            message = f"{self.name} did not finish within {timeout:g} s"
            return ToolOutput.failed("timeout", message), True
        except Exception as exc:  # a tool's bug fails its call, never the turn
            _log.warning("tool %s raised %r", self.name, exc)
            message = f"{self.name} failed: {type(exc).__name__}: {exc}"
            return ToolOutput.failed("execution", message), True


def invalid_arguments(tool: str, exc: ValidationError) -> str:
    """One line naming each bad field and what is wrong with it."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        problems.append(f"`{where}`: {error['msg']}")
    return f"invalid arguments for {tool}: " + "; ".join(problems)


def to_output(result: Any) -> ToolOutput:
    """A function's return value as a tool result: text as is, anything else as JSON."""
    if isinstance(result, ToolOutput):
        return result
    if result is None:
        return ToolOutput(value=None, text="")
    if isinstance(result, str):
        return ToolOutput(value=result, text=result)
    value = to_jsonable_python(result)
    return ToolOutput(value=value, text=json.dumps(value, ensure_ascii=False))


def _untitled(node: Any) -> Any:
    """``node`` without ``title`` keys (a property that is *called* title stays)."""
    if isinstance(node, list):
        return [_untitled(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: _untitled(sub) for name, sub in value.items()}
        else:
            out[key] = _untitled(value)
    return out
