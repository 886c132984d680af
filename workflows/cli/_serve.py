"""Serving until told to stop: the worker command, and the stop signal ``dev`` and ``demo`` share.

While a ``StopSignal`` is installed, SIGINT and SIGTERM start a clean stop (worker drained, store
closed, server stopped) instead of interrupting whatever is running; further signals during the
stop change nothing. Install it only around the wait for that signal: elsewhere Ctrl-C should
interrupt (exit 130).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable

from temporalio.client import Client
from temporalio.worker import Worker

from activities.agent.tools import key_from_env
from checkpoint.store import SessionStore, redact_url
from workflows.cli._access import connect_to, open_store_at, require_worker
from workflows.cli._config import Target
from workflows.cli._errors import CliError
from workflows.worker import build_worker

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
READY_GRACE_S = 10.0


class StopSignal:
    """An event set by SIGINT/SIGTERM while installed; the handlers are removed on exit."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.received: str | None = None
        self._installed: list[signal.Signals] = []

    def __enter__(self) -> StopSignal:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, non-main
                loop.add_signal_handler(sig, self._fire(sig))
                self._installed.append(sig)
        return self

    def _fire(self, sig: signal.Signals) -> Callable[[], None]:
        def handler() -> None:
            self.received = self.received or sig.name
            self.event.set()

        return handler

    def _remove(self) -> None:
        loop = asyncio.get_running_loop()
        while self._installed:
            loop.remove_signal_handler(self._installed.pop())

    def __exit__(self, *exc: object) -> None:
        self._remove()

    async def wait(self) -> None:
        await self.event.wait()


@contextlib.asynccontextmanager
async def serving(
    client: Client, store: SessionStore, target: Target, *, execution_state_key: bytes
) -> AsyncIterator[Worker]:
    """A worker polling the target's task queue for the block, shut down however it ends."""
    worker = build_worker(
        client, store, task_queue=target.task_queue, execution_state_key=execution_state_key
    )
    async with worker:
        # Say "ready" only once the server has seen a poll, so a `chat` right after finds it.
        with contextlib.suppress(CliError):
            await require_worker(client, target, grace=READY_GRACE_S)
        yield worker


async def run_worker(target: Target) -> int:
    """``lash-temporal worker``: serve the task queue until SIGINT/SIGTERM."""
    key = key_from_env()  # before connecting: a worker without its key must not start
    client = await connect_to(target)
    store = await open_store_at(target.store_url)
    try:
        with StopSignal() as stop:
            async with serving(client, store, target, execution_state_key=key):
                print(
                    f"lash-temporal worker: serving task queue {target.task_queue!r} at "
                    f"{target.address} (namespace {target.namespace}), store "
                    f"{redact_url(target.store_url)}; Ctrl-C stops",
                    flush=True,
                )
                await stop.wait()
                print(f"lash-temporal worker: {stop.received}, stopping", flush=True)
    finally:
        await store.close()
    print("lash-temporal worker: stopped", flush=True)
    return 0
