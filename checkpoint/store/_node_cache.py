"""A bounded cache of parsed nodes, keyed by their stored JSON text.

Stored nodes are immutable and their JSON is canonical (the model's serde dump), so equal text
means an equal node, and a node parsed once can be handed out again instead of validating it on
every load; validation dominates loading a long session. The nodes not seen yet are validated
row by row, each in full, with the cyclic GC paused (``_gc_pause``): one call per row costs
the same as one call over the rows joined into a JSON array (measured at 2,000 nodes), skips
copying the joined text, cannot let a damaged row run into its neighbour, and names the row
that fails (``NodeCorruptError``). Loaded nodes are shared between loads in one process: treat
them as immutable, as lash does (graph operations add nodes, they never edit one). ``size=0``
disables the cache.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable

from pydantic import ValidationError

from checkpoint._gc_pause import cyclic_gc_paused
from checkpoint.errors import NodeCorruptError
from checkpoint.model import SessionNodeRecord


def _validator() -> Callable[[str], SessionNodeRecord]:
    """The node's JSON-text validator (looked up per parse: a model rebuild may replace it)."""
    return SessionNodeRecord.__pydantic_validator__.validate_json


class NodeCache:
    """Least-recently-used parsed nodes, at most ``size`` of them."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._nodes: OrderedDict[str, SessionNodeRecord] = OrderedDict()

    def clear(self) -> None:
        """Forget every parsed node (the next load validates everything again)."""
        self._nodes.clear()

    def parse(self, texts: list[str], session_id: str) -> list[SessionNodeRecord]:
        """The nodes for these JSON texts, validating only the ones not seen before; a row
        that is not a node raises ``NodeCorruptError`` naming ``session_id`` and the row."""
        cached = self._nodes
        found: list[SessionNodeRecord | None] = [cached.get(t) for t in texts]
        missing = [i for i, node in enumerate(found) if node is None]
        if missing:
            validate = _validator()
            with cyclic_gc_paused():
                for i in missing:
                    try:
                        found[i] = validate(texts[i])
                    except ValidationError as exc:
                        raise _damaged(session_id, i, texts[i], exc) from exc
        if self.size:
            for text, node in zip(texts, found, strict=True):
                assert node is not None
                cached[text] = node
                cached.move_to_end(text)
            while len(cached) > self.size:
                cached.popitem(last=False)
        return [node for node in found if node is not None]


def _damaged(session_id: str, row: int, text: str, exc: ValidationError) -> NodeCorruptError:
    """The error for row ``row``: its node id if the row still reads as an object that has
    one, and what was wrong (the first three of pydantic's errors, each at its JSON path)."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    node_id = doc.get("node_id") if type(doc) is dict else None
    errors = exc.errors(include_url=False, include_input=False)
    reason = "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'node'}: {e['msg']}" for e in errors[:3]
    )
    if len(errors) > 3:
        reason += f" (+{len(errors) - 3} more)"
    return NodeCorruptError(session_id, row, node_id if type(node_id) is str else None, reason)


__all__ = ["NodeCache"]
