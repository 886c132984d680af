"""The agent runtime inside ``run_turn``: the standard-mode loop, providers, tools and plugins.

``AgentLoop`` runs one turn over a ``SessionRuntime`` (tools, plugins, interpreter); providers
live in ``activities.agent.providers`` and tools in ``activities.agent.tools``. The names below
load on first use: the loop uses the durable turn's journal (``activities.turn``), which uses
the providers' reply model, so importing this face must not import the loop eagerly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from activities.agent._runtime import SessionRuntime
    from activities.agent.loop import AgentLoop, LoopHooks, LoopResult, PendingChild
    from activities.agent.plugins import NotesPlugin, Plugin, PluginSession, RememberTool

_LAZY = {
    "AgentLoop": "activities.agent.loop",
    "LoopHooks": "activities.agent.loop",
    "LoopResult": "activities.agent.loop",
    "NotesPlugin": "activities.agent.plugins",
    "PendingChild": "activities.agent.loop",
    "Plugin": "activities.agent.plugins",
    "PluginSession": "activities.agent.plugins",
    "RememberTool": "activities.agent.plugins",
    "SessionRuntime": "activities.agent._runtime",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'activities.agent' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AgentLoop",
    "LoopHooks",
    "LoopResult",
    "NotesPlugin",
    "PendingChild",
    "Plugin",
    "PluginSession",
    "RememberTool",
    "SessionRuntime",
]
