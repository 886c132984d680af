"""The token ledger as stored: one usage row per delta, and running totals kept beside them.

``merge_usage_rows`` is the ledger from the rows (a full load). ``usage_totals`` is what a
commit adds to the running totals, and ``ledger_from_totals`` reads them back (a head load).
Both sides keep the same rule: a row whose usage is empty (``TokenUsage.is_empty``) neither
adds nor places its (source, model); cached-only usage counts (spec §16.11 fixed). Rows are
ordered by (revision, ordinal), so a total's first kept row places it where the merge would.
"""

from __future__ import annotations

from checkpoint.model import TokenLedgerEntry, TokenUsage, merge_ledger_entry
from checkpoint.store._backend import UsageRow, UsageTotalRow


def _usage(r: UsageRow | UsageTotalRow) -> TokenUsage:
    return TokenUsage(
        input_tokens=r.input_tokens, output_tokens=r.output_tokens,
        cached_input_tokens=r.cached_input_tokens, reasoning_tokens=r.reasoning_tokens,
    )


def merge_usage_rows(rows: list[UsageRow]) -> list[TokenLedgerEntry]:
    """The ledger: rows merged by (source, model) in first-seen order, cached-only usage kept
    (lash's runtime rule; its SQLite store dropped it, spec §16.11)."""
    ledger: list[TokenLedgerEntry] = []
    for r in rows:
        entry = TokenLedgerEntry(source=r.source, model=r.model, usage=_usage(r))
        merge_ledger_entry(ledger, entry)
    return ledger


def usage_totals(rows: list[UsageRow]) -> list[UsageTotalRow]:
    """What one commit's usage rows add to the running totals: the rows the merge keeps."""
    return [
        UsageTotalRow(
            r.source, r.model, r.head_revision, r.ordinal, r.input_tokens, r.output_tokens,
            r.cached_input_tokens, r.reasoning_tokens,
        )
        for r in rows
        if not _usage(r).is_empty()
    ]


def ledger_from_totals(totals: list[UsageTotalRow]) -> list[TokenLedgerEntry]:
    """The ledger from running totals already in ledger order (equal to ``merge_usage_rows``
    over the rows they summed)."""
    return [TokenLedgerEntry(source=t.source, model=t.model, usage=_usage(t)) for t in totals]


__all__ = ["ledger_from_totals", "merge_usage_rows", "usage_totals"]
