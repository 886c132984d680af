"""Build the turn activities from worker configuration (environment), never from inputs.

Environment read here:

- ``LASH_EXECUTION_STATE_KEY``: HMAC key that signs pickled interpreter globals. Unset means the
  public dev key, which is UNSAFE outside a demo (anyone who can write the store can forge state).
- ``LASH_SCRIPTED_SCRIPT`` / ``LASH_SCRIPTED_CALL_LOG`` / ``LASH_SCRIPTED_DELAY_S``: the scripted
  provider's script file (default: the built-in demo), call log and per-call delay.
- ``OPENAI_API_KEY`` (or another variable named by ``openai_key_env``) and ``OPENAI_BASE_URL``:
  the openai provider; the key stays inside the provider object.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from activities.agent.providers import (
    OpenAIProvider,
    ProviderFactory,
    ProviderRegistry,
    ScriptedProvider,
)
from activities.agent.tools import KEY_ENV
from activities.turn import TurnActivities
from checkpoint.store import CheckpointStore


def default_providers(openai_key_env: str = "OPENAI_API_KEY") -> ProviderRegistry:
    """``scripted`` (from LASH_SCRIPTED_*) and ``openai``; each is built on first use."""
    factories: Mapping[str, ProviderFactory] = {
        "scripted": ScriptedProvider.from_env,
        "openai": lambda: OpenAIProvider.from_env(openai_key_env),
    }
    return ProviderRegistry(factories)


def turn_activities_from_env(
    store: CheckpointStore,
    *,
    providers: ProviderRegistry | None = None,
    openai_key_env: str = "OPENAI_API_KEY",
    cache_size: int = 256,
) -> TurnActivities:
    """The activity instance a worker registers (``worker.activities = [acts.run_turn]``)."""
    key = os.environ.get(KEY_ENV)
    return TurnActivities(
        store,
        providers=providers or default_providers(openai_key_env),
        execution_state_key=key.encode() if key else None,
        cache_size=cache_size,
    )


__all__ = ["default_providers", "turn_activities_from_env"]
