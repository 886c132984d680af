"""Credentials are removed by redact_policy / redacted_state; model_dump stays serde-exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkpoint.model import PersistedSessionState, is_secret_key, redact_policy, redacted_state

FIXTURE = Path(__file__).parent / "fixtures" / "section11_state.json"


@pytest.mark.parametrize(
    "key",
    ["api_key", "apiKey", "x-api-key", "access_token", "clientSecret", "Authorization",
     "password", "refresh_token", "credentials"],
)
def test_secret_keys_are_recognised(key: str) -> None:
    """Keys whose words name a secret, token, password or authorization are secret."""
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["type", "base_url", "max_tokens", "model", "keyword", "options"])
def test_ordinary_keys_are_kept(key: str) -> None:
    """max_tokens and friends are not credentials."""
    assert not is_secret_key(key)


def test_redacted_state_removes_credentials_at_any_depth() -> None:
    """api_key and nested header secrets go; type, base_url and options stay; input untouched."""
    state = PersistedSessionState.model_validate_json(FIXTURE.read_text())
    state.policy.provider["options"] = {"headers": {"Authorization": "Bearer x", "X-Trace": "1"},
                                        "max_tokens": 5}
    state.head_revision = 4
    clean = redacted_state(state)
    provider = clean.policy.provider
    assert provider == {
        "base_url": "https://api.openai.com/v1",
        "options": {"headers": {"X-Trace": "1"}, "max_tokens": 5},
        "type": "openai-compatible",
    }
    assert "REDACTED" not in clean.model_dump_json() and "Bearer" not in clean.model_dump_json()
    assert state.policy.provider["api_key"] == "<REDACTED>"  # the original is unchanged
    assert clean.head_revision == 4


def test_model_dump_itself_stays_serde_exact() -> None:
    """model_dump keeps the provider as written: redaction is an explicit step."""
    state = PersistedSessionState.model_validate_json(FIXTURE.read_text())
    assert json.loads(state.model_dump_json())["policy"]["provider"]["api_key"] == "<REDACTED>"
    assert redact_policy(state.policy).provider_kind() == "openai-compatible"
