"""A poisoned value from a model or a tool fails that call or turn at once, never the session.

Each case would have wedged the turn in a retry loop (paying for the model on every attempt) or
committed args the store could not read back; now it ends within one attempt, and the session
takes the next message, also on a fresh worker that loads it cold from the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_core import PydanticSerializationError
from temporalio.exceptions import ApplicationError

from activities.agent._poison import screen_output, screen_reply
from activities.agent.providers import ModelReply, ProviderError, ToolCallRequest
from activities.agent.tools import ToolOutput
from checkpoint.errors import NodeConflictError
from checkpoint.model import MAX_JSON_DEPTH, OutcomeFailure, RuntimeCommit
from checkpoint.store import CheckpointStore, load_persisted_session_state
from tests.unit.activities._turns import activities, call_log_lines, request, run, write_script


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


NEXT_TURN = [{"text": "the session goes on"}]
DEEP_ARGS = [
    [{"text": "", "tool_calls": [{"name": "python", "args": _nested(300)}]}, {"text": "done"}],
    NEXT_TURN,
]
SURROGATE_ANSWER = [[{"text": "bad \ud800 answer"}], NEXT_TURN]
SURROGATE_PRINT = [
    [
        {"text": "", "tool_calls": [{"name": "python", "args": {"code": "print(chr(0xD800))"}}]},
        {"text": "done"},
    ],
    NEXT_TURN,
]


async def _next_turn_on_a_fresh_worker(store: CheckpointStore, script: Path, base: Any) -> None:
    """The following message completes on new activities (empty cache: a cold load)."""
    outcome = await run(activities(store, script=script), request("s", 2, "next", base=base))
    assert outcome.status == "completed" and outcome.answer_excerpt == "the session goes on"
    state = await load_persisted_session_state(store, "s")
    assert state is not None and state.turn_index == 2


async def _the_turns_one_failed_call(
    tmp_path: Path, store: CheckpointStore, turns: list[Any]
) -> tuple[Any, Any]:
    """Run turn 1 of ``turns`` (one tool call that must fail, then "done") in two model calls;
    the next turn completes on a fresh worker. Returns the stored record and its failure."""
    script = write_script(tmp_path / "s.json", turns)
    log = tmp_path / "calls.jsonl"
    outcome = await run(activities(store, script=script, call_log=log), request("s", 1, "go"))
    assert outcome.status == "completed" and outcome.answer_excerpt == "done"
    assert len(call_log_lines(log)) == 2
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    (record,) = state.session_graph.tool_calls()
    assert isinstance(record.output.outcome, OutcomeFailure)
    await _next_turn_on_a_fresh_worker(store, script, outcome)
    return record, record.output.outcome.payload


async def test_tool_args_nested_too_deep_fail_that_call_and_store_empty_args(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """Args 300 deep: the call fails as invalid_request naming the limit; {} is stored."""
    record, failure = await _the_turns_one_failed_call(tmp_path, store, DEEP_ARGS)
    assert record.args == {}
    assert failure.class_ == "invalid_request" and f"at most {MAX_JSON_DEPTH}" in failure.message


async def test_a_final_answer_with_a_lone_surrogate_fails_the_turn_for_good(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """A non-retryable ProviderError naming the cause, after one model call."""
    script = write_script(tmp_path / "s.json", SURROGATE_ANSWER)
    log = tmp_path / "calls.jsonl"
    with pytest.raises(ApplicationError) as caught:
        await run(activities(store, script=script, call_log=log), request("s", 1, "go"))
    assert caught.value.non_retryable and caught.value.type == "ProviderError"
    assert "lone surrogate" in str(caught.value)
    assert len(call_log_lines(log)) == 1
    outcome = await run(activities(store, script=script), request("s", 2, "next"))
    assert outcome.answer_excerpt == "the session goes on"


async def test_a_python_print_of_a_lone_surrogate_fails_that_call_and_the_turn_goes_on(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """print(chr(0xD800)): the tool call fails naming the problem; the turn completes. (The
    child's UTF-8 stdout refuses the surrogate, so it never reaches the worker.)"""
    _record, failure = await _the_turns_one_failed_call(tmp_path, store, SURROGATE_PRINT)
    assert "surrogates not allowed" in failure.message


class FailingCommitStore:
    """A store whose final commit fails with ``error`` every time (a deterministic failure)."""

    def __init__(self, inner: CheckpointStore, error: Exception) -> None:
        self._inner, self.error = inner, error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def commit_runtime_state(self, commit: RuntimeCommit, **kwargs: Any) -> Any:
        if commit.operation_id.endswith(":final"):
            raise self.error
        return await self._inner.commit_runtime_state(commit, **kwargs)


def _validation_error() -> ValidationError:
    try:
        ToolCallRequest.model_validate({})
    except ValidationError as error:
        return error
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "error",
    [
        NodeConflictError("s", "n1"),
        PydanticSerializationError("cannot write"),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        _validation_error(),
    ],
    ids=["node-conflict", "serialization", "unicode", "validation"],
)
async def test_a_deterministic_commit_failure_fails_at_once_without_a_second_model_call(
    tmp_path: Path, store: CheckpointStore, error: Exception
) -> None:
    """The final commit's deterministic failure is non-retryable: no retry re-asks the model
    for the final reply that was only deferred to that commit."""
    script = write_script(tmp_path / "s.json", [[{"text": "answer"}]])
    log = tmp_path / "calls.jsonl"
    acts = activities(FailingCommitStore(store, error), script=script, call_log=log)  # type: ignore[arg-type]
    with pytest.raises(ApplicationError) as caught:
        await run(acts, request("s", 1, "go"))
    assert caught.value.non_retryable and type(error).__name__ in (caught.value.type or "")
    assert len(call_log_lines(log)) == 1


