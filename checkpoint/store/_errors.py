"""Store errors not (yet) in ``checkpoint.errors``; each subclasses its node of the tree."""

from __future__ import annotations

from checkpoint.errors import StoreError


class NodeNotFoundError(StoreError):
    """No node with this id is stored for the session (asked for by id, e.g. a history leaf)."""

    def __init__(self, session_id: str, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(
            f"session {session_id!r} has no stored node {node_id!r}", session_id=session_id
        )


__all__ = ["NodeNotFoundError"]
