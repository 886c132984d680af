"""A turn's usage lands once, also when the turn fails for good after some of its calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.agent.providers import ModelReply, ModelRequest, ProviderRegistry, ScriptedProvider
from activities.turn import TurnActivities
from checkpoint.errors import ProviderError
from checkpoint.model import TokenUsage
from checkpoint.store import CheckpointStore, load_persisted_session_state
from tests.unit.activities._turns import KEY, activities, request, run, turn_usage, write_script
from tests.unit.activities.test_run_turn_retry import TWO_PYTHON_ROUNDS


class FailsAtStep(ScriptedProvider):
    """The script, until the model call of step ``fail_at``, which fails for good."""

    def __init__(self, script: Path, fail_at: int) -> None:
        super().__init__(script)
        self.fail_at = fail_at

    async def complete(self, request: ModelRequest) -> ModelReply:
        if request.step == self.fail_at:
            raise ProviderError("scripted", "the model is gone", retryable=False)
        return await super().complete(request)


def _usage(reply: dict[str, object]) -> TokenUsage:
    return TokenUsage.model_validate(reply["usage"])


async def test_a_turn_that_fails_for_good_has_counted_the_calls_its_progress_commits_hold(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """Two tool rounds commit progress, the third model call fails without retry: the ledger
    holds the first two calls' usage, once each, as the journal recorded them."""
    script = write_script(tmp_path / "s.json", TWO_PYTHON_ROUNDS)
    failing = TurnActivities(
        store, providers=ProviderRegistry.of(FailsAtStep(script, 2)), execution_state_key=KEY
    )
    req = request("s", 1, "go")
    with pytest.raises(ApplicationError, match="the model is gone") as info:
        await run(failing, req)
    assert info.value.non_retryable
    effects = await store.load_effects("s", req.turn_id)
    expected = _usage(effects["model:0"])
    expected.add(_usage(effects["model:1"]))
    assert not expected.is_empty()
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    assert [(e.source, e.usage) for e in state.token_ledger] == [("turn", expected)]
    assert {"usage:0", "usage:1"} <= set(effects)


async def test_a_turn_retried_after_its_progress_commits_counts_every_call_once(
    tmp_path: Path, store: CheckpointStore
) -> None:
    """The same failure, then a retry that finishes the turn: the ledger equals an unfailed
    run's (the two counted calls are not counted again by the final commit)."""
    script = write_script(tmp_path / "s.json", TWO_PYTHON_ROUNDS)
    failing = TurnActivities(
        store, providers=ProviderRegistry.of(FailsAtStep(script, 2)), execution_state_key=KEY
    )
    req = request("s", 1, "go")
    with pytest.raises(ApplicationError):
        await run(failing, req)
    outcome = await run(activities(store, script=script), req, attempt=2)
    state = await load_persisted_session_state(store, "s")
    assert state is not None
    assert [(e.source, e.usage) for e in state.token_ledger] == [("turn", turn_usage(outcome))]
    assert [e.source for e in outcome.usage_deltas] == ["turn"]
