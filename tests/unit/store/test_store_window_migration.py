"""Migration v5 gives every stored head its node window: a store written before it has heads
after a full rewrite (the graph starts at the rewrite's first number) and heads with no node of
their own (a fork), and receipts that never recorded a window."""

from __future__ import annotations

from pathlib import Path

import pytest
from released_schema import Statements, released_schema, upgraded_postgres, upgraded_sqlite
from store_fixtures import config, message_node

from checkpoint.model import SessionHeadMeta
from checkpoint.store import CheckpointStore

_NODES = [  # seq 0-1: left out by a full rewrite at seq 2, which kept m0 and wrote n1
    ("m1", 0, "m0", 0), ("m2", 1, "m1", 0), ("m0", 2, None, 1), ("n1", 3, "m0", 1),
]


def _head(session_id: str, leaf: str | None, count: int) -> str:
    return SessionHeadMeta(
        session_id=session_id, head_revision=2, config=config(), leaf_node_id=leaf,
        graph_node_count=count,
    ).model_dump_json()


def _v4_statements(dialect: str, mark: str) -> Statements:
    """Schema v1 to v4 as released, holding two heads, their nodes and a receipt."""
    statements = released_schema(4, dialect, mark)
    marks = ",".join([mark] * 8)
    statements.append((
        "INSERT INTO lash_sessions (session_id, head_revision, head_json, checkpoint_ref, "
        f"leaf_node_id, node_count, next_seq, updated_at) VALUES ({marks})",
        [("s", 2, _head("s", "n1", 2), None, "n1", 2, 4, 1.0),
         ("fork", 1, _head("fork", "m0", 0), None, "m0", 0, 0, 1.0)],
    ))
    statements.append((
        f"INSERT INTO lash_nodes VALUES ({','.join([mark] * 7)})",
        [("s", node_id, seq, parent, message_node(node_id, parent).model_dump_json(), attached, 0)
         for node_id, seq, parent, attached in _NODES],
    ))
    statements.append((
        f"INSERT INTO lash_receipts VALUES ({','.join([mark] * 7)})",
        [("s", "op2", "hash", 2, "ab" * 32, "n1", 1.0)],
    ))
    return statements


async def _check_upgrade(store: CheckpointStore) -> None:
    head = await store.load_head("s")
    assert head is not None and head.node_window == (2, 4)
    graph = await store.load_graph_window("s", head.node_window, "n1")
    assert [n.node_id for n in graph.nodes] == ["m0", "n1"]
    fork = await store.load_head("fork")
    assert fork is not None and fork.node_window == (0, 0)
    receipt = await store.backend.read_receipt("s", "op2")
    assert receipt is not None and receipt.node_window is None


async def test_a_sqlite_store_from_v4_gets_node_windows(tmp_path: Path) -> None:
    """A v4 SQLite store's heads get the window their graph has; old receipts have none."""
    async with upgraded_sqlite(tmp_path / "v4.db", _v4_statements("sqlite", "?")) as store:
        await _check_upgrade(store)


@pytest.mark.postgres
async def test_a_postgres_store_from_v4_gets_node_windows(postgres_schema_url: str) -> None:
    """A v4 PostgreSQL store's heads get the window their graph has; old receipts have none."""
    statements = _v4_statements("postgres", "%s")
    async with upgraded_postgres(postgres_schema_url, statements) as store:
        await _check_upgrade(store)
