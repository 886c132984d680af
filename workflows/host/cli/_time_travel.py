"""The time-travel commands: read-only ``history``, ``rebuild`` and ``replay``, and ``rewind``,
``fork`` and ``resume`` (``_control``), which change where a session goes on: their options and
how they run, kept here so the parser and ``main`` only register them."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from workflows.host.cli import _control
from workflows.host.cli._access import (
    connect_to,
    open_store_at,
    require_worker,
    session_queue,
)
from workflows.host.cli._config import Target
from workflows.host.cli._errors import CliError, from_rpc
from workflows.host.cli._history import history_text, rebuild_text
from workflows.host.cli._replay import replay_text

COMMANDS = ("history", "rebuild", "replay", "rewind", "fork", "resume")


def turn_number(text: str) -> int:
    """A turn on the command line: a whole number from 0 (turn 0 is a session's start)."""
    try:
        turn = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a turn number") from None
    if turn < 0:
        raise argparse.ArgumentTypeError(f"turn {turn} cannot be: turns count from 0, the start")
    return turn


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
    rebuild.add_argument("--at-turn", type=turn_number, metavar="N",
                         help="turn N (default: the latest)")
    rebuild.add_argument("--history-file", type=Path, action="append", default=[], metavar="F",
                         help="read an exported history (one run) instead of the server; repeat "
                         "for several runs")
    rebuild.add_argument("--verify", action="store_true", help="compare the rebuilt latest "
                         "state with the store's head and list every difference")
    rebuild.add_argument("--json", action="store_true",
                         help="print exactly the state's JSON and nothing else")

    rewind = command(commands, "rewind", "continue a running session from the end of turn N: "
                     "the next message starts a new branch there (the old turns stay)")
    rewind.add_argument("session", metavar="SESSION", help="session id")
    rewind.add_argument("--to-turn", type=turn_number, required=True, metavar="N",
                        help="turn N (0: the start)")

    fork = command(commands, "fork", "start a new session from the state at turn N, sharing the "
                   "original's stored content (the original is untouched)")
    fork.add_argument("session", metavar="SESSION", help="session id")
    fork.add_argument("--at-turn", type=turn_number, metavar="N",
                      help="turn N (default: the latest)")
    fork.add_argument("--new-session", metavar="ID", help="the new session's id (default: "
                      "SESSION.fork-N-xxxxxx)")

    resume = command(commands, "resume", "start a new run of a session whose workflow was "
                     "terminated, failed, timed out or deleted, from its last completed turn")
    resume.add_argument("session", metavar="SESSION", help="session id")
    resume.add_argument("--at-turn", type=turn_number, metavar="N",
                        help="resume from turn N instead")

    replay = command(commands, "replay", "replay exported histories with today's workflow code: "
                     "exit 1 naming the event where determinism broke")
    replay.add_argument("files", metavar="FILE", type=Path, nargs="*",
                        help="exported or recorded history files")
    replay.add_argument("--session", dest="replay_session", metavar="SESSION",
                        help="replay every run of this session from the server instead")


async def _control_text(args: argparse.Namespace, target: Target) -> str:
    """Run ``rewind``, ``fork`` or ``resume``; what it prints."""
    client = await connect_to(target)
    try:
        if args.command in ("rewind", "resume"):  # both wait for the session's workflow
            queue = await session_queue(client, target, args.session)
            await require_worker(client, target, task_queue=queue)
        if args.command == "rewind":
            done = await _control.rewind(client, args.session, args.to_turn)
            return (f"session {args.session}: rewound to turn {args.to_turn}; the next message "
                    f"is turn {done.turn_index + 1} (head revision {done.head_revision})")
        if args.command == "resume":
            done = await _control.resume(client, args.session, args.at_turn,
                                         task_queue=target.task_queue)
            if args.at_turn is not None and args.at_turn != done.turn_index:
                # Went back to turn N: indices keep increasing, as after a rewind.
                return (f"session {args.session}: resumed from turn {args.at_turn}; the next "
                        f"message is turn {done.turn_index + 1} (head revision "
                        f"{done.head_revision})")
            return (f"session {args.session}: resumed at turn {done.turn_index} (head revision "
                    f"{done.head_revision}, run {done.run_count})")
        store = await open_store_at(target.store_url, must_exist=True)
        try:
            new_id = await _control.fork(client, store, args.session, args.at_turn,
                                         new_session_id=args.new_session,
                                         task_queue=target.task_queue)
        finally:
            await store.close()
        return f"session {args.session}: forked into {new_id}"
    except WorkflowUpdateFailedError as err:
        reason: BaseException = err
        while reason.__cause__ is not None:
            reason = reason.__cause__
        raise CliError(f"session {args.session}: {args.command} refused: {reason}") from err
    except (_control.ControlError, LookupError, ValueError) as err:
        raise CliError(str(err)) from err
    except RPCError as err:
        raise from_rpc(err, address=target.address, session_id=args.session) from err


def run_command(args: argparse.Namespace, target: Target, runner: asyncio.Runner) -> int:
    """Run one of ``COMMANDS``; 0 when it did what it was asked, 1 when not."""
    if args.command in ("rewind", "fork", "resume"):
        print(runner.run(_control_text(args, target)))
        return 0
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
