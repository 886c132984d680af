"""Run a worker that serves session workflows and turn activities.

``python -m workflows.worker --target 127.0.0.1:7233 --task-queue lash-sessions --store
sqlite:///lash.db``. Provider credentials and knobs come from the environment only (OPENAI_API_KEY,
OPENAI_BASE_URL, LASH_SCRIPTED_SCRIPT, LASH_SCRIPTED_CALL_LOG, LASH_SCRIPTED_DELAY_S), so they
never travel in workflow inputs, history or the store. LASH_LOG_LEVEL sets the log level.
Exit codes: 0 after SIGINT/SIGTERM, 1 with one line on stderr for an expected failure (store or
Temporal unreachable, unknown namespace), 130 for Ctrl-C before the worker started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from datetime import timedelta

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry, default_providers
from activities.agent.tools import key_from_env
from checkpoint.errors import LashError
from checkpoint.store import CheckpointStore, open_store, redact_url
from workflows.client import DEFAULT_TARGET, DEFAULT_TASK_QUEUE, connect
from workflows.plugin import LashPlugin, LashWorkerPlugin, client_has_plugin

READY_LINE = "lash-temporal worker ready"
"""Printed (and flushed) once the worker polls, so a parent process knows it can go on."""

_log = logging.getLogger("lash.worker")


class TemporalUnavailableError(LashError):
    """The Temporal frontend cannot be reached at the target address."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        super().__init__(f"cannot reach Temporal at {target}: {reason}")


def build_worker(
    client: Client,
    store: CheckpointStore,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    providers: ProviderRegistry | None = None,
    max_concurrent_activities: int = 64,
    max_concurrent_workflow_tasks: int | None = None,
    execution_state_key: bytes | None = None,
    sticky_timeout: timedelta = timedelta(seconds=10),
) -> Worker:
    """A worker for session workflows, the turn and head-load activities over ``store``.

    ``client`` may come from ``workflows.client.connect`` (it has the LashPlugin, which then
    configures this worker too, so only the activities are added) or be a plain client with the
    pydantic converter (the worker gets the plugin). ``execution_state_key`` signs code-mode
    interpreter state; None reads it from the environment (LASH_EXECUTION_STATE_KEY).
    ``sticky_timeout`` is how long a workflow task waits for this worker's cache before any
    worker may take it: the delay a dead worker adds.
    """
    plugins: list[LashPlugin | LashWorkerPlugin] = [
        LashWorkerPlugin(store, providers=providers, execution_state_key=execution_state_key)
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
    )


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
    max_concurrent_activities: int = 64,
    sticky_timeout: timedelta = timedelta(seconds=10),
    stop: asyncio.Event | None = None,
    install_signal_handlers: bool = False,
) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM when asked), then drain, close the store."""
    key = key_from_env()  # before anything opens: a worker without its key must not start
    store = await open_store(store_url)
    stop = stop or asyncio.Event()
    if install_signal_handlers:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows
                loop.add_signal_handler(sig, stop.set)
    try:
        client = await _connect(target, namespace)
        worker = build_worker(
            client, store, task_queue=task_queue, providers=providers,
            max_concurrent_activities=max_concurrent_activities, sticky_timeout=sticky_timeout,
            execution_state_key=key,
        )
        async with worker:
            print(READY_LINE, flush=True)
            _log.info("serving task queue %s with store %s", task_queue, redact_url(store_url))
            await stop.wait()
    finally:
        await store.close()


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workflows.worker", description=__doc__)
    parser.add_argument("--target", default=DEFAULT_TARGET, help="Temporal frontend host:port")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", default=DEFAULT_TASK_QUEUE)
    parser.add_argument("--store", required=True, help="sqlite:///file.db or postgresql://...")
    parser.add_argument("--openai-key-env", default="OPENAI_API_KEY",
                        help="environment variable that holds the openai provider's key")
    parser.add_argument("--max-concurrent-activities", type=int, default=64)
    parser.add_argument("--sticky-timeout-s", type=float, default=10.0,
                        help="seconds a workflow task waits for this worker's cache before "
                             "another worker may take it (what a dead worker costs)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the worker; expected failures print one line and return 1 (Ctrl-C early: 130)."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=os.environ.get("LASH_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        asyncio.run(
            run_worker(
                store_url=args.store,
                target=args.target,
                namespace=args.namespace,
                task_queue=args.task_queue,
                providers=default_providers(args.openai_key_env),
                max_concurrent_activities=args.max_concurrent_activities,
                sticky_timeout=timedelta(seconds=args.sticky_timeout_s),
                install_signal_handlers=True,
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
