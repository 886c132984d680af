"""Tools from Python functions: derived schemas, validation, timeouts, errors, sync and async."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import pytest
from pydantic import BaseModel, Field

from activities.agent.plugins import NotesPlugin
from activities.agent.tools import (
    PythonInterpreter,
    SessionParts,
    ToolCatalog,
    ToolContext,
    ToolOptions,
    function_tool,
)

CTX = ToolContext(session_id="s", turn_id="t", turn_index=1, step=0, call_id="c")
PARTS = SessionParts(interpreter=PythonInterpreter(), notes=NotesPlugin())


class Forecast(BaseModel):
    """Where and how far ahead."""

    city: str
    days: int = Field(default=1, ge=1, le=7, description="How many days ahead")


async def forecast(request: Forecast) -> dict[str, object]:
    """Forecast the weather."""
    return {"city": request.city, "days": request.days}


def weather(
    city: Annotated[str, Field(description="A city name")], unit: str = "C"
) -> str:
    """Current weather in a city.

    Any unit the caller likes."""
    return f"sunny in {city}, 21 {unit}"


def test_annotated_arguments_give_the_schema_and_the_docstring_the_description() -> None:
    """Each argument becomes a property; defaults make it optional; extras are refused."""
    tool = function_tool(weather)
    assert tool.name == "weather"
    assert tool.description == "Current weather in a city.\n\nAny unit the caller likes."
    assert tool.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "A city name"},
            "unit": {"type": "string", "default": "C"},
        },
        "required": ["city"],
        "additionalProperties": False,
    }


def test_a_single_pydantic_model_argument_is_the_schema() -> None:
    """A function taking one model gets that model's schema, field rules included."""
    tool = function_tool(forecast, name="forecast_days", description="Days ahead.")
    assert (tool.name, tool.description) == ("forecast_days", "Days ahead.")
    days = tool.parameters["properties"]["days"]
    assert days == {
        "type": "integer", "default": 1, "minimum": 1, "maximum": 7,
        "description": "How many days ahead",
    }
    assert tool.parameters["required"] == ["city"]


def test_a_property_called_title_survives_title_stripping() -> None:
    """Pydantic's generated titles go; an argument named ``title`` stays."""

    def note(title: str) -> str:
        """Take a note."""
        return title

    assert function_tool(note).parameters["properties"] == {"title": {"type": "string"}}


def test_a_tool_without_a_description_is_refused_at_registration() -> None:
    """No docstring and no description: the model would not know what the tool does."""

    def mystery(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="needs a description"):
        function_tool(mystery)


async def test_sync_and_async_functions_both_run() -> None:
    """A sync function runs (in a thread) and an async one is awaited; results become text."""
    sync = await function_tool(weather).bind(PARTS).run({"city": "Oslo"}, CTX)
    assert (sync.failure_class, sync.text) == (None, "sunny in Oslo, 21 C")
    out = await function_tool(forecast).bind(PARTS).run({"city": "Oslo", "days": 3}, CTX)
    assert out.failure_class is None
    assert out.value == {"city": "Oslo", "days": 3}
    assert out.text == '{"city": "Oslo", "days": 3}'


async def test_invalid_arguments_fail_as_invalid_request_naming_the_field() -> None:
    """Nothing runs when the arguments do not match the schema; the message names the field."""
    calls = []

    def count(n: int) -> int:
        """Count."""
        calls.append(n)
        return n

    tool = function_tool(count).bind(PARTS)
    missing = await tool.run({}, CTX)
    assert missing.failure_class == "invalid_request"
    assert "`n`: Field required" in missing.text
    wrong = await tool.run({"n": "many"}, CTX)
    assert wrong.failure_class == "invalid_request" and "`n`" in wrong.text
    extra = await tool.run({"n": 1, "m": 2}, CTX)
    assert extra.failure_class == "invalid_request" and "`m`" in extra.text
    ranged = await function_tool(forecast).bind(PARTS).run({"city": "x", "days": 9}, CTX)
    assert ranged.failure_class == "invalid_request" and "`days`" in ranged.text
    assert calls == []


async def test_a_tool_past_its_timeout_fails_as_timeout() -> None:
    """An async tool is cancelled at the timeout, a sync one abandoned; both fail as timeout."""

    async def slow() -> str:
        """Slow."""
        await asyncio.sleep(5)
        return "done"

    def slow_sync() -> str:
        """Slow too."""
        time.sleep(0.5)
        return "done"

    for fn in (slow, slow_sync):
        tool = function_tool(fn, options=ToolOptions(timeout=0.05)).bind(PARTS)
        out = await tool.run({}, CTX)
        assert out.failure_class == "timeout"
        assert "within 0.05 s" in out.text


async def test_an_exception_is_an_execution_failure_and_retries_run_again() -> None:
    """The exception's message reaches the model; ``retries`` gives further attempts."""
    attempts = []

    async def flaky(city: str) -> str:
        """Flaky."""
        attempts.append(city)
        if len(attempts) < 3:
            raise RuntimeError(f"no data for {city}")
        return "ok"

    once = await function_tool(flaky).bind(PARTS).run({"city": "Rome"}, CTX)
    assert once.failure_class == "execution"
    assert once.text == "flaky failed: RuntimeError: no data for Rome"
    attempts.clear()
    retried = function_tool(flaky, options=ToolOptions(retries=2)).bind(PARTS)
    assert (await retried.run({"city": "Rome"}, CTX)).text == "ok"
    assert len(attempts) == 3


async def test_a_context_parameter_receives_the_call_context_and_is_no_argument() -> None:
    """``ToolContext`` is injected, never part of the schema."""

    def whoami(ctx: ToolContext, greeting: str = "hi") -> str:
        """Who calls."""
        return f"{greeting} {ctx.session_id}/{ctx.call_id}"

    tool = function_tool(whoami)
    assert list(tool.parameters["properties"]) == ["greeting"]
    assert (await tool.bind(PARTS).run({}, CTX)).text == "hi s/c"


def test_the_decorator_registers_with_options_and_refuses_duplicates() -> None:
    """``@catalog.tool`` keeps the function usable and stores the options."""
    catalog = ToolCatalog()

    @catalog.tool(timeout=2, retries=1, needs_approval=True, idempotent=True)
    async def lookup(key: str) -> str:
        """Look a key up."""
        return key

    @catalog.tool
    def ping() -> str:
        """Ping."""
        return "pong"

    assert ping() == "pong"
    assert catalog.names() == ["lookup", "ping"]
    definition = catalog.get("lookup")
    assert definition is not None
    assert definition.options == ToolOptions(
        timeout=2, retries=1, needs_approval=True, idempotent=True
    )
    with pytest.raises(ValueError, match="already registered"):
        catalog.tool(ping)
    catalog.tool(ping, replace=True)
