"""``gc``, ``vacuum`` and ``sessions`` run in-process against a SQLite store: what they print,
what they change (a dry run: nothing), and their usage errors."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from checkpoint.model import ChildRelation, RootRelation, SessionMeta
from checkpoint.store import open_store
from tests.unit.store.store_fixtures import append, chain, commit
from workflows.host.cli._durations import duration_text, parse_duration
from workflows.host.cli._main import run


def _meta(session_id: str, parent: str | None = None) -> SessionMeta:
    relation = ChildRelation(parent_session_id=parent) if parent else RootRelation()
    return SessionMeta(session_id=session_id, session_name=session_id, created_at="unix:1",
                       model="m", relation=relation)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A store with a root (turn 3), its child, a tombstoned node and one orphan blob."""
    url = f"sqlite:///{tmp_path / 'store.db'}"

    async def fill() -> None:
        store = await open_store(url)
        await store.commit_runtime_state(commit("root", "op1", None, append(chain("m", 3)),
                                                turn_index=3), metas=[_meta("root")])
        await store.commit_runtime_state(commit("kid", "op1", None),
                                         metas=[_meta("kid", "root")])
        await store.tombstone_nodes("root", ["m2"])
        await store.put_blob({"orphan": True})
        await store.close()

    asyncio.run(fill())
    return url


def _rows(url: str, table: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_durations_parse_and_print() -> None:
    """``30d``, ``12h``, ``1.5h`` parse; the text form uses the largest exact unit."""
    assert parse_duration("30d", "--x") == timedelta(days=30)
    assert parse_duration(" 12H ", "--x") == timedelta(hours=12)
    assert parse_duration("1.5h", "--x") == timedelta(minutes=90)
    assert [duration_text(timedelta(days=14)), duration_text(timedelta(minutes=90))] == [
        "2w", "90m"
    ]
    for bad in ("30", "d", "-1d", "3x", "1d2h", ""):
        with pytest.raises(ValueError, match="not a duration"):
            parse_duration(bad, "--retention")


@pytest.mark.parametrize("argv", [
    ["gc", "--retention", "3 days"], ["sessions", "--since", "soon"],
    ["sessions", "--limit", "0"], ["show", "s", "--json", "--format", "dot"],
])
def test_bad_options_are_one_line_usage_errors(
    argv: list[str], store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 with one stderr line, before anything is opened."""
    assert run([*argv, "--store", store_url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lash-temporal: error: ")


def test_gc_dry_run_changes_nothing_and_gc_then_deletes_what_it_reported(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dry run names one blob to delete and leaves every row; gc deletes that one."""
    before = _rows(store_url, "lash_blobs")
    assert run(["gc", "--dry-run", "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert "dry run, nothing deleted" in out and re.search(r"blobs to delete +1\n", out)
    assert _rows(store_url, "lash_blobs") == before
    assert run(["gc", "--retention", "30d", "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert "checkpoints older than 30d" in out and re.search(r"blobs deleted +1\n", out)
    assert _rows(store_url, "lash_blobs") == before - 1


def test_vacuum_deletes_tombstoned_nodes(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``vacuum`` (every session) deletes the tombstoned node; an unknown session fails."""
    assert run(["vacuum", "--store", store_url]) == 0
    assert re.search(r"nodes deleted +1\n", capsys.readouterr().out)
    assert _rows(store_url, "lash_nodes") == 2
    assert run(["vacuum", "nobody", "--store", store_url]) == 1
    assert "no session 'nobody'" in capsys.readouterr().err


def test_sessions_lists_turns_and_parents(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text: a header and one row per session; JSON filtered by parent: the child only."""
    assert run(["sessions", "--store", store_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["SESSION", "TURNS", "LAST"] and len(lines) == 3
    assert any(line.split()[:2] == ["root", "3"] for line in lines)
    assert run(["sessions", "--parent", "root", "--since", "1h", "--json",
                "--store", store_url]) == 0
    [kid] = json.loads(capsys.readouterr().out)
    assert (kid["session_id"], kid["parent_session_id"], kid["relation"]) == (
        "kid", "root", "child"
    )
