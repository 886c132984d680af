"""Usage types and rules (spec §6; lash-core ``runtime/usage.rs``).

``TokenUsage.total()`` excludes cached tokens. The runtime merge keeps cached-only usage; we use
that one rule everywhere (DESIGN: the SQLite load-time merge that drops it is a quirk we fix).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, SerializerFunctionWrapHandler, WrapSerializer

from checkpoint.errors import LedgerRegressionError

from ._serde import I64, SORTED_KEYS, SerdeModel, Usize

_COMPONENTS = ("input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens")


class TokenUsage(SerdeModel):
    """Token counts (i64). The first three keys are required; ``reasoning_tokens`` defaults to 0."""

    input_tokens: I64
    output_tokens: I64
    cached_input_tokens: I64
    reasoning_tokens: I64 = 0

    @classmethod
    def zero(cls) -> TokenUsage:
        """``TokenUsage::default()``."""
        return cls(input_tokens=0, output_tokens=0, cached_input_tokens=0)

    def total(self) -> int:
        """input + output + reasoning; cached is excluded (it is part of input accounting)."""
        return self.input_tokens + self.output_tokens + self.reasoning_tokens

    def add(self, other: TokenUsage) -> None:
        """Component-wise, in place (lash's ``add(&mut self, …)``)."""
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cached_input_tokens += other.cached_input_tokens
        self.reasoning_tokens += other.reasoning_tokens

    def is_empty(self) -> bool:
        """True when the runtime merge would drop it: no total and no cached tokens."""
        return self.total() == 0 and self.cached_input_tokens == 0


class PromptUsage(SerdeModel):
    """Normalised usage of the most recent LLM call (usize fields)."""

    prompt_context_tokens: Usize
    input_tokens: Usize
    cached_input_tokens: Usize
    context_budget_tokens: Usize = 0


class TokenLedgerEntry(SerdeModel):
    """One ledger row per (source, model), accumulated."""

    source: str
    model: str
    usage: TokenUsage


def _compact_counts(entries: Any, handler: SerializerFunctionWrapHandler) -> Any:
    data = handler(entries)
    for entry in data:
        usage = entry["usage"]
        for name in _COMPONENTS:
            if usage.get(name) == 0:
                del usage[name]
    return data


def _filled_counts(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [
        {**e, "usage": {**dict.fromkeys(_COMPONENTS, 0), **e["usage"]}}
        if isinstance(e, dict) and isinstance(e.get("usage"), dict) else e
        for e in value
    ]


WireLedger = Annotated[
    list[TokenLedgerEntry], BeforeValidator(_filled_counts), WrapSerializer(_compact_counts)
]
"""Ledger entries as workflow payloads carry them: without the counts that are zero (most
entries have no cached or reasoning tokens), since a turn's usage is written to history once per
turn and read back with the zeros filled in. The store and the state keep lash's serde form."""


class UsageTotals(SerdeModel):
    """Totals with ``total_tokens`` (= in+out+reasoning) and ``context_total_tokens`` (+cached)."""

    input_tokens: I64
    output_tokens: I64
    cached_input_tokens: I64
    reasoning_tokens: I64 = 0
    total_tokens: I64
    context_total_tokens: I64

    @classmethod
    def from_usage(cls, usage: TokenUsage) -> UsageTotals:
        total = usage.total()
        return cls(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            total_tokens=total,
            context_total_tokens=total + usage.cached_input_tokens,
        )


class UsageReportRow(SerdeModel):
    """One ``by_source_model`` row, in ledger order."""

    source: str
    model: str
    usage: UsageTotals


class SessionUsageReport(SerdeModel):
    """The cost report of a ledger; the two maps are BTreeMaps (sorted)."""

    entry_count: Usize
    usage: UsageTotals
    by_source: Annotated[dict[str, UsageTotals], SORTED_KEYS]
    by_model: Annotated[dict[str, UsageTotals], SORTED_KEYS]
    by_source_model: list[UsageReportRow]

    @classmethod
    def from_entries(cls, entries: list[TokenLedgerEntry]) -> SessionUsageReport:
        total = TokenUsage.zero()
        by_source: dict[str, TokenUsage] = {}
        by_model: dict[str, TokenUsage] = {}
        rows = []
        for entry in entries:
            total.add(entry.usage)
            by_source.setdefault(entry.source, TokenUsage.zero()).add(entry.usage)
            by_model.setdefault(entry.model, TokenUsage.zero()).add(entry.usage)
            rows.append(
                UsageReportRow(
                    source=entry.source,
                    model=entry.model,
                    usage=UsageTotals.from_usage(entry.usage),
                )
            )
        return cls(
            entry_count=len(entries),
            usage=UsageTotals.from_usage(total),
            by_source={k: UsageTotals.from_usage(v) for k, v in by_source.items()},
            by_model={k: UsageTotals.from_usage(v) for k, v in by_model.items()},
            by_source_model=rows,
        )


def merge_ledger_entry(ledger: list[TokenLedgerEntry], entry: TokenLedgerEntry) -> None:
    """Add ``entry`` into its (source, model) row, or append a row; drop only all-zero usage.

    Cached-only usage (total 0, cached > 0) is kept, as lash's runtime merge does.
    """
    if entry.usage.is_empty():
        return
    for existing in ledger:
        if existing.source == entry.source and existing.model == entry.model:
            existing.usage.add(entry.usage)
            return
    ledger.append(entry.model_copy(deep=True))


def merge_usage_delta_entries(entries: list[TokenLedgerEntry]) -> list[TokenLedgerEntry]:
    """Fold a list of deltas into one row per (source, model), first-seen order."""
    merged: list[TokenLedgerEntry] = []
    for entry in entries:
        merge_ledger_entry(merged, entry)
    return merged


def diff_token_ledger(
    before: list[TokenLedgerEntry], after: list[TokenLedgerEntry]
) -> list[TokenLedgerEntry]:
    """``after - before`` per (source, model), sorted by key, zero deltas skipped.

    Raises LedgerRegressionError when any component went down (a ledger only grows).
    """
    before_index = {(e.source, e.model): e.usage for e in before}
    after_index = {(e.source, e.model): e.usage for e in after}
    out = []
    for source, model in sorted(before_index.keys() | after_index.keys()):
        old = before_index.get((source, model)) or TokenUsage.zero()
        new = after_index.get((source, model)) or TokenUsage.zero()
        values = {}
        for component in _COMPONENTS:
            delta = getattr(new, component) - getattr(old, component)
            if delta < 0:
                raise LedgerRegressionError(
                    source, model, component, getattr(old, component), getattr(new, component)
                )
            values[component] = delta
        usage = TokenUsage(**values)
        if not usage.is_empty():
            out.append(TokenLedgerEntry(source=source, model=model, usage=usage))
    return out


def normalize_prompt_usage(
    usage: TokenUsage, *, input_usage_excludes_cached_tokens: bool
) -> PromptUsage | None:
    """The PromptUsage of the last call, or None when input, cached and output are all 0.

    ``input_usage_excludes_cached_tokens`` is the provider's flag (lash asks the provider).
    """
    input_tokens = max(usage.input_tokens, 0)
    output_tokens = max(usage.output_tokens, 0)
    cached = max(usage.cached_input_tokens, 0)
    if input_tokens == 0 and cached == 0 and output_tokens == 0:
        return None
    if input_usage_excludes_cached_tokens:
        prompt_context, adjusted_input = input_tokens + cached, input_tokens
    else:
        prompt_context, adjusted_input = input_tokens, max(input_tokens - cached, 0)
    return PromptUsage(
        prompt_context_tokens=prompt_context,
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        context_budget_tokens=adjusted_input + output_tokens + cached,
    )
