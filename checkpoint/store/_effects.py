"""The effect journal's shapes: records that ride a commit, and what a turn reads first.

A record journaled on its own costs a transaction (an fsync on SQLite). When nothing runs between
an effect completing and the next commit (a turn's last model reply, its outcome), writing the
record inside that commit buys the same crash safety for one transaction less: either both land
or neither does, and a retry that finds neither simply redoes the effect.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checkpoint.errors import ContractError
from checkpoint.model import CommitReceipt


@dataclass(frozen=True, slots=True)
class TurnEffects:
    """Journal records of one turn that land atomically with a commit of the same session.

    First write wins per key, as with ``record_effect``; a commit refused, or answered with the
    first receipt of its operation id, writes none of them."""

    turn_id: str
    outcomes: Mapping[str, Any] = field(default_factory=dict)

    def texts(self) -> dict[str, str]:
        """Each outcome as compact JSON; refuses (before any write) one that is not JSON."""
        return {key: effect_text(self.turn_id, key, value) for key, value in self.outcomes.items()}


@dataclass(frozen=True, slots=True)
class TurnStart:
    """What a turn reads before it runs, in one round trip: the head revision (None: no
    session yet), the receipt of one operation (None: not landed) and the turn's journal."""

    head_revision: int | None
    receipt: CommitReceipt | None
    effects: dict[str, Any]


def effect_text(turn_id: str, key: str, value: Any) -> str:
    """Compact JSON of one outcome, or a ``ContractError`` naming the record."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ContractError(f"effect {key!r} of turn {turn_id!r} is not JSON: {exc}") from exc


__all__ = ["TurnEffects", "TurnStart", "effect_text"]
