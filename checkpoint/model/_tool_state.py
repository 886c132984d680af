"""ToolState, the tool registry snapshot, and its generation rules (spec §8.2).

The generation is a local optimistic counter, not a global version: it starts at 0, every
change to the live registry adds 1, ``apply_state`` requires the snapshot's generation to equal
the live one and then adds 1, a fork starts at ``max(generation, 1)``, and a loaded snapshot is
normalised to generation 1 to match a freshly built registry.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

from checkpoint.errors import ToolStateGenerationMismatch

from ._serde import SORTED_KEYS, U64, OpaqueJson, SerdeModel, sorted_map


def _sort_availability_modes(manifest: Any) -> Any:
    """``ToolAvailabilityConfig.modes`` is a HashMap in lash; write it sorted (spec §0.1.7)."""
    availability = manifest.get("availability") if type(manifest) is dict else None
    if type(availability) is dict and type(availability.get("modes")) is dict:
        availability["modes"] = sorted_map(availability["modes"])
    return manifest


class ToolStateEntry(SerdeModel):
    """``{manifest, source_id}``; the manifest is kept opaque (its key order as written)."""

    manifest: Annotated[OpaqueJson, AfterValidator(_sort_availability_modes)]
    source_id: str


class ToolState(SerdeModel):
    """``{generation, tools}``: both keys required; ``tools`` is a BTreeMap (sorted)."""

    generation: U64
    tools: Annotated[dict[str, ToolStateEntry], SORTED_KEYS]

    def normalized(self) -> ToolState:
        """``normalize_tool_state``: the same tools at generation 1, as lash's facade restores."""
        return self.model_copy(update={"generation": 1}, deep=True)


class ToolRegistryState:
    """The live registry's state: the generation counter and the tools, with lash's rules."""

    def __init__(self, generation: int = 0, tools: dict[str, ToolStateEntry] | None = None) -> None:
        self.generation = generation
        self.tools: dict[str, ToolStateEntry] = dict(tools or {})

    def upsert(self, name: str, manifest: Any, source_id: str) -> int:
        """Add or replace a tool; a change bumps the generation."""
        self.tools[name] = ToolStateEntry(manifest=manifest, source_id=source_id)
        self.generation += 1
        return self.generation

    def remove(self, name: str) -> int:
        """Remove a tool; a change bumps the generation."""
        if self.tools.pop(name, None) is not None:
            self.generation += 1
        return self.generation

    def export_state(self) -> ToolState:
        """A snapshot at the current generation."""
        return ToolState(generation=self.generation, tools=dict(self.tools))

    def apply_state(self, next_state: ToolState) -> int:
        """Replace the tools; the snapshot must be at the live generation. Returns the new one."""
        if next_state.generation != self.generation:
            raise ToolStateGenerationMismatch(next_state.generation, self.generation)
        self.tools = {k: v.model_copy(deep=True) for k, v in next_state.tools.items()}
        self.generation += 1
        return self.generation

    @classmethod
    def fork_with_state(cls, snapshot: ToolState) -> ToolRegistryState:
        """A registry that starts from ``snapshot`` at ``max(generation, 1)``."""
        return cls(max(snapshot.generation, 1), dict(snapshot.tools))
