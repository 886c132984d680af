"""The one worker runner, used by ``lash-temporal worker`` and ``python -m workflows.host.worker``.

``python -m workflows.host.worker --target 127.0.0.1:7233 --task-queue lash-sessions --store
sqlite:///lash.db``. Provider credentials and knobs come from the environment only (OPENAI_API_KEY,
OPENAI_BASE_URL, LASH_SCRIPTED_SCRIPT, LASH_SCRIPTED_CALL_LOG, LASH_SCRIPTED_DELAY_S), so they
never travel in workflow inputs, history or the store; LASH_EXECUTION_STATE_KEY must be set, or
the worker does not start. LASH_LOG_LEVEL sets the log level.
Exit codes: 0 after SIGINT/SIGTERM, 1 with one line on stderr for an expected failure (no signing
key, store or Temporal unreachable, unknown namespace), 130 for Ctrl-C before the worker started.

While a ``StopSignal`` is installed, SIGINT and SIGTERM start a clean stop (worker drained, store
closed) instead of interrupting whatever is running; ``dev`` and ``demo`` use it and ``serving``
around their own waits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry, default_providers
from activities.agent.tools import ToolCatalog, key_from_env, protect_worker_environment
from activities.turn import HEARTBEAT_EVERY
from checkpoint.errors import LashError
from checkpoint.store import SessionStore, open_store, redact_url
from workflows.host._tools import load_tools
from workflows.host._worker_log import configure_worker_logging
from workflows.host.client import DEFAULT_TARGET, DEFAULT_TASK_QUEUE, connect, has_poller
from workflows.plugin import LashPlugin, LashWorkerPlugin, client_has_plugin

READY_LINE = "lash-temporal worker: serving task queue"
"""Starts the line printed (and flushed) once a poll reached the server, so a parent process
knows it can go on; the rest of the line names the queue, address, namespace and store."""
READY_GRACE_S = 10.0
"""How long ``serving`` waits for the server to see the worker's first poll."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TemporalUnavailableError(LashError):
    """The Temporal frontend cannot be reached at the target address."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        super().__init__(f"cannot reach Temporal at {target}: {reason}")


def build_worker(
    client: Client,
    store: SessionStore,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    providers: ProviderRegistry | None = None,
    tools: ToolCatalog | None = None,
    max_concurrent_activities: int = 64,
    max_concurrent_workflow_tasks: int | None = None,
    execution_state_key: bytes | None = None,
    sticky_timeout: timedelta = timedelta(seconds=10),
) -> Worker:
    """A worker for session workflows, the turn and head-load activities over ``store``.

    ``client`` may come from ``workflows.host.client.connect`` (its LashPlugin configures this
    worker too) or be a plain client with the pydantic converter (the worker then
    gets the LashPlugin).
    ``tools`` is the catalog sessions may use (default: the built-ins, ``default_tools()``).
    ``execution_state_key`` signs code-mode interpreter state; None reads it from the environment
    (LASH_EXECUTION_STATE_KEY). ``sticky_timeout`` is how long a workflow task waits for this
    worker's cache before any worker may take it: the delay a dead worker adds.
    """
    protect_worker_environment()  # code-mode children must not read our keys from /proc
    plugins: list[LashPlugin | LashWorkerPlugin] = [
        LashWorkerPlugin(
            store, providers=providers, tools=tools, execution_state_key=execution_state_key
        )
    ]
    if not client_has_plugin(client):  # a second LashPlugin would apply its rules twice
        plugins.insert(0, LashPlugin())
    return Worker(
        client,
        task_queue=task_queue,
        plugins=plugins,
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        sticky_queue_schedule_to_start_timeout=sticky_timeout,
        # An interrupt or a cancellation reaches a running turn with a heartbeat's answer:
        # heartbeats leave at least this often, so a turn stops within about a second.
        max_heartbeat_throttle_interval=HEARTBEAT_EVERY,
        default_heartbeat_throttle_interval=HEARTBEAT_EVERY,
    )


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

    def __exit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        while self._installed:
            loop.remove_signal_handler(self._installed.pop())

    async def wait(self) -> None:
        await self.event.wait()


async def _polled(client: Client, task_queue: str, grace: float) -> None:
    """Return once the server has seen a poll on the queue, or after ``grace`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    with contextlib.suppress(RPCError):
        while not await has_poller(client, task_queue) and loop.time() < deadline:
            await asyncio.sleep(0.25)


@contextlib.asynccontextmanager
async def serving(
    client: Client,
    store: SessionStore,
    *,
    task_queue: str,
    execution_state_key: bytes | None,
    providers: ProviderRegistry | None = None,
    tools: ToolCatalog | None = None,
    max_concurrent_activities: int = 64,
    sticky_timeout: timedelta = timedelta(seconds=10),
) -> AsyncIterator[Worker]:
    """A worker polling ``task_queue`` for the block, drained however the block ends. It yields
    once the server has seen a poll, so a message sent right after finds the worker."""
    worker = build_worker(
        client, store, task_queue=task_queue, providers=providers, tools=tools,
        max_concurrent_activities=max_concurrent_activities, sticky_timeout=sticky_timeout,
        execution_state_key=execution_state_key,
    )
    async with worker:
        await _polled(client, task_queue, READY_GRACE_S)
        yield worker


async def _connect(target: str, namespace: str) -> Client:
    """A client with the plugin, once the namespace is known to exist (a worker on a missing
    namespace would otherwise say it is ready and then fail its first poll)."""
    try:
        client = await connect(target, namespace=namespace)
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
    except RuntimeError as err:  # the SDK's bridge reports connect failures this way
        raise TemporalUnavailableError(target, str(err)) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise TemporalUnavailableError(
                target, f"namespace {namespace!r} does not exist"
            ) from err
        raise TemporalUnavailableError(target, err.message) from err
    return client


async def run_worker(
    *,
    store_url: str,
    target: str = DEFAULT_TARGET,
    namespace: str = "default",
    task_queue: str = DEFAULT_TASK_QUEUE,
    providers: ProviderRegistry | None = None,
    tools: ToolCatalog | str | None = None,
    max_concurrent_activities: int = 64,
    sticky_timeout: timedelta = timedelta(seconds=10),
) -> None:
    """Serve until SIGINT/SIGTERM, then drain and close the store; say so on stdout.

    Checks run cheapest first and before anything is announced: the signing key (a worker
    without it must not start), the tools (a catalog, or ``"module:attr"`` naming one), the
    store, then Temporal and the namespace.
    """
    key = key_from_env()
    catalog = load_tools(tools) if isinstance(tools, str) else tools
    store = await open_store(store_url)
    try:
        client = await _connect(target, namespace)
        with StopSignal() as stop:
            async with serving(
                client, store, task_queue=task_queue, execution_state_key=key,
                providers=providers, tools=catalog,
                max_concurrent_activities=max_concurrent_activities, sticky_timeout=sticky_timeout,
            ):
                print(f"{READY_LINE} {task_queue!r} at {target} (namespace {namespace}), "
                      f"store {redact_url(store_url)}; Ctrl-C stops", flush=True)
                await stop.wait()
                print(f"lash-temporal worker: {stop.received}, stopping", flush=True)
    finally:
        await store.close()
    print("lash-temporal worker: stopped", flush=True)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workflows.host.worker", description=__doc__)
    parser.add_argument("--target", default=DEFAULT_TARGET, help="Temporal frontend host:port")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", default=DEFAULT_TASK_QUEUE)
    parser.add_argument("--store", required=True, help="sqlite:///file.db or postgresql://...")
    parser.add_argument("--openai-key-env", default="OPENAI_API_KEY",
                        help="environment variable that holds the openai provider's key")
    parser.add_argument("--tools", metavar="MODULE:ATTR", default=None,
                        help="a ToolCatalog to serve instead of the built-ins, e.g. "
                             "mytools:registry (a function returning one also works)")
    parser.add_argument("--max-concurrent-activities", type=int, default=64)
    parser.add_argument("--sticky-timeout-s", type=float, default=10.0,
                        help="seconds a workflow task waits for this worker's cache before "
                             "another worker may take it (what a dead worker costs)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the worker; expected failures print one line and return 1 (Ctrl-C early: 130)."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    configure_worker_logging()  # LASH_LOG_LEVEL, LASH_LOG_FORMAT=json, LASH_LOG_VERBOSE=1
    try:
        asyncio.run(
            run_worker(
                store_url=args.store,
                target=args.target,
                namespace=args.namespace,
                task_queue=args.task_queue,
                providers=default_providers(args.openai_key_env),
                tools=args.tools,
                max_concurrent_activities=args.max_concurrent_activities,
                sticky_timeout=timedelta(seconds=args.sticky_timeout_s),
            )
        )
    except LashError as err:
        print(f"lash-temporal worker: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the signal handlers are installed
        print("lash-temporal worker: interrupted", file=sys.stderr)
        return 130
    return 0


def exit_hard(code: int) -> None:
    """Flush, then leave without interpreter finalization: temporalio's Rust threads can abort
    it (temporalio/sdk-python#300), turning exit code 1 (or 0) into 134. Everything the worker
    opened is closed by now."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    exit_hard(main())