def test_screen_reply_keeps_clean_replies_as_they_are() -> None:
    """The common case costs one walk and no copy."""
    reply = ModelReply(text="hi", tool_calls=[ToolCallRequest(id="c", name="t", args={"a": 1})])
    assert screen_reply(reply, "p") is reply


def test_screen_reply_refuses_surrogates_in_call_names_and_replaces_bad_args() -> None:
    """A surrogate in a call name is a ProviderError; NaN or surrogate args become {}."""
    bad_name = ModelReply(tool_calls=[ToolCallRequest(id="c", name="t\ud800")])
    with pytest.raises(ProviderError, match="lone surrogate") as caught:
        screen_reply(bad_name, "p")
    assert not caught.value.retryable
    for args in ({"x": float("nan")}, {"\ud800": 1}, {"x": ["\udfff"]}):
        reply = ModelReply(tool_calls=[ToolCallRequest(id="c", name="t", args=args)])
        (call,) = screen_reply(reply, "p").tool_calls
        assert call.args == {} and call.refusal is not None


def test_a_refused_call_round_trips_through_the_journal_form() -> None:
    """The refusal is journaled with the reply, and omitted when there is none."""
    reply = ModelReply(tool_calls=[ToolCallRequest(id="c", name="t", args=_nested(100))])
    screened = screen_reply(reply, "p")
    assert ModelReply.model_validate(screened.model_dump(mode="json")) == screened
    clean = ToolCallRequest(id="c", name="t").model_dump(mode="json")
    assert "refusal" not in clean


def test_screen_output_fails_unstorable_values() -> None:
    """Output text or value that cannot be stored becomes an execution failure."""
    assert screen_output("t", ToolOutput(value={"a": 1}, text="ok")).failure_class is None
    deep = screen_output("t", ToolOutput(value=_nested(MAX_JSON_DEPTH + 1), text="ok"))
    assert deep.failure_class == "execution" and "deeper than" in deep.text
    text = screen_output("t", ToolOutput(value=None, text="\ud800"))
    assert text.failure_class == "execution" and "lone surrogate" in text.text
