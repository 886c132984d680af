"""``client.send`` brings the turn's answer, which the update's result leaves out, with the
``answer`` query; a query that fails does not fail the send (the turn has run), and workers from
before that query still work."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from workflows.contract import TurnAnswer, TurnReply
from workflows.host import client as lash

REPLY = TurnReply(status="completed", turn_index=3, head_revision=3, model_calls=1)


class _Handle:
    def __init__(self, answer: TurnAnswer | Exception | None) -> None:
        self.answer = answer
        self.asked: list[Any] = []

    async def query(self, query: Any, turn_index: int, **_options: Any) -> TurnAnswer | None:
        self.asked.append(turn_index)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


async def _with(answer: TurnAnswer | Exception | None, reply: TurnReply,
                monkeypatch: pytest.MonkeyPatch) -> tuple[TurnReply, list[Any]]:
    stub = _Handle(answer)
    monkeypatch.setattr(lash, "handle", lambda _client, _sid: stub)
    return await lash._with_answer(None, "s", reply), stub.asked  # type: ignore[arg-type]


async def test_the_answer_of_the_turn_is_filled_in(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = TurnAnswer(answer_excerpt="forty-two", answer_truncated=True)
    reply, asked = await _with(answer, REPLY, monkeypatch)
    assert asked == [3]
    assert reply == REPLY.model_copy(update={"answer_excerpt": "forty-two",
                                             "answer_truncated": True})


CUT = REPLY.model_copy(update={"answer_truncated": True})
"""What ``send`` returns when it cannot read the answer back: cut, so the caller reads the
store (the CLI does)."""


@pytest.mark.parametrize("answer", [
    None,  # no longer kept: the session moved on
    RPCError("deadline exceeded", RPCStatusCode.DEADLINE_EXCEEDED, b""),
    WorkflowQueryFailedError("the workflow task keeps failing"),
], ids=["not-kept", "rpc-error", "query-failed"])
async def test_an_answer_that_cannot_be_read_back_is_reported_cut(
    answer: Exception | None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert await _with(answer, REPLY, monkeypatch) == (CUT, [3])


async def test_a_worker_from_before_the_query_is_not_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Such a worker answers in the reply; an empty answer then meets an unknown query."""
    full = REPLY.model_copy(update={"answer_excerpt": "hi"})
    assert await _with(AssertionError("asked"), full, monkeypatch) == (full, [])
    unknown = WorkflowQueryFailedError("unknown queryType answer")
    assert await _with(unknown, REPLY, monkeypatch) == (CUT, [3])
