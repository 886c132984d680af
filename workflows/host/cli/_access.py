"""Reaching Temporal and the store from the CLI, with failures turned into one-line errors."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.contract import shorten
from checkpoint.store import PayloadBlobs, SessionStore, open_store, redact_url
from workflows.host.cli._config import PROG, Target
from workflows.host.cli._errors import CliError, from_rpc, no_worker, unreachable
from workflows.host.client import connect, handle
from workflows.host.client import has_poller as polled
from workflows.payloads import PayloadSource

CONNECT_ATTEMPTS = 3
"""A refused connection fails at once; another transport failure (a timeout on a busy machine)
is tried again, a few times, before the user hears about it."""


async def connect_to(target: Target) -> Client:
    """A client with the lash plugin, or a CliError naming the address."""
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            return await connect(target.address, namespace=target.namespace,
                                 store=payload_store(target))
        except RuntimeError as err:
            text = str(err)
            if "connect" not in text.lower():
                raise
            refused = "refused" in text.lower()
            if refused or attempt == CONNECT_ATTEMPTS:
                reason = "connection refused" if refused else shorten(text, 160, one_line=True)
                raise unreachable(target.address, reason) from err
            await asyncio.sleep(0.5 * attempt)
        except RPCError as err:
            raise from_rpc(err, address=target.address) from err
    raise AssertionError("unreachable")  # the loop always returns or raises


async def has_poller(client: Client, target: Target, task_queue: str | None = None) -> bool:
    """Whether any worker has polled the task queue (the target's by default) lately."""
    try:
        return await polled(client, task_queue or target.task_queue)
    except RPCError as err:
        raise from_rpc(err, address=target.address) from err


async def require_worker(
    client: Client, target: Target, *, task_queue: str | None = None, grace: float = 5.0,
    announce: bool = False,
) -> None:
    """Fail when no worker polls the task queue, instead of waiting forever for an answer.

    A worker that has just started may not have sent its first poll yet, so look again for
    ``grace`` seconds before giving up; with ``announce``, say so on stderr while looking (on a
    terminal the line is wiped again once a worker shows up).
    """
    queue = task_queue or target.task_queue
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    said = False
    while not await has_poller(client, target, queue):
        if announce and not said:
            said = True
            print(f"{PROG}: waiting up to {grace:g} s for a worker on task queue {queue!r}…",
                  file=sys.stderr, flush=True)
        if loop.time() >= deadline:
            raise no_worker(queue, target.address)
        await asyncio.sleep(0.25)
    if said and sys.stderr.isatty():
        print("\033[F\033[K", end="", file=sys.stderr, flush=True)  # up one line, clear it


async def session_queue(client: Client, target: Target, session_id: str) -> str:
    """The task queue a message to this session will run on: its running workflow's, else ours."""
    try:
        desc = await handle(client, session_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return target.task_queue
        raise from_rpc(err, address=target.address, session_id=session_id) from err
    running = desc.status == WorkflowExecutionStatus.RUNNING
    return desc.task_queue if running else target.task_queue


@dataclass(frozen=True)
class HistoryFigures:
    """What ``temporal workflow describe`` reports about a session's current run."""

    workflow_id: str
    run_id: str
    status: str
    task_queue: str
    history_length: int
    history_size_bytes: int


async def history_figures(client: Client, target: Target, session_id: str) -> HistoryFigures:
    """Describe the session's workflow; an unknown session is a CliError naming it."""
    h = handle(client, session_id)
    try:
        desc = await h.describe()
    except RPCError as err:
        raise from_rpc(err, address=target.address, session_id=session_id) from err
    info = desc.raw_description.workflow_execution_info
    return HistoryFigures(
        workflow_id=desc.id,
        run_id=desc.run_id,
        status=desc.status.name.lower() if desc.status else "unknown",
        task_queue=desc.task_queue,
        history_length=int(info.history_length),
        history_size_bytes=int(info.history_size_bytes),
    )


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` store URL (None for other schemes and ``:memory:``)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "sqlite":
        return None
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    return None if path in ("", ":memory:") else Path(path)


def payload_store(target: Target) -> PayloadSource | None:
    """Where the client's large payloads travel: the target's store, opened when a payload
    first needs it; None when only the default store is named and it does not exist (small
    payloads then travel inline, and a large one is an error saying to pass --store)."""
    path = sqlite_path(target.store_url)
    if not target.store_given and path is not None and not path.is_file():
        return None

    async def opener() -> PayloadBlobs:
        return await open_store_at(target.store_url, must_exist=True)

    return opener


async def open_store_at(url: str, *, must_exist: bool = False) -> SessionStore:
    """Open the store; with ``must_exist`` a missing SQLite file is an error, not a new store."""
    path = sqlite_path(url)
    if must_exist and path is not None and not path.is_file():
        raise CliError(
            f"store {redact_url(url)} does not exist "
            "(pass --store or set LASH_TEMPORAL_STORE to the worker's store)"
        )
    return await open_store(url)
