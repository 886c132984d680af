"""Payloads that travel through workflow history leave out their defaults and read back whole.

Every payload is stored in history once per turn (or per child), so defaults are not written;
tags (``kind``) always are, or a tagged union could not be read back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from activities.contract import (
    ChildRequest,
    ChildResult,
    HeadRef,
    PromptWindow,
    TurnOutcome,
    TurnPolicy,
    TurnRequest,
    WireModel,
)
from checkpoint.model import TokenLedgerEntry, TokenUsage, TurnReceipt
from workflows.contract import (
    ChildSession,
    SessionCarry,
    SessionInput,
    StartFromCarry,
    StartFromSnapshot,
    TurnReply,
)

USAGE = TokenLedgerEntry(
    source="turn", model="m",
    usage=TokenUsage(input_tokens=3, output_tokens=1, cached_input_tokens=0),
)
HEAD = HeadRef(head_revision=4, checkpoint_ref="c" * 64, leaf_node_id="n1")

SAMPLES: list[WireModel] = [
    SessionInput(session_id="s"),
    SessionInput(session_id="c", start=StartFromSnapshot(snapshot_ref="r" * 64),
                 relation=ChildSession(parent_session_id="s", tool_call_id="t"),
                 first_message="do it", policy=TurnPolicy(subagent_depth=1)),
    SessionInput(session_id="s", start=StartFromCarry(carry=SessionCarry(
        head=HEAD, turn_index=3, ledger=[USAGE], run_count=2))),
    TurnRequest(session_id="s", turn_index=2, turn_id="t", started_at=datetime.now(UTC),
                user_text="hi", base=HEAD, stop=True,
                child_results=[ChildResult(child_session_id="c", tool_call_id="t", answer="",
                                           error="boom", timed_out=True)]),
    TurnOutcome(status="completed", receipt=TurnReceipt(head_revision=5), turn_index=2,
                usage_deltas=[USAGE], prompt=PromptWindow(window_tokens=9, prompt_tokens=5,
                                                          turns=2, path_turns=7, messages=3,
                                                          path_messages=3)),
    TurnOutcome(status="awaiting_children", receipt=TurnReceipt(head_revision=5), turn_index=2,
                child_requests=[ChildRequest(child_session_id="c", tool_call_id="t",
                                             snapshot_ref="r", task="x", policy=TurnPolicy())]),
    TurnReply(status="interrupted", turn_index=2, head_revision=6, answer_excerpt="a"),
    TurnPolicy(subagent_timeout=timedelta(seconds=5)),
]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: type(s).__name__)
def test_a_payload_reads_back_equal(sample: WireModel) -> None:
    assert type(sample).model_validate_json(sample.model_dump_json()) == sample


def test_defaults_are_left_out_and_tags_kept() -> None:
    written = json.loads(SAMPLES[1].model_dump_json())
    assert "timeouts" not in written and "search_attributes" not in written
    assert written["start"] == {"kind": "snapshot", "snapshot_ref": "r" * 64}
    assert written["relation"]["kind"] == "child"
    assert written["policy"] == {"subagent_depth": 1}
    assert json.loads(SessionInput(session_id="s").model_dump_json()) == {"session_id": "s"}


def test_a_receipt_of_an_older_history_still_reads() -> None:
    """Histories written before the slim receipt carried the whole commit receipt."""
    old = {"status": "completed", "turn_index": 1, "receipt": {
        "head_revision": 2, "checkpoint_ref": "c", "leaf_node_id": "n", "session_id": "s",
        "operation_id": "s:t:final", "manifest": {"turn_state": {}}}}
    outcome = TurnOutcome.model_validate(old)
    assert outcome.receipt == TurnReceipt(head_revision=2, checkpoint_ref="c", leaf_node_id="n")


def test_a_turn_outcome_writes_each_figure_once() -> None:
    """Zero usage counts, the turn's usage apart from its delta, and path counts equal to the
    prompt's are not written; they read back filled in."""
    window = PromptWindow(window_tokens=9, prompt_tokens=5, turns=2, path_turns=2, messages=3,
                          path_messages=3)
    outcome = TurnOutcome(status="completed", receipt=TurnReceipt(head_revision=5),
                          turn_index=2, usage_deltas=[USAGE], prompt=window)
    written = json.loads(outcome.model_dump_json())
    assert written["usage_deltas"] == [
        {"source": "turn", "model": "m", "usage": {"input_tokens": 3, "output_tokens": 1}}
    ]
    assert "turn_usage" not in written
    assert written["prompt"] == {"window_tokens": 9, "prompt_tokens": 5, "turns": 2,
                                 "messages": 3}
    read = TurnOutcome.model_validate_json(json.dumps(written))
    assert read.usage_deltas == [USAGE] and read.prompt == window


def test_an_outcome_of_an_older_history_with_every_figure_still_reads() -> None:
    usage = {"input_tokens": 3, "output_tokens": 1, "cached_input_tokens": 0,
             "reasoning_tokens": 0}
    old = {"status": "completed", "turn_index": 1, "receipt": {"head_revision": 2},
           "usage_deltas": [{"source": "turn", "model": "m", "usage": usage}],
           "turn_usage": usage,
           "prompt": {"window_tokens": 9, "prompt_tokens": 5, "turns": 2, "path_turns": 2,
                      "messages": 3, "path_messages": 3}}
    outcome = TurnOutcome.model_validate(old)
    assert outcome.usage_deltas == [USAGE] and outcome.prompt is not None
    assert outcome.prompt.path_turns == 2
