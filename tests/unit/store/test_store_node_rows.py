"""A damaged node row fails the load that reads it, naming the session, the node and the row.

Rows are damaged in the SQLite file behind the store's back, as a disk or a hand edit would;
every load that validates them (cold cache or not) must refuse them, never skip or repair them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from store_fixtures import append, chain, commit

from checkpoint.errors import NodeCorruptError, StoreError, is_retryable
from checkpoint.store import CheckpointStore, make_store

NODES = chain("m", 4)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CheckpointStore]:
    opened = await make_store(f"sqlite:///{tmp_path / 'store.db'}").setup()
    await opened.commit_runtime_state(commit("s", "op1", None, append(NODES)))
    yield opened
    await opened.close()


def _damage(store: CheckpointStore, node_id: str, text: str) -> None:
    conn: sqlite3.Connection = store.backend.conn  # type: ignore[attr-defined]
    conn.execute(
        "UPDATE lash_nodes SET node_json = ? WHERE session_id = 's' AND node_id = ?",
        (text, node_id),
    )


def _good(i: int) -> str:
    return NODES[i].model_dump_json()


DAMAGE = [
    pytest.param(_good(2).replace('"role":"User"', '"role":"user"'), "m2", "role",
                 id="a value of the wrong kind"),
    pytest.param(_good(2).replace('"Conversation"', '"Talk"'), "m2", "SessionEventRecord",
                 id="an unknown variant"),
    pytest.param(_good(2).replace('"timestamp":"', '"timestamp":7,"x":"'), "m2", "timestamp",
                 id="a field of the wrong type"),
    pytest.param(_good(2)[:-3], None, "EOF", id="a cut row (not JSON)"),
    pytest.param(_good(2) + "," + _good(3), None, "trailing", id="two nodes in one row"),
]


@pytest.mark.parametrize(("text", "named", "reason"), DAMAGE)
@pytest.mark.parametrize("warm", [False, True], ids=["cold cache", "other rows cached"])
async def test_a_damaged_node_row_fails_the_load_naming_it(
    store: CheckpointStore, text: str, named: str | None, reason: str, warm: bool
) -> None:
    """The load raises NodeCorruptError (not retryable) with the session, the row's position
    in the read, its node id when the row still has one, and what was wrong."""
    if warm:
        await store.load_session("s")
    else:
        store.node_cache.clear()
    _damage(store, "m2", text)
    with pytest.raises(NodeCorruptError) as caught:
        await store.load_session("s")
    err = caught.value
    assert isinstance(err, StoreError) and not is_retryable(err)
    assert (err.session_id, err.row, err.node_id) == ("s", 2, named)
    assert reason in err.reason
    where = (f"node {named!r} (position 2 of the nodes read)" if named
             else "node at position 2 of the nodes read")
    assert f"session 's': stored {where} is damaged" in str(err)


async def test_a_damaged_row_fails_the_graph_at_a_leaf_too(store: CheckpointStore) -> None:
    """A rebuild at a past leaf reads the same rows through the same parse."""
    _damage(store, "m1", _good(1).replace('"kind":"Text"', '"kind":"Txt"'))
    damaged = r"stored node 'm1' \(position 1 of the nodes read\)"
    with pytest.raises(NodeCorruptError, match=damaged):
        await store.load_graph_at("s", "m3")


async def test_the_undamaged_rows_still_load_after_a_repair(store: CheckpointStore) -> None:
    """The refusal leaves nothing behind: once the row is right again, the load succeeds."""
    _damage(store, "m2", "{}")
    with pytest.raises(NodeCorruptError):
        await store.load_session("s")
    _damage(store, "m2", _good(2))
    read = await store.load_session("s")
    assert read is not None and read.graph.nodes == NODES
