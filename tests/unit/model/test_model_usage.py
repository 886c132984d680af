"""Usage rules of spec §6: totals, the report, merge, diff and prompt-usage normalisation."""

from __future__ import annotations

import pytest

from checkpoint.errors import LedgerRegressionError
from checkpoint.model import (
    SessionUsageReport,
    TokenLedgerEntry,
    TokenUsage,
    diff_token_ledger,
    merge_ledger_entry,
    normalize_prompt_usage,
)


def _usage(i: int, o: int, c: int, r: int = 0) -> TokenUsage:
    return TokenUsage(input_tokens=i, output_tokens=o, cached_input_tokens=c, reasoning_tokens=r)


def _entry(source: str, model: str, usage: TokenUsage) -> TokenLedgerEntry:
    return TokenLedgerEntry(source=source, model=model, usage=usage)


def test_total_excludes_cached_tokens() -> None:
    """total() = input + output + reasoning."""
    assert _usage(37, 7, 8, 3).total() == 47


def test_usage_report_totals_47_and_context_55() -> None:
    """The lash test figures: in=37, out=7, cached=8, reasoning=3 give 47 and 55."""
    report = SessionUsageReport.from_entries([_entry("turn", "m", _usage(37, 7, 8, 3))])
    assert report.usage.total_tokens == 47
    assert report.usage.context_total_tokens == 55
    assert report.entry_count == 1


def test_usage_report_groups_by_source_and_model_sorted() -> None:
    """by_source/by_model are sorted maps; by_source_model keeps ledger order."""
    report = SessionUsageReport.from_entries(
        [
            _entry("turn", "b", _usage(1, 1, 0)),
            _entry("subagent", "a", _usage(2, 0, 1)),
            _entry("turn", "a", _usage(3, 0, 0)),
        ]
    )
    assert list(report.by_source) == ["subagent", "turn"]
    assert list(report.by_model) == ["a", "b"]
    assert report.by_source["turn"].input_tokens == 4
    assert [(r.source, r.model) for r in report.by_source_model] == [
        ("turn", "b"), ("subagent", "a"), ("turn", "a")
    ]
    assert list(report.model_dump(mode="json")) == [
        "entry_count", "usage", "by_source", "by_model", "by_source_model"
    ]


def test_merge_accumulates_per_source_and_model() -> None:
    """A second delta for the same (source, model) adds component-wise; others append."""
    ledger: list[TokenLedgerEntry] = []
    merge_ledger_entry(ledger, _entry("turn", "m", _usage(1, 2, 3, 4)))
    merge_ledger_entry(ledger, _entry("turn", "m", _usage(10, 20, 30, 40)))
    merge_ledger_entry(ledger, _entry("child", "m", _usage(1, 0, 0)))
    assert [(e.source, e.usage.input_tokens) for e in ledger] == [("turn", 11), ("child", 1)]
    assert ledger[0].usage == _usage(11, 22, 33, 44)


def test_merge_keeps_cached_only_usage_and_drops_all_zero() -> None:
    """Cached-only usage (total 0) is kept; an all-zero entry is dropped (runtime rule)."""
    ledger: list[TokenLedgerEntry] = []
    merge_ledger_entry(ledger, _entry("child", "m", _usage(0, 0, 5)))
    merge_ledger_entry(ledger, _entry("turn", "m", _usage(0, 0, 0)))
    assert [(e.source, e.usage.cached_input_tokens) for e in ledger] == [("child", 5)]


def test_merge_does_not_alias_the_pushed_entry() -> None:
    """Merging into a row never changes the caller's entry object."""
    first = _entry("turn", "m", _usage(1, 0, 0))
    ledger: list[TokenLedgerEntry] = []
    merge_ledger_entry(ledger, first)
    merge_ledger_entry(ledger, _entry("turn", "m", _usage(1, 0, 0)))
    assert first.usage.input_tokens == 1


def test_diff_token_ledger_sorted_and_skips_zero() -> None:
    """after - before per key, sorted by (source, model), zero deltas skipped, cached kept."""
    before = [_entry("turn", "m", _usage(1, 1, 1)), _entry("same", "m", _usage(2, 2, 2))]
    after = [
        _entry("turn", "m", _usage(3, 1, 1)),
        _entry("same", "m", _usage(2, 2, 2)),
        _entry("child", "m", _usage(0, 0, 4)),
    ]
    diff = diff_token_ledger(before, after)
    assert [(e.source, e.usage.input_tokens, e.usage.cached_input_tokens) for e in diff] == [
        ("child", 0, 4), ("turn", 2, 0)
    ]


def test_diff_token_ledger_refuses_a_regression() -> None:
    """A component that went down raises LedgerRegressionError naming it."""
    with pytest.raises(LedgerRegressionError, match="cached_input_tokens 5 -> 4"):
        diff_token_ledger(
            [_entry("turn", "m", _usage(1, 1, 5))], [_entry("turn", "m", _usage(1, 1, 4))]
        )


def test_normalize_prompt_usage_input_includes_cached() -> None:
    """Default providers: context = input, budget = (input - cached) + output + cached."""
    usage = normalize_prompt_usage(_usage(2410, 96, 1920), input_usage_excludes_cached_tokens=False)
    assert usage is not None
    assert usage.model_dump() == {
        "prompt_context_tokens": 2410, "input_tokens": 2410,
        "cached_input_tokens": 1920, "context_budget_tokens": 2506,
    }


def test_normalize_prompt_usage_input_excludes_cached() -> None:
    """Providers whose input excludes cached: context = input + cached."""
    usage = normalize_prompt_usage(_usage(100, 10, 50), input_usage_excludes_cached_tokens=True)
    assert usage is not None
    assert (usage.prompt_context_tokens, usage.context_budget_tokens) == (150, 160)


def test_normalize_prompt_usage_none_when_empty() -> None:
    """No input, cached or output tokens: None (reasoning alone does not count)."""
    reasoning_only = _usage(0, 0, 0, 9)
    assert normalize_prompt_usage(reasoning_only, input_usage_excludes_cached_tokens=False) is None
    clamped = normalize_prompt_usage(_usage(-5, 1, 0), input_usage_excludes_cached_tokens=False)
    assert clamped is not None and clamped.input_tokens == 0
