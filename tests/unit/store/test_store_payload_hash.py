"""A commit's payload hash stays byte-identical to the one receipts were stored with."""

from __future__ import annotations

from store_fixtures import append, chain, commit, ledger, plugin_snapshot, tool_state

from checkpoint.blobs import blob_ref
from checkpoint.model import RuntimeCommit
from checkpoint.store._commit import payload_hash


def _real_commit() -> RuntimeCommit:
    return commit(
        "s", "op7", 3, append(chain("m", 4)), turn_index=5,
        usage_deltas=[ledger(), ledger("child", "m2", cached=9)],
        tool_state=tool_state(4), plugin_snapshot=plugin_snapshot(),
        plugin_snapshot_revision=2**64 - 1, execution_state=b"\x00\xff\x10",
    )


def test_payload_hash_equals_the_walked_blob_ref() -> None:
    """The hash equals blob_ref over the same dump, as receipts stored earlier computed it."""
    c = _real_commit()
    old = blob_ref(c.model_dump(mode="json", exclude={"expected_head_revision"}))
    assert payload_hash(c) == old


def test_payload_hash_is_pinned_for_a_known_commit() -> None:
    """A fixed commit keeps a fixed hash (a changed encoding would orphan stored receipts)."""
    assert payload_hash(_real_commit()) == PINNED


def test_payload_hash_ignores_only_the_expected_revision() -> None:
    """A retry expecting another revision hashes the same; other content does not."""
    c = _real_commit()
    assert payload_hash(c.model_copy(update={"expected_head_revision": 9})) == payload_hash(c)
    assert payload_hash(c.model_copy(update={"operation_id": "op8"})) != payload_hash(c)


PINNED = "9fa5218875429a0c594425f5b2a04bd69bc93c5ee22189a459dc09e361c0d9eb"
"""Computed with the old walk (blob_ref over the dump) before the walk was dropped."""
