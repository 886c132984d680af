"""A bounded cache of parsed nodes, keyed by their stored JSON text.

Stored nodes are immutable and their JSON is canonical (the model's serde dump), so equal text
means an equal node, and a node parsed once can be handed out again instead of validating it on
every load; validation dominates loading a long session. The bulk parse of the nodes not seen
yet runs with the cyclic GC paused (``_gc_pause``). Loaded nodes are shared between loads
in one process: treat them as immutable, as lash does (graph operations add nodes, they never
edit one). ``size=0`` disables the cache.
"""

from __future__ import annotations

from collections import OrderedDict

from pydantic import TypeAdapter

from checkpoint._gc_pause import cyclic_gc_paused
from checkpoint.model import SessionNodeRecord

_NODES = TypeAdapter(list[SessionNodeRecord])


class NodeCache:
    """Least-recently-used parsed nodes, at most ``size`` of them."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._nodes: OrderedDict[str, SessionNodeRecord] = OrderedDict()

    def clear(self) -> None:
        """Forget every parsed node (the next load validates everything again)."""
        self._nodes.clear()

    def parse(self, texts: list[str]) -> list[SessionNodeRecord]:
        """The nodes for these JSON texts, validating only the ones not seen before."""
        cached = self._nodes
        found: list[SessionNodeRecord | None] = [cached.get(t) for t in texts]
        missing = [i for i, node in enumerate(found) if node is None]
        if missing:
            text = "[" + ",".join(texts[i] for i in missing) + "]"
            with cyclic_gc_paused():
                parsed = _NODES.validate_json(text)
            for i, parsed_node in zip(missing, parsed, strict=True):
                found[i] = parsed_node
        if self.size:
            for text, node in zip(texts, found, strict=True):
                assert node is not None
                cached[text] = node
                cached.move_to_end(text)
            while len(cached) > self.size:
                cached.popitem(last=False)
        return [node for node in found if node is not None]


__all__ = ["NodeCache"]
