"""The tool registry with lash's ToolState generation rules (spec §8.2).

The generation is a local change counter: every register, remove or applied state bumps it, and
``apply_state`` only accepts a state exported at the current generation, so a stale snapshot
cannot silently overwrite a newer tool set. A registry built in one go starts at generation 1,
the value lash normalises loaded snapshots to, so a restored session whose tool set is unchanged
keeps its ToolState blob.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from activities.agent.providers import ToolSpec
from activities.agent.tools._types import Tool
from checkpoint.errors import ModelError

SOURCE_ID = "lash-temporal:builtin"


class ToolGenerationMismatch(ModelError):
    """``apply_state`` got a ToolState from another generation than the live registry's."""

    def __init__(self, expected: int, got: int) -> None:
        self.expected, self.got = expected, got
        super().__init__(
            f"tool state generation {got} does not match the registry's generation {expected}"
        )


class ToolRegistry:
    """The session's tools: available implementations and which of them are enabled."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}
        self._enabled: set[str] = set()
        self.generation = 0

    @classmethod
    def with_tools(cls, tools: Iterable[Tool]) -> ToolRegistry:
        """A registry holding ``tools``, built as one change (generation 1)."""
        registry = cls()
        for tool in tools:
            registry._tools[tool.name] = tool
            registry._enabled.add(tool.name)
        registry.generation = 1
        return registry

    def register(self, tool: Tool) -> None:
        """Add or replace a tool and enable it."""
        self._tools[tool.name] = tool
        self._enabled.add(tool.name)
        self.generation += 1

    def remove(self, name: str) -> None:
        """Disable a tool; unknown names are a no-op that still counts as a change."""
        self._enabled.discard(name)
        self.generation += 1

    def get(self, name: str) -> Tool | None:
        """The enabled tool called ``name``, or None."""
        return self._tools.get(name) if name in self._enabled else None

    def specs(self) -> list[ToolSpec]:
        """What the model is offered, sorted by name."""
        return [
            ToolSpec(name=t.name, description=t.description, parameters=t.parameters)
            for name, t in sorted(self._tools.items())
            if name in self._enabled
        ]

    def export_state(self) -> dict[str, Any]:
        """The ToolState JSON (spec §8.2): generation and sorted manifests of enabled tools."""
        return {
            "generation": self.generation,
            "tools": {
                name: {
                    "manifest": {"name": name, "description": self._tools[name].description},
                    "source_id": SOURCE_ID,
                }
                for name in sorted(self._enabled)
            },
        }

    def apply_state(self, state: dict[str, Any]) -> None:
        """Enable exactly the tools ``state`` lists that this worker has; bumps the generation.

        Raises ToolGenerationMismatch unless ``state["generation"]`` equals ours.
        """
        got = int(state.get("generation", -1))
        if got != self.generation:
            raise ToolGenerationMismatch(self.generation, got)
        self._enabled = {name for name in state.get("tools", {}) if name in self._tools}
        self.generation += 1

    def restore(self, state: dict[str, Any] | None) -> None:
        """Bring a loaded snapshot in, as lash's facade does (generation normalised to ours).

        An unchanged tool set is left alone so the generation, and the stored blob, stay put.
        """
        if state is None or set(state.get("tools", {})) == self._enabled:
            return
        self.apply_state({**state, "generation": self.generation})
