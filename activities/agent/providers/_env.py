"""The providers a worker builds from its environment, never from inputs.

Environment read by the providers built here:

- ``LASH_SCRIPTED_SCRIPT`` / ``LASH_SCRIPTED_CALL_LOG`` / ``LASH_SCRIPTED_DELAY_S``: the scripted
  provider's script file (default: the built-in demo), call log and per-call delay.
- ``OPENAI_API_KEY`` (or another variable named by ``openai_key_env``) and ``OPENAI_BASE_URL``:
  the openai provider; the key stays inside the provider object.

(``LASH_EXECUTION_STATE_KEY``, the key that signs code-mode state, is read by ``TurnActivities``.)
"""

from __future__ import annotations

from collections.abc import Mapping

from activities.agent.providers._base import ProviderFactory, ProviderRegistry
from activities.agent.providers.echo import EchoProvider
from activities.agent.providers.openai import OpenAIProvider
from activities.agent.providers.scripted import ScriptedProvider


def default_providers(openai_key_env: str = "OPENAI_API_KEY") -> ProviderRegistry:
    """``scripted`` (from LASH_SCRIPTED_*) and ``openai``; each is built on first use."""
    factories: Mapping[str, ProviderFactory] = {
        "scripted": ScriptedProvider.from_env,
        "echo": EchoProvider,
        "openai": lambda: OpenAIProvider.from_env(openai_key_env),
    }
    return ProviderRegistry(factories)


__all__ = ["default_providers"]
