"""Worker configuration: activities and providers come from the environment, not from inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from activities.agent.providers import OpenAIProvider, ScriptedProvider, default_providers
from activities.agent.tools import key_from_env_or_file, load_or_create_key
from activities.turn import TurnActivities
from checkpoint.errors import ConfigError
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
    monkeypatch.setenv("LASH_EXECUTION_STATE_KEY", "k-1234567890abcdef")
    store = await open_store("memory://")
    try:
        acts = TurnActivities(store, providers=default_providers())
        assert acts._exec_key == b"k-1234567890abcdef"
    finally:
        await store.close()


@pytest.mark.parametrize("value", [None, "", "too-short"])
async def test_activities_without_a_signing_key_refuse_to_exist(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    """No key, or one too short to be a secret: a ConfigError naming the variable, not a
    fallback key that anyone could sign forged interpreter state with."""
    if value is None:
        monkeypatch.delenv("LASH_EXECUTION_STATE_KEY", raising=False)
    else:
        monkeypatch.setenv("LASH_EXECUTION_STATE_KEY", value)
    store = await open_store("memory://")
    try:
        with pytest.raises(ConfigError, match="LASH_EXECUTION_STATE_KEY"):
            TurnActivities(store, providers=default_providers())
    finally:
        await store.close()


def test_a_local_stack_keeps_one_random_key_in_an_owner_only_file(tmp_path: Path) -> None:
    """The first call makes a random key (mode 0600); later calls read the same one."""
    path = tmp_path / "state" / "execution-state.key"
    first = load_or_create_key(path)
    assert len(first) >= 32 and load_or_create_key(path) == first
    assert path.stat().st_mode & 0o777 == 0o600
    other = load_or_create_key(tmp_path / "other.key")
    assert other != first


def test_the_environment_key_wins_over_the_local_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A stack given LASH_EXECUTION_STATE_KEY uses it and makes no key file."""
    monkeypatch.setenv("LASH_EXECUTION_STATE_KEY", "from-the-environment-1234")
    path = tmp_path / "execution-state.key"
    assert key_from_env_or_file(path) == b"from-the-environment-1234"
    assert not path.exists()


def test_a_damaged_key_file_is_refused_naming_it(tmp_path: Path) -> None:
    """A key file too short to be a secret is an error naming the file, never used."""
    path = tmp_path / "execution-state.key"
    path.write_text("abc\n")
    with pytest.raises(ConfigError, match=str(path)):
        load_or_create_key(path)
