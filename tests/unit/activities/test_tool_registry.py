"""ToolState generation rules of the tool registry (spec §8.2)."""

from __future__ import annotations

import pytest

from activities.agent.plugins import NotesPlugin
from activities.agent.tools import (
    PYTHON,
    WORD_COUNT,
    BoundTool,
    PythonInterpreter,
    SessionParts,
    ToolRegistry,
)
from checkpoint.model import ToolState, ToolStateGenerationMismatch

PARTS = SessionParts(interpreter=PythonInterpreter(), notes=NotesPlugin())


def _word_count() -> BoundTool:
    return WORD_COUNT.bind(PARTS)


def _registry() -> ToolRegistry:
    return ToolRegistry.with_tools([_word_count(), PYTHON.bind(PARTS)])


def test_registry_built_in_one_go_starts_at_generation_one() -> None:
    """A freshly built registry is at generation 1, the value lash normalises snapshots to."""
    assert _registry().generation == 1


def test_every_register_and_remove_bumps_the_generation() -> None:
    """Each upsert and each removal of an enabled tool counts as one change."""
    registry = ToolRegistry()
    assert registry.generation == 0
    registry.register(_word_count())
    registry.register(_word_count())
    registry.remove("word_count")
    assert registry.generation == 3
    assert registry.get("word_count") is None


def test_apply_state_requires_the_current_generation() -> None:
    """A state exported at another generation is refused and changes nothing."""
    registry = _registry()
    stale = registry.export_state()
    registry.remove("python")
    with pytest.raises(ToolStateGenerationMismatch):
        registry.apply_state(stale)
    assert registry.get("python") is None
    assert registry.generation == 2


def test_apply_state_at_equal_generation_applies_and_bumps() -> None:
    """An equal generation is accepted; the tool set follows the state, generation + 1."""
    registry = _registry()
    state = registry.export_state()
    del state.tools["python"]
    registry.apply_state(state)
    assert registry.generation == 2
    assert [s.name for s in registry.specs()] == ["word_count"]


def test_export_state_lists_sorted_manifests_with_source() -> None:
    """ToolState JSON holds the generation and one manifest + source id per enabled tool."""
    state = _registry().export_state().model_dump(mode="json")
    assert state["generation"] == 1
    assert list(state["tools"]) == ["python", "word_count"]
    assert state["tools"]["python"]["manifest"]["name"] == "python"
    assert state["tools"]["python"]["source_id"] == "lash-temporal:builtin"


def test_restore_of_an_unchanged_tool_set_keeps_the_generation() -> None:
    """Restoring a snapshot that lists the same tools leaves the generation (and blob) alone."""
    registry = _registry()
    registry.restore(registry.export_state().model_copy(update={"generation": 7}))
    assert registry.generation == 1


def test_restore_of_a_changed_tool_set_normalises_and_applies() -> None:
    """A snapshot from another generation with another tool set is applied after normalising."""
    registry = _registry()
    snapshot = ToolState.model_validate(
        {
            "generation": 9,
            "tools": {"word_count": {"manifest": {"name": "word_count"}, "source_id": "x"}},
        }
    )
    registry.restore(snapshot)
    assert [s.name for s in registry.specs()] == ["word_count"]
    assert registry.generation == 2


def test_select_enables_exactly_the_named_tools_it_implements() -> None:
    """The policy's set wins: tools flip one change each, unknown names are ignored."""
    registry = _registry()
    registry.select(["word_count", "no_such_tool"])
    assert [s.name for s in registry.specs()] == ["word_count"]
    assert registry.generation == 2
    assert registry.implements("python") and registry.get("python") is None
    registry.select(["word_count"])
    assert registry.generation == 2


def test_a_registry_built_with_an_enabled_set_starts_at_generation_one() -> None:
    """Tools left out of ``enabled`` are implemented but not in the ToolState."""
    registry = ToolRegistry.with_tools([_word_count(), PYTHON.bind(PARTS)], enabled=["python"])
    assert registry.generation == 1
    assert list(registry.export_state().tools) == ["python"]
    assert registry.implements("word_count")
