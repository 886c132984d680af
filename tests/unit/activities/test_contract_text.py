"""The contract's text rules: one user-text boundary, one cut, one definition of an answer."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from activities.agent._messages import assistant_message, user_message
from activities.agent.providers import ModelReply, ToolCallRequest
from activities.contract import (
    ANSWER_EXCERPT_CHARS,
    MAX_USER_TEXT_BYTES,
    TurnOutcome,
    TurnRequest,
    answer_fields,
    answer_text,
    check_user_text,
    last_answer,
    shorten,
)

HISTORY = Path(__file__).parents[2] / "replay" / "histories" / "v3-session-demo.json"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("   \n", "empty or blank"),
        ("x" * (MAX_USER_TEXT_BYTES + 1), "too large"),
        ("é" * (MAX_USER_TEXT_BYTES // 2 + 1), "too large"),  # few chars, too many bytes
    ],
)
def test_user_text_is_refused_at_one_boundary_by_every_caller(text: str, problem: str) -> None:
    """check_user_text and TurnRequest refuse the same text with the same reason."""
    with pytest.raises(ValueError, match=problem):
        check_user_text(text)
    with pytest.raises(ValidationError, match=problem):
        TurnRequest(session_id="s", turn_index=1, turn_id="t", started_at="2026-01-01T00:00:00Z",
                    user_text=text)


def test_user_text_within_the_limit_passes_unchanged() -> None:
    text = "x" * MAX_USER_TEXT_BYTES
    assert check_user_text(text) is text


def test_a_host_limit_names_the_size_and_the_limit() -> None:
    """A client's configured limit (LASH_MAX_MESSAGE_BYTES) is checked by the same function."""
    assert check_user_text("é" * 5, max_bytes=10) == "é" * 5
    with pytest.raises(ValueError, match=r"too large \(12 bytes; at most 10\)"):
        check_user_text("é" * 6, max_bytes=10)


def test_shorten_marks_a_cut_and_keeps_the_limit() -> None:
    """Short text is untouched; a cut ends in one ellipsis inside the limit."""
    assert shorten("hello", 5) == "hello"
    assert shorten("hello world", 5) == "hell…"
    assert len(shorten("y" * 1000, 400)) == 400


def test_shorten_one_line_folds_whitespace_first() -> None:
    assert shorten("a\n\n  b\tc", 10, one_line=True) == "a b c"
    assert shorten("a\n" * 10, 6, one_line=True) == "a a a…"


def test_answer_fields_say_whether_the_excerpt_was_cut() -> None:
    """The outcome owns the fact of the cut; nobody has to guess it from a trailing ellipsis."""
    assert answer_fields("short") == {"answer_excerpt": "short", "answer_truncated": False}
    exact = "z" * (ANSWER_EXCERPT_CHARS - 1) + "…"  # looks cut, is not
    assert answer_fields(exact)["answer_truncated"] is False
    long = answer_fields("w" * (ANSWER_EXCERPT_CHARS + 1))
    assert long["answer_truncated"] is True
    assert len(long["answer_excerpt"]) == ANSWER_EXCERPT_CHARS


def test_the_answer_is_what_the_agent_loop_stores_for_a_final_reply() -> None:
    """A reply without tool calls is an answer (its text); one that calls tools, or a user
    message, is not."""
    final = assistant_message("m1", ModelReply(text="the answer"))
    calling = assistant_message(
        "m2", ModelReply(text="let me look", tool_calls=[ToolCallRequest(id="c", name="t")])
    )
    assert answer_text(final) == "the answer"
    assert answer_text(assistant_message("m3", ModelReply())) == ""
    assert answer_text(calling) is None
    assert answer_text(user_message("m4", "question")) is None
    assert last_answer([final, user_message("m5", "again"), calling]) == "the answer"
    assert last_answer([user_message("m6", "first")]) == ""


def test_an_outcome_recorded_before_answer_truncated_still_decodes() -> None:
    """Old histories carry no answer_truncated; it decodes as False."""
    events = json.loads(HISTORY.read_text())["history"]["events"]
    outcomes = []
    for event in events:
        attrs = event.get("activityTaskCompletedEventAttributes")
        if not attrs:
            continue
        data = json.loads(base64.b64decode(attrs["result"]["payloads"][0]["data"]))
        if "receipt" in data:
            assert "answer_truncated" not in data
            outcomes.append(TurnOutcome.model_validate(data))
    assert outcomes
    assert all(o.answer_truncated is False for o in outcomes)
