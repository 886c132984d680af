"""Which tools a session may use: the worker's catalog, the policy's choice, the errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.agent.providers import ModelReply, ModelRequest, ProviderRegistry, ScriptedProvider
from activities.agent.tools import ToolCatalog, default_tools
from activities.contract import TurnPolicy
from activities.turn import TurnActivities
from checkpoint.errors import ContractError
from checkpoint.model import OutcomeFailure, OutcomeSuccess, ToolCallRecord
from checkpoint.store import CheckpointStore, load_persisted_session_state
from tests.unit.activities._turns import KEY, activities, request, run, write_script

BUILTINS = ["python", "remember", "spawn_agent", "word_count"]


def _catalog() -> ToolCatalog:
    catalog = default_tools()

    @catalog.tool
    async def weather(city: str) -> str:
        """Current weather in a city."""
        return f"sunny in {city}"

    return catalog


def test_the_default_set_leaves_code_mode_to_the_deterministic_providers() -> None:
    """openai gets every tool but python; scripted and echo get all of them."""
    catalog = _catalog()
    assert catalog.allowed(TurnPolicy(provider="openai", model="m")) == [
        "remember", "spawn_agent", "weather", "word_count"
    ]
    assert catalog.allowed(TurnPolicy()) == [*BUILTINS[:3], "weather", "word_count"]
    assert catalog.allowed(TurnPolicy(provider="echo")) == catalog.names()


def test_a_policy_list_is_the_set_and_an_unknown_name_is_refused() -> None:
    """Named tools only; a name the worker lacks is a ContractError naming it."""
    catalog = _catalog()
    policy = TurnPolicy(provider="openai", model="m", tools=["python", "weather"])
    assert catalog.allowed(policy) == ["python", "weather"]
    with pytest.raises(ContractError, match="does not have: nope"):
        catalog.allowed(TurnPolicy(tools=["nope"]))


def _calls(path: Path) -> Path:
    return write_script(path, [[
        {"text": "Looking.", "tool_calls": [{"name": "weather", "args": {"city": "Oslo"}}]},
        {"text": "Done."},
    ]])


async def _records(store: CheckpointStore, sid: str) -> list[ToolCallRecord]:
    state = await load_persisted_session_state(store, sid)
    assert state is not None
    return list(state.session_graph.tool_calls())


async def test_a_custom_tool_runs_and_its_result_lands_in_the_graph(
    store: CheckpointStore, tmp_path: Path
) -> None:
    """The worker's catalog reaches the session; the call's result is recorded."""
    acts = activities(store, script=_calls(tmp_path / "s.json"), tools=_catalog())
    outcome = await run(acts, request("w", 1, "weather?"))
    assert outcome.status == "completed"
    [record] = await _records(store, "w")
    assert isinstance(record.output.outcome, OutcomeSuccess)
    assert record.output.outcome.payload == "sunny in Oslo"


async def test_a_tool_the_policy_leaves_out_fails_as_not_enabled(
    store: CheckpointStore, tmp_path: Path
) -> None:
    """A call to a registered tool outside the policy is a clear tool error, not a crash."""
    acts = activities(store, script=_calls(tmp_path / "s.json"), tools=_catalog())
    policy = TurnPolicy(tools=["word_count"])
    outcome = await run(acts, request("w", 1, "weather?", policy=policy))
    assert outcome.status == "completed"
    [record] = await _records(store, "w")
    assert isinstance(record.output.outcome, OutcomeFailure)
    failure = record.output.outcome.payload
    assert failure.class_ == "permission_denied"
    assert failure.message == "tool 'weather' is not enabled for this session"


async def test_a_policy_naming_a_tool_the_worker_lacks_fails_the_turn_for_good(
    store: CheckpointStore,
) -> None:
    """No retry can add a tool to a worker: the turn fails non-retryably, naming it."""
    acts = activities(store)
    with pytest.raises(ApplicationError, match="does not have: weather") as caught:
        await run(acts, request("w", 1, "hi", policy=TurnPolicy(tools=["weather"])))
    assert caught.value.non_retryable


class _Recording(ScriptedProvider):
    """The scripted provider posing as a real one, keeping the tools each call was offered."""

    kind = "openai"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered: list[list[str]] = []

    async def complete(self, request: ModelRequest) -> ModelReply:
        self.offered.append([t.name for t in request.tools])
        return await super().complete(request)


async def test_the_model_is_offered_the_policy_set_and_a_change_follows_the_session(
    store: CheckpointStore, tmp_path: Path
) -> None:
    """openai's default hides python; a later turn's policy changes the set (a warm session
    too), and the stored ToolState follows with a new generation."""
    provider = _Recording(write_script(tmp_path / "s.json", [[{"text": "ok"}]]))
    acts = TurnActivities(
        store, providers=ProviderRegistry.of(provider), tools=_catalog(), execution_state_key=KEY
    )
    openai = TurnPolicy(provider="openai", model="gpt-4o")
    first = await run(acts, request("o", 1, "hi", policy=openai))
    state = await load_persisted_session_state(store, "o")
    assert state is not None and state.tool_state_snapshot is not None
    assert state.tool_state_snapshot.generation == 1
    narrowed = openai.model_copy(update={"tools": ["weather"]})
    await run(acts, request("o", 2, "again", base=first, policy=narrowed))
    assert provider.offered == [["remember", "spawn_agent", "weather", "word_count"], ["weather"]]
    state = await load_persisted_session_state(store, "o")
    assert state is not None and state.tool_state_snapshot is not None
    assert list(state.tool_state_snapshot.tools) == ["weather"]
    assert state.tool_state_snapshot.generation > 1
