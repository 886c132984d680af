"""The live objects of one session on a worker: tools, plugins and the code-mode interpreter.

They are rebuilt from a state's inline snapshots (spec §14.B: tools, plugins, execution state)
and kept in the worker cache between turns, so a warm session skips unpickling its globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from activities.agent._messages import ChatView
from activities.agent.plugins import NotesPlugin, PluginSession, RememberTool
from activities.agent.tools import (
    PythonInterpreter,
    PythonTool,
    SpawnAgentTool,
    ToolRegistry,
    WordCountTool,
)
from checkpoint.model import PluginSessionSnapshot, ToolState


@dataclass
class SessionRuntime:
    """Tools, plugins and interpreter of one session."""

    registry: ToolRegistry
    plugins: PluginSession
    interpreter: PythonInterpreter
    chat: ChatView = field(default_factory=ChatView)
    """The conversation in chat form, converted once per message."""

    @classmethod
    def build(
        cls,
        *,
        exec_key: bytes,
        tool_state: ToolState | None = None,
        plugin_snapshot: PluginSessionSnapshot | None = None,
        execution_state: bytes | None = None,
    ) -> SessionRuntime:
        """Fresh objects, then the snapshots applied; tampered execution state raises."""
        interpreter = PythonInterpreter.from_signed(execution_state, exec_key)
        notes = NotesPlugin()
        registry = ToolRegistry.with_tools(
            [PythonTool(interpreter), RememberTool(notes), SpawnAgentTool(), WordCountTool()]
        )
        registry.restore(tool_state)
        plugins = PluginSession([notes])
        plugins.restore(plugin_snapshot)
        return cls(registry=registry, plugins=plugins, interpreter=interpreter)

    # --- PluginSessionLike: what PersistedSessionState.refresh_plugin_snapshots reads -----------

    def tool_registry_generation(self) -> int:
        return self.registry.generation

    def export_tool_state(self) -> ToolState:
        return self.registry.export_state()

    def snapshot_revision_fingerprint(self) -> int:
        return self.plugins.snapshot_revision_fingerprint()

    def snapshot(self) -> PluginSessionSnapshot:
        return self.plugins.snapshot()
