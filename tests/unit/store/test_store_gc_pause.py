"""The cyclic GC is paused around the node parse and always restored afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from store_fixtures import chain

from checkpoint._gc_pause import cyclic_gc_paused
from checkpoint.errors import NodeCorruptError
from checkpoint.store import _node_cache
from checkpoint.store._node_cache import NodeCache


@pytest.fixture(autouse=True)
def _gc_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_pause_disables_gc_inside_and_enables_it_after() -> None:
    """Inside the block GC is off; after it, on again."""
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_pause_enables_gc_again_when_the_block_raises() -> None:
    """An error in the block still turns GC back on, and propagates."""
    with pytest.raises(ValueError, match="boom"), cyclic_gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_gc_off_for_the_outer_one() -> None:
    """An inner pause (or anyone's gc.disable) is not undone by the pause ending."""
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    gc.disable()
    with cyclic_gc_paused():
        pass
    assert not gc.isenabled()


def test_the_node_parse_runs_with_gc_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    """NodeCache.parse validates its rows with GC off and restores it, even on bad JSON."""
    seen: list[bool] = []
    real = _node_cache._validator()

    def spy(text: str) -> Any:
        seen.append(gc.isenabled())
        return real(text)

    monkeypatch.setattr(_node_cache, "_validator", lambda: spy)
    nodes = chain("m", 3)
    assert NodeCache().parse([n.model_dump_json() for n in nodes], "s") == nodes
    assert seen == [False] * 3 and gc.isenabled()
    with pytest.raises(NodeCorruptError, match="node_id"):
        NodeCache().parse(['{"kind": "event"}'], "s")
    assert gc.isenabled()


def test_what_a_pause_kept_goes_to_the_oldest_generation_unwalked() -> None:
    """Objects made in the block are not left young for the next collections to walk again."""
    gc.unfreeze()  # an in-process `show` earlier in the run froze the heap, which skips this
    with cyclic_gc_paused():
        kept = [[i] for i in range(5_000)]  # lists are tracked from birth (small dicts are not)
        assert gc.get_count()[0] >= 5_000
    assert gc.get_count()[0] < 100
    assert _in_generation(kept, 2) and _in_generation(kept[0], 2)


def _in_generation(obj: object, generation: int) -> bool:
    return any(o is obj for o in gc.get_objects(generation=generation))


def test_a_pause_leaves_objects_frozen_on_purpose_frozen() -> None:
    """A process that froze its heap (a pre-fork server) keeps it frozen across a pause."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with cyclic_gc_paused():
            made = [{} for _ in range(100)]
        assert gc.get_freeze_count() == frozen and made
    finally:
        gc.unfreeze()
