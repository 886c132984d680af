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
from activities.agent.tools._definition import BUILTIN_SOURCE
from activities.agent.tools._types import Tool
from checkpoint.model import ToolRegistryState, ToolState, ToolStateEntry

SOURCE_ID = BUILTIN_SOURCE
"""The source id of a tool that does not name its own."""


def _manifest(tool: Tool) -> dict[str, Any]:
    return {"description": tool.description, "name": tool.name}


def _source(tool: Tool) -> str:
    source = getattr(tool, "source_id", SOURCE_ID)
    return source if isinstance(source, str) else SOURCE_ID


class ToolRegistry:
    """The session's tools: the implementations this worker has, and the enabled set."""

    def __init__(self) -> None:
        self._impls: dict[str, Tool] = {}
        self.state = ToolRegistryState()

    @classmethod
    def with_tools(
        cls, tools: Iterable[Tool], *, enabled: Iterable[str] | None = None
    ) -> ToolRegistry:
        """A registry holding ``tools``, the ``enabled`` ones (default: all) enabled, built as
        one change (generation 1)."""
        registry = cls()
        entries = {}
        wanted = None if enabled is None else set(enabled)
        for tool in tools:
            registry._impls[tool.name] = tool
            if wanted is None or tool.name in wanted:
                entry = ToolStateEntry(manifest=_manifest(tool), source_id=_source(tool))
                entries[tool.name] = entry
        registry.state = ToolRegistryState(1, entries)
        return registry

    @property
    def generation(self) -> int:
        return self.state.generation

    def register(self, tool: Tool) -> None:
        """Add or replace a tool and enable it (one change)."""
        self._impls[tool.name] = tool
        self.state.upsert(tool.name, _manifest(tool), _source(tool))

    def remove(self, name: str) -> None:
        """Disable a tool (one change when it was enabled)."""
        self.state.remove(name)

    def select(self, names: Iterable[str]) -> None:
        """Enable exactly the tools in ``names`` that this worker implements (the session's
        policy wins over a restored snapshot); one change per tool that flips, none if the
        set is already right."""
        wanted = {name for name in names if name in self._impls}
        for name in sorted(set(self.state.tools) - wanted):
            self.state.remove(name)
        for name in sorted(wanted - set(self.state.tools)):
            tool = self._impls[name]
            self.state.upsert(name, _manifest(tool), _source(tool))

    def implements(self, name: str) -> bool:
        """Whether this worker has a tool called ``name``, enabled or not."""
        return name in self._impls

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
