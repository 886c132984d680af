"""``lash-temporal dev``: the whole local stack under one project directory, until Ctrl-C.

The bundled Temporal dev server (UI on, our search attributes registered, state in
``<dir>/temporal.db`` so sessions survive a restart), a worker, and the SQLite store
``<dir>/store.db``. Stopping is ordered: the worker drains first, then the store, then the server.
One dev runs per directory (``_dev_lock``); its banner prints the ``export`` lines other
terminals need.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.agent.tools import KEY_ENV, key_from_env_or_file
from checkpoint.store import redact_url
from workflows.host.cli._access import connect_to, open_store_at
from workflows.host.cli._config import ADDRESS_ENV, KEY_FILE, STORE_ENV, Target, store_url_for
from workflows.host.cli._dev_lock import check_free, dev_lock
from workflows.host.cli._errors import CliError
from workflows.host.devserver import HOST, DevServerError, DevServerOptions, start_dev_server
from workflows.host.worker import StopSignal, serving


def ensure_port_free(port: int, what: str) -> None:
    """Fail with a clear line instead of waiting for a server that cannot bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server will: connections of a stopped server linger in TIME_WAIT for a minute.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as err:
            raise CliError(
                f"{what} port {HOST}:{port} is in use (is `lash-temporal dev` already running? "
                "pick others with --port/--ui-port)"
            ) from err


@contextlib.contextmanager
def server_output_to(log_file: Path) -> Iterator[None]:
    """Send the output of a server spawned inside the block to ``log_file``, not the terminal.

    The dev server inherits our stdout and stderr and prints a banner and start-up warnings
    into the middle of the CLI's own output; the launcher has no option for that, so the two
    descriptors point at the log file while it spawns the server (nothing else prints then).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(log_file, "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def last_log_line(log_file: Path) -> str:
    """The last line of a server log, to put into a start-up error."""
    try:
        lines = [ln for ln in log_file.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


async def start_quietly(options: DevServerOptions, log_file: Path) -> WorkflowEnvironment:
    """``start_dev_server`` with the server's output in ``log_file``; a failure names the log."""
    try:
        with server_output_to(log_file):
            return await start_dev_server(options)
    except DevServerError as err:
        tail = last_log_line(log_file)
        where = f"server log {log_file}" + (f": {tail}" if tail else "")
        raise DevServerError(f"{err} ({where})") from err


def ui_url(ui_port: int) -> str:
    """The Temporal Web UI's address."""
    return f"http://{HOST}:{ui_port}"


def export_lines(address: str, store_url: str, directory: Path) -> list[str]:
    """What another terminal runs so that ``chat``, ``show`` and ``worker`` find this stack."""
    lines = [f"export {ADDRESS_ENV}={shlex.quote(address)} "
             f"{STORE_ENV}={shlex.quote(redact_url(store_url))}"]
    if redact_url(store_url) != store_url:
        lines[0] += "  # password masked: put yours in"
    if not os.environ.get(KEY_ENV, "").strip():
        key_file = shlex.quote(str((directory / KEY_FILE).resolve()))
        lines.append(f"export {KEY_ENV}=$(cat {key_file})  # only for a second worker")
    return lines


async def run_dev(target: Target, directory: Path, *, port: int, ui_port: int) -> int:
    """Start server, store and worker; serve until SIGINT/SIGTERM; stop them in order.

    SIGINT (Ctrl-C) and SIGTERM are how ``dev`` is meant to end: it stops cleanly and exits 0.
    """
    check_free(directory)
    ensure_port_free(port, "Temporal frontend")
    ensure_port_free(ui_port, "Temporal UI")
    directory.mkdir(parents=True, exist_ok=True)
    # Absolute, so that the export line works from any directory.
    store_url = target.store_url if target.store_given else store_url_for(directory.resolve())
    address = f"{HOST}:{port}"
    target = Target(address, target.namespace, target.task_queue, store_url, True)
    with dev_lock(directory, address=address, ui=ui_url(ui_port), store=redact_url(store_url)):
        return await _serve_dev(target, directory, ui_port=ui_port)


async def _serve_dev(target: Target, directory: Path, *, ui_port: int) -> int:
    address, store_url = target.address, target.store_url
    port = int(address.rsplit(":", 1)[1])
    options = DevServerOptions(
        database_file=directory / "temporal.db",
        ui=True,
        port=port,
        ui_port=ui_port,
        namespace=target.namespace,
    )
    log_file = directory / "temporal.log"
    print(f"lash-temporal dev: starting Temporal at {address} (state in "
          f"{options.database_file}, log in {log_file})", flush=True)
    with StopSignal() as stop:
        env = await start_quietly(options, log_file)
        try:
            client = await connect_to(target)
            store = await open_store_at(store_url)
            try:
                key = key_from_env_or_file(directory / KEY_FILE)
                async with serving(client, store, task_queue=target.task_queue,
                                   execution_state_key=key):
                    exports = "\n".join(
                        "  " + line for line in export_lines(address, store_url, directory)
                    )
                    print(
                        f"lash-temporal dev: ready · Temporal {address} · UI {ui_url(ui_port)} · "
                        f"store {redact_url(store_url)} · task queue {target.task_queue!r}\n"
                        f"lash-temporal dev: in another terminal:\n{exports}\n"
                        "lash-temporal dev: Ctrl-C stops everything",
                        flush=True,
                    )
                    await stop.wait()
                    print(f"lash-temporal dev: {stop.received}, stopping worker, store and "
                          "server", flush=True)
            finally:
                await store.close()
        finally:
            await env.shutdown()
    print("lash-temporal dev: stopped", flush=True)
    return 0
