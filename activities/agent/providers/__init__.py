"""Model providers: ``scripted`` (deterministic, the default) and ``openai`` (any compatible API).

A provider turns a neutral ``ModelRequest`` into one ``ModelReply``. Credentials live only in the
provider object a worker builds; nothing a provider receives or returns carries them.
"""

from activities.agent.providers._base import (
    ChatMessage,
    ModelProvider,
    ModelReply,
    ModelRequest,
    ProviderFactory,
    ProviderRegistry,
    RawUsage,
    ToolCallRequest,
    ToolSpec,
)
from activities.agent.providers._env import default_providers
from activities.agent.providers._failures import FailureKind, ProviderCallError
from activities.agent.providers.echo import EchoProvider
from activities.agent.providers.openai import OpenAIProvider
from activities.agent.providers.scripted import ScriptedProvider, load_script
from checkpoint.errors import ProviderError

__all__ = [
    "ChatMessage",
    "EchoProvider",
    "FailureKind",
    "ModelProvider",
    "ModelReply",
    "ModelRequest",
    "OpenAIProvider",
    "ProviderCallError",
    "ProviderError",
    "ProviderFactory",
    "ProviderRegistry",
    "RawUsage",
    "ScriptedProvider",
    "ToolCallRequest",
    "ToolSpec",
    "default_providers",
    "load_script",
]
