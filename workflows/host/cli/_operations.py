"""The operator's commands, ``gc``, ``vacuum`` and ``sessions``: their options and how they run,
kept here so the parser and ``main`` only register them. All three read or maintain the store
alone (``--store``); none needs Temporal."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

from workflows.host.cli._config import Target
from workflows.host.cli._durations import parse_duration
from workflows.host.cli._maintain import run_gc, run_vacuum
from workflows.host.cli._sessions import list_sessions

COMMANDS = ("gc", "vacuum", "sessions")


def add_commands(
    commands: Any, command: Callable[[Any, str, str], argparse.ArgumentParser]
) -> None:
    """Add the three subcommands to ``commands`` (``command`` makes one, as the parser does)."""
    gc = command(commands, "gc", "delete store blobs nothing references any more (heads, "
                 "retained checkpoints and session-rooted blobs stay); safe while workers run")
    gc.add_argument("--retention", metavar="D", help="keep checkpoints committed within D "
                    "(e.g. 30d, 12h; default: every checkpoint of every existing session, so "
                    "every workflow history keeps resolving)")
    gc.add_argument("--dry-run", action="store_true",
                    help="report what would be deleted, delete nothing")

    vacuum = command(commands, "vacuum", "delete tombstoned graph nodes and those full rewrites "
                     "left out, of one session or all; history rebuilds of turns that reached "
                     "them stop working")
    vacuum.add_argument("vacuum_session", metavar="SESSION", nargs="?",
                        help="only this session (default: every session)")
    vacuum.add_argument("--tombstoned-only", action="store_true",
                        help="keep the nodes full rewrites left out")

    sessions = command(commands, "sessions", "list the store's sessions, newest activity first: "
                       "id, turns, last activity, parent and name")
    sessions.add_argument("--parent", metavar="ID", help="only direct children of session ID")
    sessions.add_argument("--since", metavar="D",
                          help="only sessions active within D (e.g. 7d, 12h)")
    sessions.add_argument("--limit", type=int, metavar="N", help="at most N sessions")
    sessions.add_argument("--json", action="store_true", help="print a JSON array")


def check_usage(args: argparse.Namespace) -> None:
    """Durations and limits are usage errors, found before the store is opened."""
    for option in ("retention", "since"):
        if getattr(args, option, None) is not None:
            parse_duration(getattr(args, option), f"--{option}")
    if getattr(args, "limit", None) is not None and args.limit <= 0:
        raise ValueError("--limit must be positive")


def run_command(args: argparse.Namespace, target: Target, runner: asyncio.Runner) -> int:
    """Run one of ``COMMANDS``; its output on stdout, progress on stderr."""
    if args.command == "gc":
        retention = parse_duration(args.retention, "--retention") if args.retention else None
        print(runner.run(run_gc(target.store_url, retention, dry_run=args.dry_run)))
    elif args.command == "vacuum":
        print(runner.run(run_vacuum(target.store_url, args.vacuum_session,
                                    detached=not args.tombstoned_only)))
    else:
        since = parse_duration(args.since, "--since") if args.since else None
        print(runner.run(list_sessions(target.store_url, parent=args.parent, since=since,
                                       limit=args.limit, as_json=args.json)))
    return 0
