"""The tool registry: live tool implementations over the model's ToolState rules (spec §8.2).

The generation bookkeeping is ``checkpoint.model.ToolRegistryState`` (every change bumps it,
``apply_state`` needs an equal generation). A registry built in one go starts at generation 1,
the value lash normalises loaded snapshots to, so a restored session whose tool set is unchanged
keeps its generation and its ToolState blob.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from activities.agent.providers import ToolSpec
from activities.agent.tools._types import Tool
from checkpoint.model import ToolRegistryState, ToolState, ToolStateEntry

SOURCE_ID = "lash-temporal:builtin"


def _manifest(tool: Tool) -> dict[str, Any]:
    return {"description": tool.description, "name": tool.name}


class ToolRegistry:
    """The session's tools: the implementations this worker has, and the enabled set."""

    def __init__(self) -> None:
        self._impls: dict[str, Tool] = {}
        self.state = ToolRegistryState()

    @classmethod
    def with_tools(cls, tools: Iterable[Tool]) -> ToolRegistry:
        """A registry holding ``tools``, built as one change (generation 1)."""
        registry = cls()
        entries = {}
        for tool in tools:
            registry._impls[tool.name] = tool
            entries[tool.name] = ToolStateEntry(manifest=_manifest(tool), source_id=SOURCE_ID)
        registry.state = ToolRegistryState(1, entries)
        return registry

    @property
    def generation(self) -> int:
        return self.state.generation

    def register(self, tool: Tool) -> None:
        """Add or replace a tool and enable it (one change)."""
        self._impls[tool.name] = tool
        self.state.upsert(tool.name, _manifest(tool), SOURCE_ID)

    def remove(self, name: str) -> None:
        """Disable a tool (one change when it was enabled)."""
        self.state.remove(name)

    def get(self, name: str) -> Tool | None:
        """The enabled tool called ``name``, or None."""
        return self._impls.get(name) if name in self.state.tools else None

    def specs(self) -> list[ToolSpec]:
        """What the model is offered: enabled tools this worker implements, sorted by name."""
        return [
            ToolSpec(name=t.name, description=t.description, parameters=t.parameters)
            for name, t in sorted(self._impls.items())
            if name in self.state.tools
        ]

    def export_state(self) -> ToolState:
        """The ToolState at the current generation."""
        return self.state.export_state()

    def apply_state(self, state: ToolState) -> None:
        """Adopt ``state``'s tool set; ToolStateGenerationMismatch unless the generations match."""
        self.state.apply_state(state)

    def restore(self, state: ToolState | None) -> None:
        """Bring a loaded snapshot in as lash's facade does (normalised to generation 1).

        An unchanged tool set is left alone so the generation, and the stored blob, stay put.
        """
        if state is None or set(state.tools) == set(self.state.tools):
            return
        self.apply_state(state.model_copy(update={"generation": self.generation}, deep=True))
