"""The read-only time-travel commands, ``history``, ``rebuild`` and ``replay``: their options and
how they run, kept here so the parser and ``main`` only register them."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workflows.host.cli._config import Target
from workflows.host.cli._history import history_text, rebuild_text
from workflows.host.cli._replay import replay_text

COMMANDS = ("history", "rebuild", "replay")


def add_commands(
    commands: Any, command: Callable[[Any, str, str], argparse.ArgumentParser]
) -> None:
    """Add the three subcommands to ``commands`` (``command`` makes one, as the parser does)."""
    history = command(commands, "history", "one line per turn across all of a session's runs "
                      "(index, time, run, message, usage, checkpoint), from its workflow history")
    history.add_argument("session", metavar="SESSION", help="session id")
    history.add_argument("--history-file", type=Path, action="append", default=[], metavar="F",
                         help="read an exported history (one run) instead of the server; repeat "
                         "for several runs")

    rebuild = command(commands, "rebuild", "the session's state at a turn, rebuilt from its "
                      "workflow history and the store's immutable nodes and blobs")
    rebuild.add_argument("session", metavar="SESSION", help="session id")
    rebuild.add_argument("--at-turn", type=int, metavar="N", help="turn N (default: the latest)")
    rebuild.add_argument("--history-file", type=Path, action="append", default=[], metavar="F",
                         help="read an exported history (one run) instead of the server; repeat "
                         "for several runs")
    rebuild.add_argument("--verify", action="store_true", help="compare the rebuilt latest "
                         "state with the store's head and list every difference")
    rebuild.add_argument("--json", action="store_true",
                         help="print exactly the state's JSON and nothing else")

    replay = command(commands, "replay", "replay exported histories with today's workflow code: "
                     "exit 1 naming the event where determinism broke")
    replay.add_argument("files", metavar="FILE", type=Path, nargs="*",
                        help="exported or recorded history files")
    replay.add_argument("--session", dest="replay_session", metavar="SESSION",
                        help="replay every run of this session from the server instead")


def run_command(args: argparse.Namespace, target: Target, runner: asyncio.Runner) -> int:
    """Run one of ``COMMANDS``; 0 when it did what it was asked, 1 when not."""
    if args.command == "history":
        print(runner.run(history_text(target, args.session, args.history_file)))
        return 0
    if args.command == "rebuild":
        if args.verify and args.at_turn is not None:
            args.command_parser.error("--verify compares the latest turn; drop --at-turn")
        text, ok = runner.run(rebuild_text(
            target, args.session, at_turn=args.at_turn, files=args.history_file,
            verify=args.verify, as_json=args.json,
        ))
    else:
        if bool(args.files) == bool(args.replay_session):
            args.command_parser.error("give history FILEs or --session SESSION (one of them)")
        text, ok = runner.run(replay_text(target, args.files, args.replay_session))
    print(text, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
