"""The ``lash-temporal`` argument parser: global connection options, then one subcommand.

The connection options are accepted before or after the subcommand (``lash-temporal show s
--store ...``); a usage error is one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from workflows.host.cli._config import (
    ADDRESS_ENV,
    DEFAULT_ADDRESS,
    DEFAULT_LAST_TURNS,
    DEFAULT_MODELS,
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
from workflows.host.cli._graph_export import FORMATS as GRAPH_FORMATS
from workflows.host.cli._operations import add_commands as add_operations_commands
from workflows.host.cli._time_travel import add_commands as add_time_travel_commands


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{PROG}: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def _add_global_options(parser: argparse.ArgumentParser, *, after: bool) -> None:
    """``--address``, ``--store``, ``--namespace``, ``--task-queue``; ``after``: a subcommand's
    copy, which leaves the value alone unless given (so either place works)."""
    default: Any = argparse.SUPPRESS if after else None
    group = parser.add_argument_group("connection options (before or after COMMAND)")
    group.add_argument("--address", default=default, help=f"Temporal frontend host:port (env "
                       f"{ADDRESS_ENV}; default {DEFAULT_ADDRESS})")
    group.add_argument("--store", default=default, help=f"checkpoint store URL: sqlite:///path, "
                       f"postgresql://..., memory:// (env {STORE_ENV}; default {DEFAULT_STORE})")
    group.add_argument("--namespace", default=default, help=f"Temporal namespace (env "
                       f"{NAMESPACE_ENV}; default {DEFAULT_NAMESPACE})")
    group.add_argument("--task-queue", default=default, help=f"task queue of the workers (env "
                       f"{TASK_QUEUE_ENV}; default {DEFAULT_QUEUE})")


def _command(commands: Any, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose one-line help is also its description."""
    sub: argparse.ArgumentParser = commands.add_parser(name, help=text, description=text)
    sub.set_defaults(command_parser=sub)
    _add_global_options(sub, after=True)
    return sub


def _add_model_options(parser: argparse.ArgumentParser, provider: str, what: str) -> None:
    parser.set_defaults(default_provider=provider)
    parser.add_argument("--provider", choices=PROVIDERS, default=None,
                        help=f"model provider of a new session (default: {provider}, {what}; "
                        "echo and scripted need no key)")
    parser.add_argument("--model", help=f"model name (default: {DEFAULT_MODELS[provider]}, or "
                        "$OPENAI_MODEL / gpt-4o-mini for openai)")


def build_parser() -> argparse.ArgumentParser:
    """``lash-temporal [global options] COMMAND ...``."""
    parser = _Parser(
        prog=PROG,
        description="Durable lash agent sessions on Temporal.",
        epilog="Start with `lash-temporal demo`; then `lash-temporal dev` in one terminal and "
        "`lash-temporal chat my-session \"hello\"` in another.",
    )
    _add_global_options(parser, after=False)
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
    worker.add_argument("--verbose", action="store_true", help="keep the traceback of every "
                        "failed attempt (default: one line each; tracebacks only for bugs)")
    worker.add_argument("--log-format", choices=("text", "json"), help="log lines as text or "
                        "JSON objects (env LASH_LOG_FORMAT; default text)")

    chat_cmd = _command(commands, "chat", "send a message (starting the session if needed) and "
                        "print the answer; without MESSAGE, read messages line by line")
    chat_cmd.add_argument("session", metavar="SESSION", help="session id (up to 200 characters)")
    chat_cmd.add_argument("message", metavar="MESSAGE", nargs="?",
                          help="the message; omit it to chat interactively (/exit or Ctrl-D ends)")
    chat_cmd.add_argument("--file", metavar="PATH",
                          help="send the file's text (UTF-8; - for stdin) as one message: for "
                          "messages longer than a command line holds (LASH_MAX_MESSAGE_BYTES, "
                          "default 10 MiB)")
    _add_model_options(chat_cmd, "echo", "which answers what you write")
    chat_cmd.add_argument("--timeout", type=float, default=300.0,
                          help="seconds to wait for each answer (default 300)")
    chat_cmd.add_argument("--approve", metavar="TOOL", action="append", default=None,
                          dest="approval_tools", help="a new session asks a person before each "
                          "call to TOOL (repeat for more; the worker's catalog may ask for "
                          "others); at a terminal chat asks you, else use `approve`")
    chat_cmd.add_argument("--approval-timeout", type=float, metavar="SECONDS", help="deny a "
                          "call nobody decided within SECONDS (default: wait as long as it takes)")

    show_cmd = _command(commands, "show", "a session's summary (turns, head, checkpoint, history "
                        "events and bytes), usage report and graph as a tree")
    show_cmd.add_argument("session", metavar="SESSION", help="session id")
    show_cmd.add_argument("--json", action="store_true", help="print one JSON object, every "
                          "message included (flat: each with its parent id)")
    show_cmd.add_argument("--format", choices=("text", *GRAPH_FORMATS), help="text (default), "
                          "json (as --json), or the graph as a mermaid or dot diagram (store only)")
    shown = show_cmd.add_mutually_exclusive_group()
    shown.add_argument("--last", type=int, default=DEFAULT_LAST_TURNS, metavar="N",
                       help=f"print the last N turns of the graph (default {DEFAULT_LAST_TURNS})")
    shown.add_argument("--all", action="store_true", help="print every message of the graph")

    interrupt_cmd = _command(commands, "interrupt", "stop a session's running turn at its next "
                             "step; it keeps what it completed, and the session goes on")
    interrupt_cmd.add_argument("session", metavar="SESSION", help="session id")

    approve_cmd = _command(commands, "approve", "approve (or --deny) a tool call that waits "
                           "for a person's decision; the turn goes on once none waits")
    approve_cmd.add_argument("session", metavar="SESSION", help="session id")
    approve_cmd.add_argument("call", metavar="CALL_ID", nargs="?", help="the waiting call "
                             "(default: the one waiting call; `show` lists them)")
    approve_cmd.add_argument("--deny", action="store_true", help="deny it: the call fails as "
                             "a tool with 'denied: REASON', which the model sees")
    approve_cmd.add_argument("--reason", default="", help="why (recorded; the model sees it "
                             "when denied)")
    approve_cmd.add_argument("--all", dest="every", action="store_true",
                             help="decide every waiting call the same way")

    _command(commands, "setup", "register the Lash* search attributes on --namespace and create "
             "or migrate the --store schema (idempotent; run once per cluster and store)")

    demo = _command(commands, "demo", "run a scripted multi-turn session end to end on a "
                    "throw-away dev server (no key, no running services needed)")
    _add_model_options(demo, "scripted", "which plays the demo script")
    demo.add_argument("--keep", action="store_true",
                      help="leave the dev server (and its UI) running until Ctrl-C")
    add_time_travel_commands(commands, _command)
    worker.add_argument("--tools", metavar="MODULE:ATTR", default=None,
                        help="serve this ToolCatalog instead of the built-ins, e.g. "
                             "mytools:registry (the global options say where it connects)")
    add_operations_commands(commands, _command)
    return parser
