"""Worker configuration: activities and providers come from the environment, not from inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from activities.agent.providers import OpenAIProvider, ScriptedProvider
from activities.turn import TurnActivities
from activities.worker import default_providers
from checkpoint.store import open_store


async def test_scripted_provider_reads_its_knobs_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LASH_SCRIPTED_SCRIPT picks the script; the registry builds the provider on first use."""
    script = tmp_path / "s.json"
    script.write_text(json.dumps([[{"text": "from env"}]]))
    monkeypatch.setenv("LASH_SCRIPTED_SCRIPT", str(script))
    monkeypatch.setenv("LASH_SCRIPTED_DELAY_S", "0")
    provider = default_providers().get("scripted")
    assert isinstance(provider, ScriptedProvider)
    assert provider._script["turns"] == [[{"text": "from env"}]]


def test_openai_key_comes_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key is read from the configured variable and never shows in the provider's repr."""
    monkeypatch.setenv("MY_KEY", "sk-test-secret")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    provider = default_providers("MY_KEY").get("openai")
    assert isinstance(provider, OpenAIProvider)
    assert provider.base_url == "http://127.0.0.1:1/v1"
    assert "sk-test-secret" not in repr(provider)


async def test_execution_state_key_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LASH_EXECUTION_STATE_KEY becomes the signing key of activities built without one."""
    monkeypatch.setenv("LASH_EXECUTION_STATE_KEY", "k-123")
    store = await open_store("memory://")
    try:
        acts = TurnActivities(store, providers=default_providers())
        assert acts._exec_key == b"k-123"
    finally:
        await store.close()
