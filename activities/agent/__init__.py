"""The agent runtime inside ``run_turn``: the standard-mode loop, providers, tools and plugins.

``AgentLoop`` runs one turn over a ``SessionRuntime`` (tools, plugins, interpreter); providers
live in ``activities.agent.providers`` and tools in ``activities.agent.tools``.
"""

from activities.agent._runtime import SessionRuntime
from activities.agent.loop import AgentLoop, LoopHooks, LoopResult, PendingChild
from activities.agent.plugins import NotesPlugin, Plugin, PluginSession, RememberTool

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
