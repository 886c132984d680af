"""Plugins with lash's snapshot and fingerprint rules (spec §8.3), and one built-in: notes.

A plugin keeps session state and a revision that goes up only when that state changes. The
session's fingerprint hashes every plugin's (id, version, revision), so ``refresh_plugin_snapshots``
writes a new plugin blob only after some plugin really changed. ``NotesPlugin`` (with its
``remember`` tool) is the built-in that makes this path run in every demo and test.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel

from activities.agent.tools import (
    BUILTIN_SOURCE,
    ToolContext,
    ToolOutput,
    adapted,
    string_parameter,
)
from checkpoint.model import PluginSessionSnapshot, snapshot_revision_fingerprint


class Plugin(Protocol):
    """A session plugin: identity, a revision counter, and JSON state it can restore."""

    plugin_id: str
    plugin_version: str
    revision: int

    def state(self) -> Any:
        """JSON state for the snapshot's ``meta.state``."""
        ...

    def restore(self, revision: int, state: Any) -> None:
        """Take the state and revision from a snapshot entry."""
        ...


class PluginSession:
    """The session's plugins, in session order."""

    def __init__(self, plugins: list[Plugin]) -> None:
        self.plugins = plugins

    def snapshot_revision_fingerprint(self) -> int:
        """Spec §8.3, via the model's function: changes only when some plugin's revision does."""
        return snapshot_revision_fingerprint(
            (p.plugin_id, p.plugin_version, p.revision) for p in self.plugins
        )

    def snapshot(self) -> PluginSessionSnapshot:
        """One entry per plugin with its revision and state."""
        return PluginSessionSnapshot.model_validate(
            {
                "plugins": {
                    p.plugin_id: {
                        "meta": {
                            "plugin_id": p.plugin_id,
                            "plugin_version": p.plugin_version,
                            "revision": p.revision,
                            "state": p.state(),
                        },
                        "artifacts": [],
                    }
                    for p in self.plugins
                }
            }
        )

    def restore(self, snapshot: PluginSessionSnapshot | None) -> None:
        """Give each plugin its entry; a plugin without one keeps its fresh state (spec §8.3)."""
        entries = snapshot.plugins if snapshot is not None else {}
        for plugin in self.plugins:
            entry = entries.get(plugin.plugin_id)
            if entry is not None:
                plugin.restore(entry.meta.revision, entry.meta.state)


class NotesPlugin:
    """Remembers notes the model asks it to keep; each new note bumps the revision."""

    plugin_id = "lash.notes"
    plugin_version = "1"

    def __init__(self) -> None:
        self.revision = 0
        self.notes: list[str] = []

    def state(self) -> Any:
        return {"notes": list(self.notes)}

    def restore(self, revision: int, state: Any) -> None:
        self.revision = revision
        notes = state.get("notes", []) if isinstance(state, dict) else []
        self.notes = [str(n) for n in notes]

    def add(self, note: str) -> None:
        self.notes.append(note)
        self.revision += 1


class RememberTool:
    """The ``remember`` tool: stores a note in the notes plugin."""

    name = "remember"
    description = "Remember a short note for the rest of the session."
    parameters = string_parameter("note")

    def __init__(self, notes: NotesPlugin) -> None:
        self.notes = notes

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        note = args.get("note")
        if not isinstance(note, str) or not note.strip():
            return ToolOutput.failed("invalid_request", "remember needs a non-empty `note`")
        self.notes.add(note.strip()[:1000])
        return ToolOutput(value={"notes": len(self.notes.notes)}, text="noted")


class NoteArguments(BaseModel):
    note: str


REMEMBER = adapted(
    lambda parts: RememberTool(parts.notes),
    name=RememberTool.name,
    description=RememberTool.description,
    args=NoteArguments,
    source_id=BUILTIN_SOURCE,
)
