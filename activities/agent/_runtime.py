"""The live objects of one session on a worker: tools, plugins and the code-mode interpreter.

They are rebuilt from a state's inline snapshots (spec §14.B: tools, plugins, execution state)
and kept in the worker cache between turns, so a warm session skips unpickling its globals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from activities.agent._context_window import (
    Prompt,
    WindowPolicy,
    context_window,
    rolling_history,
)
from activities.agent._messages import ChatView
from activities.agent.plugins import NotesPlugin, PluginSession
from activities.agent.tools import PythonInterpreter, SessionParts, ToolCatalog, ToolRegistry
from activities.contract import PromptWindow
from checkpoint.model import Message, PluginSessionSnapshot, ToolState


@dataclass
class SessionRuntime:
    """Tools, plugins and interpreter of one session."""

    registry: ToolRegistry
    plugins: PluginSession
    interpreter: PythonInterpreter
    chat: ChatView = field(default_factory=ChatView)
    """The conversation in chat form, converted once per message."""
    last_prompt: PromptWindow | None = None
    """The window of the latest prompt built; ``run_turn`` clears it when a turn starts and
    reports it in the turn's outcome."""

    @classmethod
    def build(
        cls,
        *,
        exec_key: bytes,
        tools: ToolCatalog,
        enabled: Sequence[str],
        tool_state: ToolState | None = None,
        plugin_snapshot: PluginSessionSnapshot | None = None,
        execution_state: bytes | None = None,
    ) -> SessionRuntime:
        """Fresh objects, then the snapshots applied; tampered execution state raises. Every
        tool of ``tools`` is bound to this session; ``enabled`` (the policy's choice) wins over
        the tool set of a restored snapshot."""
        interpreter = PythonInterpreter.from_signed(execution_state, exec_key)
        notes = NotesPlugin()
        registry = tools.bind(SessionParts(interpreter=interpreter, notes=notes), enabled)
        registry.restore(tool_state)
        registry.select(enabled)
        plugins = PluginSession([notes])
        plugins.restore(plugin_snapshot)
        return cls(registry=registry, plugins=plugins, interpreter=interpreter)

    def prompt(self, messages: Sequence[Message], policy: WindowPolicy) -> Prompt:
        """What the next model call is sent: the newest part of ``messages`` (the active path)
        that fits the policy's context window (``rolling_history``, the standard approach)."""
        self.chat.update(messages)
        prompt = rolling_history(
            self.chat, window=context_window(policy), tools=self.registry.specs()
        )
        self.last_prompt = prompt.window
        return prompt

    # --- PluginSessionLike: what PersistedSessionState.refresh_plugin_snapshots reads -----------

    def tool_registry_generation(self) -> int:
        return self.registry.generation

    def export_tool_state(self) -> ToolState:
        return self.registry.export_state()

    def snapshot_revision_fingerprint(self) -> int:
        return self.plugins.snapshot_revision_fingerprint()

    def snapshot(self) -> PluginSessionSnapshot:
        return self.plugins.snapshot()
