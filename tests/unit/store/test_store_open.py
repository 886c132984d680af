"""Opening stores: URL forms, clear errors for bad ones, passwords never printed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from store_fixtures import commit

from checkpoint.errors import BackendError, StoreUnavailableError
from checkpoint.store import CheckpointStore, make_store, open_store, redact_url


def test_password_is_masked_in_urls_and_messages() -> None:
    """redact_url masks a URL's password and a password= parameter, keeping the rest."""
    assert redact_url("postgresql://bob:s3cret@db:5432/x") == "postgresql://bob:***@db:5432/x"
    assert redact_url("could not connect to postgresql://u:p@h/d: refused") == (
        "could not connect to postgresql://u:***@h/d: refused"
    )
    assert redact_url("host=h password=s3cret user=u") == "host=h password=*** user=u"
    assert redact_url("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"


@pytest.mark.parametrize(
    "url", ["redis://localhost", "sqlite://", "sqlite://host/x.db", "sqlite:///x.db?mode=ro"]
)
def test_unusable_url_is_refused_with_its_reason(url: str) -> None:
    """An unknown scheme or malformed SQLite URL raises StoreUnavailableError naming the URL."""
    with pytest.raises(StoreUnavailableError) as info:
        make_store(url)
    assert info.value.url.startswith(url.split("?")[0].split("://")[0])


async def test_sqlite_store_is_created_with_its_directory(tmp_path: Path) -> None:
    """sqlite:///path creates missing parent directories and one file for many sessions."""
    store = await open_store(f"sqlite:///{tmp_path / 'a' / 'b' / 'store.db'}")
    await store.close()
    assert (tmp_path / "a" / "b" / "store.db").exists()


async def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    """Opening garbage as SQLite is a StoreUnavailableError, and the file is left untouched."""
    path = tmp_path / "store.db"
    path.write_bytes(b"not a database, just some bytes" * 100)
    with pytest.raises(StoreUnavailableError, match=r"store\.db"):
        await open_store(f"sqlite:///{path}")
    assert path.read_bytes() == b"not a database, just some bytes" * 100


async def test_unreachable_postgres_is_unavailable_and_hides_the_password() -> None:
    """A server that does not answer gives StoreUnavailableError; the password never shows."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://user:hunter2@127.0.0.1:{port}/db?open_timeout=0.5"
    with pytest.raises(StoreUnavailableError) as info:
        await open_store(url)
    assert "hunter2" not in str(info.value) and "hunter2" not in info.value.url


async def test_store_connects_on_first_use(tmp_path: Path) -> None:
    """make_store does no I/O; the first call sets the schema up."""
    store: CheckpointStore = make_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert not (tmp_path / "store.db").exists()
    assert await store.list_sessions() == []
    await store.close()


async def test_memory_urls_are_independent_stores() -> None:
    """Each memory:// store starts empty."""
    a, b = await open_store("memory://"), await open_store("memory://")
    await a.commit_runtime_state(commit("s", "op1", None))
    assert (await a.list_sessions(), await b.list_sessions()) == (["s"], [])


async def test_driver_failures_become_backend_errors_saying_what_failed(tmp_path: Path) -> None:
    """A database error mid-use is a BackendError naming the action, with the driver's text."""
    import sqlite3

    path = tmp_path / "store.db"
    store = await open_store(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE lash_sessions")
    with pytest.raises(BackendError, match="load head revision failed: no such table") as info:
        await store.load_head_revision("s")
    assert info.value.session_id == "s" and isinstance(info.value.__cause__, sqlite3.Error)
    await store.close()
