"""The usage ledger the workflow keeps from turn outcomes, so the usage query needs no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from checkpoint.model import SessionUsageReport, TokenLedgerEntry, merge_ledger_entry


def merge_ledger(
    ledger: Sequence[TokenLedgerEntry], deltas: Sequence[TokenLedgerEntry]
) -> list[TokenLedgerEntry]:
    """A new ledger with ``deltas`` added by (source, model), by the runtime's merge rule."""
    merged = [entry.model_copy(deep=True) for entry in ledger]
    for delta in deltas:
        merge_ledger_entry(merged, delta)
    return merged


def usage_report(ledger: Sequence[TokenLedgerEntry]) -> SessionUsageReport:
    """``SessionUsageReport::from_entries`` of the ledger (spec §6)."""
    return SessionUsageReport.from_entries(list(ledger))
