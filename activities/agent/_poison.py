"""No value from a model or a tool can poison a session: screened where it enters the turn.

The session model refuses what JSON cannot carry back (``checkpoint.model._json_limits``: lone
surrogates, free-form values nested past ``MAX_JSON_DEPTH``). A provider or a tool can still
return such a value; caught only at the commit, it failed every attempt of the turn, and each
attempt paid for the model call again. So each value is checked as it arrives, by the model's
own rules, and ends as a clear failure of that one call:

- tool-call arguments the model would refuse: the call is kept, with arguments ``{}`` and the
  reason in ``ToolCallRequest.refusal``; the loop fails it as ``invalid_request`` without
  running the tool, and the model sees why in the next step;
- reply text (or a call's name or id) with a lone surrogate: a non-retryable ``ProviderError``
  naming the cause. We fail rather than substitute U+FFFD: the text is the answer the user
  reads, and quietly changing it would hide a broken provider or decoder; asking again would
  pay for another call with no reason to expect a different result;
- a tool's output that cannot be stored: that call fails as ``execution`` naming the problem,
  and the turn goes on (the model sees the failure and can try something else).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from activities.agent.providers import ModelReply, ProviderError, ToolCallRequest
from activities.agent.tools import ToolOutput
from checkpoint.model import MAX_JSON_DEPTH, TOOL_VALUE, JsonValue, has_lone_surrogate

_ARGS: TypeAdapter[Any] = TypeAdapter(JsonValue)


def _problem(adapter: TypeAdapter[Any], value: Any) -> str | None:
    """The model's own reason for refusing ``value``, or None."""
    try:
        adapter.validate_python(value)
    except ValidationError as error:
        return str(error.errors()[0]["msg"])
    return None


def screen_reply(reply: ModelReply, provider: str) -> ModelReply:
    """``reply`` with arguments the session cannot store replaced by ``{}`` and a refusal;
    raises a non-retryable ProviderError for text that no commit could store."""
    texts = [("reply text", reply.text)]
    texts += [(f"tool call {c.id!r}", c.name + c.id) for c in reply.tool_calls]
    for what, text in texts:
        if has_lone_surrogate(text):
            raise ProviderError(
                provider,
                f"{what} holds a lone surrogate (not valid Unicode), which the session "
                "cannot store; the reply is refused",
                retryable=False,
            )
    calls = [_screen_call(call) for call in reply.tool_calls]
    if all(new is old for new, old in zip(calls, reply.tool_calls, strict=True)):
        return reply
    return reply.model_copy(update={"tool_calls": calls})


def _screen_call(call: ToolCallRequest) -> ToolCallRequest:
    problem = _problem(_ARGS, call.args)
    if problem is None:
        return call
    refusal = (
        f"arguments of {call.name!r} refused, not run: {problem} (a session stores JSON "
        f"values at most {MAX_JSON_DEPTH} levels deep, with valid Unicode strings)"
    )
    return call.model_copy(update={"args": {}, "refusal": refusal})


def screen_output(tool: str, output: ToolOutput) -> ToolOutput:
    """``output``, or a failure naming why the session could not store it."""
    problem = "its text holds a lone surrogate" if has_lone_surrogate(output.text) else None
    if problem is None and output.value is not None:
        problem = _problem(TOOL_VALUE, output.value)
    if problem is None:
        return output
    return ToolOutput.failed(
        "execution", f"{tool} returned output the session cannot store: {problem}"
    )
