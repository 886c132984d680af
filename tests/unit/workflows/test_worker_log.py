"""The worker's log: an expected failed attempt is one line with its context; a bug keeps its
traceback; --verbose keeps every traceback; JSON lines carry the same fields."""

from __future__ import annotations

import io
import json
import logging
import sys

from temporalio.exceptions import ApplicationError

from activities.agent.providers import FailureKind, ProviderCallError
from workflows.host._worker_log import ActivityFailureFilter, JsonLines

INFO = {"activity_type": "lash.run_turn", "attempt": 3, "workflow_id": "lash-session/s1",
        "activity_id": "1"}


def _record(exc: BaseException) -> logging.LogRecord:
    """What temporalio.activity logs for a failed attempt (its adapter appends the info)."""
    try:
        raise exc
    except BaseException:
        exc_info = sys.exc_info()
    record = logging.LogRecord("temporalio.activity", logging.WARNING, __file__, 1,
                               f"Completing activity as failed ({INFO})", None, exc_info)
    record.temporal_activity = INFO
    return record


def _provider_failure() -> ApplicationError:
    cause = ProviderCallError("openai", FailureKind.REFUSED, "http://127.0.0.1:9/v1",
                              session_id="s1", turn_index=4)
    try:
        raise ApplicationError(str(cause), type="ProviderError") from cause
    except ApplicationError as err:
        return err


def _text(record: logging.LogRecord, *, verbose: bool = False) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ActivityFailureFilter(verbose=verbose))
    handler.handle(record)
    return stream.getvalue()


def test_an_expected_failure_is_one_line_with_session_turn_attempt_and_cause() -> None:
    """No traceback; the line says where it failed, whether it retries, and why."""
    out = _text(_record(_provider_failure()))
    assert out == (
        "lash.run_turn failed (session s1, turn 4, attempt 3, will retry): provider 'openai': "
        "connection refused at http://127.0.0.1:9/v1\n"
    )


def test_a_non_retryable_failure_says_so() -> None:
    err = ApplicationError("turn 2 of session 's1' cannot run: bad", non_retryable=True)
    out = _text(_record(err))
    assert "attempt 3, not retryable): turn 2 of session 's1' cannot run: bad" in out
    assert "Traceback" not in out


def test_verbose_keeps_the_traceback() -> None:
    out = _text(_record(_provider_failure()), verbose=True)
    assert out.startswith("lash.run_turn failed (session s1, turn 4, attempt 3")
    assert "Traceback" in out


def test_a_bug_keeps_its_traceback() -> None:
    """A KeyError from our own code is a surprise: the SDK's record stays as it was."""
    out = _text(_record(KeyError("choices")))
    assert out.startswith("Completing activity as failed") and "Traceback" in out


def test_json_lines_carry_the_fields() -> None:
    record = _record(_provider_failure())
    ActivityFailureFilter().filter(record)
    line = json.loads(JsonLines().format(record))
    assert line["session_id"] == "s1" and line["turn_index"] == 4 and line["attempt"] == 3
    assert line["retryable"] is True and "connection refused" in line["cause"]
    assert line["level"] == "WARNING" and "traceback" not in line
