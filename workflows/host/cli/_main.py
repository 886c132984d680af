"""The argument parser and ``main``: dispatch a subcommand, map outcomes to exit codes.

Exit codes: 0 ok, 1 expected failure (one ``lash-temporal: error: ...`` line on stderr), 2 usage
error (one line too), 130 interrupted by Ctrl-C, 141 output pipe closed by its reader (quietly).
A traceback means a bug, never a user's mistake.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import timedelta

from pydantic import ValidationError

from activities.contract import TurnPolicy, check_user_text
from checkpoint.errors import LashError
from checkpoint.store import store_scheme
from workflows.contract import ApproveInput
from workflows.host._worker_log import configure_worker_logging
from workflows.host.cli._approve import approve
from workflows.host.cli._chat import chat, read_message_file
from workflows.host.cli._config import (
    PROG,
    Target,
    check_address,
    default_model,
    resolve_target,
    split_address,
)
from workflows.host.cli._demo import run_demo
from workflows.host.cli._dev import run_dev
from workflows.host.cli._errors import one_line
from workflows.host.cli._interrupt import interrupt
from workflows.host.cli._operations import COMMANDS as OPERATIONS
from workflows.host.cli._operations import check_usage as check_operations_usage
from workflows.host.cli._operations import run_command as run_operation
from workflows.host.cli._parser import build_parser
from workflows.host.cli._setup import setup
from workflows.host.cli._show import show
from workflows.host.cli._show_export import export_graph
from workflows.host.cli._time_travel import COMMANDS as TIME_TRAVEL
from workflows.host.cli._time_travel import run_command as run_time_travel
from workflows.host.client import max_message_bytes, session_input
from workflows.host.worker import run_worker

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_CLOSED_PIPE = 0, 1, 2, 130, 141


def _policy(args: argparse.Namespace) -> TurnPolicy:
    provider = args.provider or args.default_provider
    timeout = getattr(args, "approval_timeout", None)
    return TurnPolicy(
        provider=provider, model=args.model or default_model(provider),
        approval_tools=getattr(args, "approval_tools", None) or [],
        approval_timeout=timedelta(seconds=timeout) if timeout is not None else None,
    )


def _policy_given(args: argparse.Namespace) -> bool:
    """Whether the command line says anything about the session's policy."""
    given = (args.provider, args.model, args.approval_tools, args.approval_timeout)
    return any(option is not None for option in given)


def _run(args: argparse.Namespace, target: Target, runner: asyncio.Runner) -> int:
    if args.command in TIME_TRAVEL:
        return run_time_travel(args, target, runner)
    if args.command in OPERATIONS:
        return run_operation(args, target, runner)
    if args.command == "chat":
        return chat(runner, target, args.session, args.message, policy=_policy(args),
                    timeout=timedelta(seconds=args.timeout),
                    policy_given=_policy_given(args))
    if args.command == "show":
        last_turns = None if args.all else args.last
        if args.format in ("mermaid", "dot"):
            runner.run(export_graph(target, args.session, args.format, sys.stdout,
                                    last_turns=last_turns))
            return EXIT_OK
        as_json = args.json or args.format == "json"
        runner.run(show(target, args.session, sys.stdout, as_json=as_json, last_turns=last_turns))
        return EXIT_OK
    if args.command == "setup":
        print(runner.run(setup(target)))
        return EXIT_OK
    if args.command == "interrupt":
        print(runner.run(interrupt(target, args.session)))
        return EXIT_OK
    if args.command == "approve":
        print(runner.run(approve(target, args.session, args.call, deny=args.deny,
                                 reason=args.reason, every=args.every)))
        return EXIT_OK
    if args.command == "worker":
        configure_worker_logging(verbose=args.verbose, log_format=args.log_format,
                                 default_level="WARNING")
        runner.run(run_worker(store_url=target.store_url, target=target.address,
                              namespace=target.namespace, task_queue=target.task_queue,
                              tools=args.tools))
        return EXIT_OK
    if args.command == "dev":
        port = args.port or split_address(target.address)[1] or 7233
        return runner.run(run_dev(target, args.dir, port=port, ui_port=args.ui_port))
    return runner.run(run_demo(target, policy=_policy(args), keep=args.keep))


def _check_message(args: argparse.Namespace) -> None:
    """Chat's message, from the command line or ``--file``, within the configured limit; a
    message past it is refused here, before anything connects or is written."""
    limit = max_message_bytes()
    if args.file is not None:
        if args.message is not None:
            raise ValueError("give the message or --file, not both")
        args.message = read_message_file(args.file, limit)  # checked as it is read
    elif args.message is not None:
        check_user_text(args.message, limit)


def _check_new_session(session_id: str) -> None:
    """A fork's new id follows a session id's rules; checked before the fork writes anything."""
    try:
        session_input(session_id)
    except ValidationError as err:
        raise ValueError(f"--new-session: {err.errors()[0]['msg']}") from err


def _check_usage(args: argparse.Namespace, target: Target) -> None:
    """Bad input found before anything connects is a usage error (exit 2)."""
    parser: argparse.ArgumentParser = args.command_parser
    try:
        check_address(target.address)
        store_scheme(target.store_url)
        if args.command == "chat":
            _check_message(args)
        if getattr(args, "timeout", 1) <= 0:
            raise ValueError("--timeout must be positive")
        if getattr(args, "last", 1) <= 0:
            raise ValueError("--last must be positive")
        if getattr(args, "json", False) and getattr(args, "format", None) not in (None, "json"):
            raise ValueError(f"--json and --format {args.format} contradict each other")
        check_operations_usage(args)
        if args.command == "approve":
            ApproveInput(tool_call_id=args.call or "-", approve=not args.deny, reason=args.reason)
            if args.every and args.call:
                raise ValueError("give CALL_ID or --all, not both")
        policy = _policy(args) if hasattr(args, "provider") else None
        if hasattr(args, "session"):
            session_input(args.session, policy=policy)  # the workflow's own input rules
        if getattr(args, "new_session", None) is not None:
            _check_new_session(args.new_session)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        parser.error(f"bad {args.command} options: {problems}")
    except (ValueError, LashError) as err:
        parser.error(one_line(err))


def main() -> int:
    """Entry point of the ``lash-temporal`` console script: ``run`` then a hard exit.

    Temporal's client keeps Rust threads that can abort the interpreter while it finalizes
    (temporalio/sdk-python#300, "PyGILState_Release"), turning a clean exit code into 134. A
    command has closed everything it opened by now, so flush and skip finalization.
    """
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = closed_pipe()
    os._exit(code)


def closed_pipe() -> int:
    """The reader of our output went away (``show ... | head``): stop quietly, as a Unix tool
    killed by SIGPIPE would (exit 141), leaving nothing buffered to fail again on exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_CLOSED_PIPE


def run(argv: list[str]) -> int:
    """Parse ``argv``, run the command, return its exit code (for in-process callers)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        target = resolve_target(args.address, args.namespace, args.task_queue, args.store)
        _check_usage(args, target)
    except SystemExit as exit_:  # argparse's own exit: --help (0) or a usage error (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(levelname)s: %(message)s")
    # psycopg's pool logs every failed connection attempt; the store error says it once.
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
    try:
        with asyncio.Runner() as runner:
            return _run(args, target, runner)
    except BrokenPipeError:
        return closed_pipe()
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except LashError as err:  # CliError, store and dev-server errors: all name what failed
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return EXIT_FAILED
