"""One ``lash-temporal dev`` per project directory: an advisory lock on ``<dir>/dev.lock``.

Two dev stacks on one directory would share ``temporal.db`` and ``store.db`` and corrupt each
other's view of both. The first takes ``flock`` on the lock file and writes who it is (PID,
address, UI, store) into it; a second finds the lock held and refuses with that line. The kernel
drops the lock when the process ends, however it ends, so a crash leaves nothing stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from workflows.host.cli._errors import CliError

LOCK_FILE = "dev.lock"


def _holder_text(directory: Path, holder: dict[str, Any]) -> str:
    pid = holder.get("pid", "?")
    where = f"Temporal {holder.get('address', '?')}, UI {holder.get('ui', '?')}"
    return (f"`lash-temporal dev` is already running on {directory} (PID {pid}: {where}); "
            "use that one, or another --dir")


def _read(handle: IO[str]) -> dict[str, Any]:
    handle.seek(0)
    try:
        data = json.loads(handle.read() or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def check_free(directory: Path) -> None:
    """Refuse at once when another dev holds the directory (before any port is checked)."""
    path = directory / LOCK_FILE
    if not path.is_file():
        return
    with open(path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CliError(_holder_text(directory, _read(handle))) from None
        fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def dev_lock(directory: Path, **about: Any) -> Iterator[None]:
    """Hold the directory's lock for the block, with ``about`` (ports, store) and our PID in it."""
    path = directory / LOCK_FILE
    # "a+": create if missing, never truncate a file another process may be reading.
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CliError(_holder_text(directory, _read(handle))) from None
        try:
            handle.truncate(0)
            handle.write(json.dumps({"pid": os.getpid(), **about}) + "\n")
            handle.flush()
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["LOCK_FILE", "check_free", "dev_lock"]
