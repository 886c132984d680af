"""Tools from Python functions: the argument model and schema come from the signature.

A function (sync or async) takes either one pydantic model, whose schema is the tool's, or
annotated arguments, from which a model is made (``create_model``; ``Annotated[str,
Field(description=...)]`` describes an argument; extra arguments are refused). A parameter
annotated ``ToolContext`` is not an argument: it receives the call's context. The docstring is
the description unless one is given. A sync function runs in a thread, so it cannot stall the
worker's event loop (or the turn's heartbeats).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, create_model

from activities.agent.tools._definition import (
    WORKER_SOURCE,
    Handler,
    SessionParts,
    ToolDefinition,
    ToolOptions,
)
from activities.agent.tools._types import Tool, ToolContext

ToolFunction = Callable[..., Any]


def function_tool(
    fn: ToolFunction,
    *,
    name: str | None = None,
    description: str | None = None,
    options: ToolOptions | None = None,
    source_id: str = WORKER_SOURCE,
) -> ToolDefinition:
    """A definition that calls ``fn`` with validated arguments; TypeError if the signature
    cannot be described by a schema."""
    tool_name = name or fn.__name__
    hints = get_type_hints(fn, include_extras=True)
    context_param: str | None = None
    fields: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        annotation = hints.get(param.name, Any)
        if annotation is ToolContext:
            context_param = param.name
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise TypeError(f"tool {tool_name}: parameter {param.name!r} must be nameable")
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, default)
    one = next(iter(fields.values()), None)
    whole_model = (
        len(fields) == 1
        and one is not None
        and inspect.isclass(one[0])
        and issubclass(one[0], BaseModel)
    )
    if whole_model and one is not None:
        args: type[BaseModel] = one[0]
    else:
        args = create_model(
            f"{tool_name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
        )
    call = _caller(fn, list(fields), whole_model, context_param)
    return ToolDefinition(
        name=tool_name,
        description=description if description is not None else inspect.getdoc(fn) or "",
        args=args,
        make=lambda _parts: call,
        options=options or ToolOptions(),
        source_id=source_id,
    )


def _caller(
    fn: ToolFunction, names: list[str], whole_model: bool, context_param: str | None
) -> Handler:
    is_async = inspect.iscoroutinefunction(fn)

    async def call(valid: BaseModel, ctx: ToolContext) -> Any:
        kwargs: dict[str, Any] = (
            {names[0]: valid} if whole_model else {n: getattr(valid, n) for n in names}
        )
        if context_param is not None:
            kwargs[context_param] = ctx
        if is_async:
            return await fn(**kwargs)
        return await asyncio.to_thread(functools.partial(fn, **kwargs))

    return call


def adapted(
    make: Callable[[SessionParts], Tool],
    *,
    name: str,
    description: str,
    args: type[BaseModel],
    code_mode: bool = False,
    source_id: str = WORKER_SOURCE,
) -> ToolDefinition:
    """A definition over a tool object made per session (the built-ins that hold session
    state or pause the turn); it receives the validated arguments as a plain dict."""

    def per_session(parts: SessionParts) -> Handler:
        tool = make(parts)

        async def call(valid: BaseModel, ctx: ToolContext) -> Any:
            return await tool.run(valid.model_dump(mode="json"), ctx)

        return call

    return ToolDefinition(
        name=name,
        description=description,
        args=args,
        make=per_session,
        code_mode=code_mode,
        source_id=source_id,
    )
