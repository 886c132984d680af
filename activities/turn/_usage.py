"""Usage counting of a turn: which model calls a commit counts, and what children add.

Every model call's usage lands in the ledger exactly once, whichever commit carries it: a
progress commit counts the calls no commit counted yet and notes them in the journal (the same
transaction), and the final commit, exactly-once itself, counts the rest and every child's ledger.
"""

from __future__ import annotations

from collections.abc import Mapping

from activities.turn._journal import TurnJournal
from checkpoint.model import (
    PersistedSessionState,
    TokenLedgerEntry,
    TokenUsage,
    merge_ledger_entry,
)


def uncounted_usage(
    journal: TurnJournal, model: str, usage_by_step: Mapping[int, TokenUsage], *, final: bool
) -> list[TokenLedgerEntry]:
    """One ``("turn", model)`` delta for the model calls no commit has counted yet. Unless the
    commit is the turn's final one (exactly-once: nothing counts after it), they are noted in
    the journal, so the commit that carries the delta also records that it did (its own
    transaction) and a later commit, on this attempt or a retry, never counts them again."""
    total = TokenUsage.zero()
    for step in sorted(usage_by_step):
        if not journal.usage_counted(step):
            if not final:
                journal.defer_usage_counted(step, usage_by_step[step])
            total.add(usage_by_step[step])
    return [] if total.is_empty() else [TokenLedgerEntry(source="turn", model=model, usage=total)]


def child_deltas(journal: TurnJournal) -> list[TokenLedgerEntry]:
    """Every child's ledger under ``"subagent"``: counted by the final commit."""
    return [
        TokenLedgerEntry(source="subagent", model=e.model, usage=e.usage)
        for child in journal.children().values()
        for e in child.usage
    ]


def merge_into(state: PersistedSessionState, deltas: list[TokenLedgerEntry]) -> None:
    for delta in deltas:
        merge_ledger_entry(state.token_ledger, delta)


__all__ = ["child_deltas", "merge_into", "uncounted_usage"]
