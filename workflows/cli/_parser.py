"""The ``lash-temporal`` argument parser: global connection options, then one subcommand."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workflows.cli._config import (
    ADDRESS_ENV,
    DEFAULT_ADDRESS,
    DEFAULT_NAMESPACE,
    DEFAULT_QUEUE,
    DEFAULT_STORE,
    DEFAULT_UI_PORT,
    NAMESPACE_ENV,
    PROG,
    PROJECT_DIR,
    PROVIDERS,
    STORE_ENV,
    TASK_QUEUE_ENV,
)
from workflows.cli._time_travel import add_commands as add_time_travel_commands


def _command(commands: Any, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose one-line help is also its description."""
    sub: argparse.ArgumentParser = commands.add_parser(name, help=text, description=text)
    sub.set_defaults(command_parser=sub)
    return sub


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", choices=PROVIDERS, default="scripted",
                        help="model provider of a new session (default: scripted, needs no key)")
    parser.add_argument("--model", help="model name (default: scripted-demo, or $OPENAI_MODEL "
                        "/ gpt-4o-mini for openai)")


def build_parser() -> argparse.ArgumentParser:
    """``lash-temporal [global options] COMMAND ...``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Durable lash agent sessions on Temporal.",
        epilog="Start with `lash-temporal demo`; then `lash-temporal dev` in one terminal and "
        "`lash-temporal chat my-session \"hello\"` in another.",
    )
    parser.add_argument("--address", help=f"Temporal frontend host:port (env {ADDRESS_ENV}; "
                        f"default {DEFAULT_ADDRESS})")
    parser.add_argument("--store", help=f"checkpoint store URL: sqlite:///path, postgresql://..., "
                        f"memory:// (env {STORE_ENV}; default {DEFAULT_STORE})")
    parser.add_argument("--namespace", help=f"Temporal namespace (env {NAMESPACE_ENV}; default "
                        f"{DEFAULT_NAMESPACE})")
    parser.add_argument("--task-queue", help=f"task queue of the workers (env {TASK_QUEUE_ENV}; "
                        f"default {DEFAULT_QUEUE})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    dev = _command(commands, "dev", "run a Temporal dev server (UI on), a worker and a SQLite "
                   "store under one project directory until Ctrl-C")
    dev.add_argument("--dir", type=Path, default=PROJECT_DIR,
                     help=f"project directory for temporal.db and store.db (default {PROJECT_DIR})")
    dev.add_argument("--port", type=int, help="frontend port (default: the --address port, 7233)")
    dev.add_argument("--ui-port", type=int, default=DEFAULT_UI_PORT,
                     help=f"Web UI port (default {DEFAULT_UI_PORT})")

    worker = _command(commands, "worker", "run a worker for --task-queue against --address "
                      "and --store until Ctrl-C (provider keys come from its environment)")

    chat_cmd = _command(commands, "chat", "send a message (starting the session if needed) and "
                        "print the answer; without MESSAGE, read messages line by line")
    chat_cmd.add_argument("session", metavar="SESSION", help="session id (up to 200 characters)")
    chat_cmd.add_argument("message", metavar="MESSAGE", nargs="?",
                          help="the message; omit it to chat interactively (/exit or Ctrl-D ends)")
    _add_model_options(chat_cmd)
    chat_cmd.add_argument("--timeout", type=float, default=300.0,
                          help="seconds to wait for each answer (default 300)")

    show_cmd = _command(commands, "show", "a session's summary (turns, head, checkpoint, history "
                        "events and bytes), usage report and graph as a tree")
    show_cmd.add_argument("session", metavar="SESSION", help="session id")
    show_cmd.add_argument("--json", action="store_true", help="print one JSON object")

    interrupt_cmd = _command(commands, "interrupt", "stop a session's running turn at its next "
                             "step; it keeps what it completed, and the session goes on")
    interrupt_cmd.add_argument("session", metavar="SESSION", help="session id")

    demo = _command(commands, "demo", "run a scripted multi-turn session end to end on a "
                    "throw-away dev server (no key, no running services needed)")
    _add_model_options(demo)
    demo.add_argument("--keep", action="store_true",
                      help="leave the dev server (and its UI) running until Ctrl-C")
    add_time_travel_commands(commands, _command)
    del worker  # no options of its own: the global ones say where it connects
    return parser
