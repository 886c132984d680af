"""Conformance: journal records that ride a commit, and the one-round-trip turn read."""

from __future__ import annotations

import pytest
from conformance_base import StoreHarness
from store_fixtures import append, chain, commit, ledger, message_node

from checkpoint.errors import (
    ContractError,
    HeadRevisionConflict,
    NodeConflictError,
    OperationConflictError,
)
from checkpoint.store import CheckpointStore, TurnEffects


class EffectConformance(StoreHarness):
    """Rules every backend keeps for the effect journal inside commits."""

    async def test_effects_carried_by_a_commit_land_with_it(self, store: CheckpointStore) -> None:
        """A commit with effects: receipt, nodes and every record are there afterwards."""
        effects = TurnEffects("t1", {"model:0": {"text": "hi"}, "outcome": {"answer": "hi"}})
        receipt = await store.commit_runtime_state(
            commit("s", "s:t1:final", None, append(chain("m", 2))), effects=effects
        )
        assert receipt.head_revision == 1
        assert await store.load_effects("s", "t1") == {
            "model:0": {"text": "hi"}, "outcome": {"answer": "hi"},
        }
        assert await store.load_effects("s", "t2") == {}

    async def test_a_refused_commit_writes_none_of_its_effects(
        self, store: CheckpointStore
    ) -> None:
        """Head conflict, node conflict: the commit's records are not journaled either."""
        first = append([message_node("m", None)])
        await store.commit_runtime_state(commit("s", "op1", None, first))
        with pytest.raises(HeadRevisionConflict):
            await store.commit_runtime_state(
                commit("s", "op2", 7), effects=TurnEffects("t", {"model:0": "stale"})
            )
        clash = append([message_node("m", None, "other text")])
        with pytest.raises(NodeConflictError):
            await store.commit_runtime_state(
                commit("s", "op3", 1, clash), effects=TurnEffects("t", {"outcome": "clash"})
            )
        assert await store.load_effects("s", "t") == {}
        assert await store.load_head_revision("s") == 1

    async def test_an_operation_retry_returns_the_first_receipt_and_writes_no_effects(
        self, store: CheckpointStore
    ) -> None:
        """The same operation again (other effects): first receipt, first records, nothing new."""
        first = await store.commit_runtime_state(
            commit("s", "op1", None, usage_deltas=[ledger()]),
            effects=TurnEffects("t", {"outcome": "first"}),
        )
        again = await store.commit_runtime_state(
            commit("s", "op1", 1, usage_deltas=[ledger()]),
            effects=TurnEffects("t", {"outcome": "second", "model:9": "late"}),
        )
        assert again == first
        assert await store.load_effects("s", "t") == {"outcome": "first"}
        with pytest.raises(OperationConflictError):
            await store.commit_runtime_state(
                commit("s", "op1", 1, usage_deltas=[ledger(input_tokens=99)]),
                effects=TurnEffects("t", {"outcome": "third"}),
            )
        assert await store.load_effects("s", "t") == {"outcome": "first"}

    async def test_a_key_journaled_before_keeps_its_first_outcome(
        self, store: CheckpointStore
    ) -> None:
        """First write wins per key, whether the first write was record_effect or a commit."""
        await store.record_effect("s", "t", "model:0", {"text": "first"})
        await store.commit_runtime_state(
            commit("s", "op1", None),
            effects=TurnEffects("t", {"model:0": {"text": "second"}, "outcome": 1}),
        )
        assert await store.record_effect("s", "t", "outcome", 2) == 1
        assert await store.load_effects("s", "t") == {"model:0": {"text": "first"}, "outcome": 1}

    async def test_an_effect_that_is_not_json_is_refused_before_anything_is_written(
        self, store: CheckpointStore
    ) -> None:
        """NaN or an object JSON cannot hold: ContractError naming the key; no commit lands."""
        with pytest.raises(ContractError, match="'outcome' of turn 't'"):
            await store.commit_runtime_state(
                commit("s", "op1", None), effects=TurnEffects("t", {"outcome": float("nan")})
            )
        with pytest.raises(ContractError, match="'model:0' of turn 't'"):
            await store.record_effect("s", "t", "model:0", object())
        assert await store.load_head_revision("s") is None
        assert await store.load_effects("s", "t") == {}

    async def test_load_turn_reads_head_receipt_and_journal_at_once(
        self, store: CheckpointStore
    ) -> None:
        """Before anything: nothing; after a commit with effects: revision, receipt, records."""
        empty = await store.load_turn("s", "t", "s:t:final")
        assert (empty.head_revision, empty.receipt, empty.effects) == (None, None, {})
        await store.record_effect("s", "t", "model:0", {"text": "a"})
        receipt = await store.commit_runtime_state(
            commit("s", "s:t:final", None), effects=TurnEffects("t", {"outcome": {"n": 1}})
        )
        start = await store.load_turn("s", "t", "s:t:final")
        assert start.head_revision == 1
        assert start.receipt == receipt
        assert start.effects == {"model:0": {"text": "a"}, "outcome": {"n": 1}}
        other = await store.load_turn("s", "u", "s:u:final")
        assert (other.head_revision, other.receipt, other.effects) == (1, None, {})
