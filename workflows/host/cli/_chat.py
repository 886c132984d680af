"""``lash-temporal chat SESSION [MESSAGE]``: one message, or a loop reading lines from stdin.

A message starts the session if it is not running (update-with-start). Before sending, the CLI
checks that some worker polls the task queue, and the wait for the answer is bounded, so a
missing worker is an error that says so rather than a hang. While the turn retries, each new
attempt is reported on stderr with the previous attempt's cause (``_pending``).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError

from activities.contract import ANSWER_EXCERPT_CHARS, TurnPolicy, check_user_text, last_answer
from checkpoint.errors import LashError
from checkpoint.store import redact_url
from workflows.contract import TurnReply
from workflows.host import client as lash
from workflows.host.cli._access import connect_to, open_store_at, require_worker, session_queue
from workflows.host.cli._approve import Decide, ask_at_terminal, watch_approvals
from workflows.host.cli._config import Target
from workflows.host.cli._errors import CliError, from_rpc, from_update, one_line
from workflows.host.cli._pending import PendingTurn, watch_retries
from workflows.host.cli._render import plural
from workflows.host.client import check_message, send

EXIT_WORDS = frozenset({"/exit", "/quit"})


async def send_message(
    client: Client,
    target: Target,
    session_id: str,
    text: str,
    *,
    policy: TurnPolicy,
    timeout: timedelta,
    decide: Decide | None = None,
) -> TurnReply:
    """Run one turn and return its outcome; every expected failure becomes a CliError.

    Retries of the turn are reported on stderr as they happen; a timeout names the last cause.
    A call that waits for approval is announced, and ``decide`` (a person at the terminal) is
    asked about it.
    """
    retries: list[PendingTurn] = []
    watchers = [
        asyncio.create_task(watch_retries(client, session_id, _say, seen=retries)),
        asyncio.create_task(watch_approvals(client, session_id, _say, decide)),
    ]
    try:
        async with asyncio.timeout(timeout.total_seconds()):
            return await send(client, session_id, text, policy=policy,
                              task_queue=target.task_queue)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
        # The SDK turns a cancelled wait into its own error type. If our task is still being
        # cancelled, that was Ctrl-C, not the timeout: let the cancellation through.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError from err
        waited = f"session {session_id!r}: no answer within {timeout.total_seconds():g}s"
        if retries:
            raise CliError(f"{waited}; the turn is still {retries[-1].retry_line()}") from err
        raise CliError(
            f"{waited}; the turn may still be running or retrying (see `lash-temporal show "
            f"{session_id}`), or no worker serves task queue {target.task_queue!r} at "
            f"{target.address}"
        ) from err
    except WorkflowUpdateFailedError as err:
        raise from_update(err, session_id) from err
    except RPCError as err:
        raise from_rpc(err, address=target.address, session_id=session_id) from err
    finally:
        for watcher in watchers:
            watcher.cancel()


def read_message_file(name: str, max_bytes: int) -> str:
    """The message in file ``name`` (``-``: stdin), checked against ``max_bytes``; a file past
    the limit is refused from its size, before it is read. ValueError says what is wrong."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            size = Path(name).stat().st_size
            if size > max_bytes:
                raise ValueError(f"message text is too large ({size:,} bytes; at most "
                                 f"{max_bytes:,}) in {name}")
            data = Path(name).read_bytes()
        text = data.decode("utf-8")
    except OSError as err:
        raise ValueError(f"cannot read the message file {name}: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"the message file {name} is not UTF-8 text ({err.reason} at byte "
                         f"{err.start})") from err
    return check_user_text(text, max_bytes)


def _say(line: str) -> None:
    print(f"lash-temporal: {line}", file=sys.stderr, flush=True)


async def _refuse_other_policy(client: Client, session_id: str, policy: TurnPolicy) -> None:
    """A running session keeps the provider, model and approval rules it started with; saying
    otherwise is an error that says what to do, never a silent no-op."""
    try:
        summary = await lash.summary(client, session_id)
    except (RPCError, WorkflowQueryFailedError):
        return  # not running (or unknown): this message starts it with ``policy``
    running = (summary.provider, summary.model)
    if summary.provider and running != (policy.provider, policy.model):
        raise CliError(
            f"session {session_id!r} runs on provider {summary.provider!r}, model "
            f"{summary.model!r}; a session keeps the provider it started with. Use a new "
            f"session id for {policy.provider!r}/{policy.model!r}, or {_NEW_RUN}"
        )
    asked = (sorted(policy.approval_tools), policy.approval_timeout)
    if asked != ([], None) and asked != (sorted(summary.approval_tools), summary.approval_timeout):
        raise CliError(
            f"session {session_id!r} asks approval for {summary.approval_tools or 'no tool'} "
            f"(timeout {summary.approval_timeout or 'none'}); a session keeps the approval "
            f"rules it started with. Leave out --approve/--approval-timeout, or {_NEW_RUN}"
        )


_NEW_RUN = (
    "cancel this session's workflow first (the UI's Request Cancellation, or `temporal workflow "
    "cancel`): its next message then starts a new run, from where it stands, with the options "
    "you give"
)


def is_cut(outcome: TurnReply) -> bool:
    """Whether the outcome's excerpt is shorter than the answer (the rest is in the store)."""
    if outcome.answer_truncated:
        return True
    # A worker older than ``answer_truncated`` leaves it False; its cut excerpts fill the limit
    # and end in "…". An uncut answer of that shape costs one store read and changes nothing.
    text = outcome.answer_excerpt
    return len(text) == ANSWER_EXCERPT_CHARS and text.endswith("…")


async def full_answer(target: Target, session_id: str) -> str | None:
    """The session's last answer (``last_answer`` of its active path) from the store; None if
    the store cannot be read or holds no answer."""
    try:
        store = await open_store_at(target.store_url, must_exist=True)
    except LashError:
        return None
    try:
        read = await store.load_session(session_id)
    except LashError:
        return None
    finally:
        await store.close()
    if read is None:
        return None
    return last_answer(read.graph.messages()) or None


def turn_note(outcome: TurnReply) -> str:
    """``(turn 3 · 2 model calls, 1 tool call)``."""
    return (f"(turn {outcome.turn_index} · {plural(outcome.model_calls, 'model call')}, "
            f"{plural(outcome.tool_calls, 'tool call')})")


def _print_outcome(runner: asyncio.Runner, target: Target, session_id: str,
                   outcome: TurnReply) -> None:
    answer = outcome.answer_excerpt
    note = turn_note(outcome)
    if is_cut(outcome):
        full = runner.run(full_answer(target, session_id))
        if full is not None:
            answer = full
        else:
            note += f" (answer cut to {ANSWER_EXCERPT_CHARS} characters: the store "
            note += f"{redact_url(target.store_url)} cannot be read for the rest)"
    print(answer or "(no answer text)", flush=True)
    print(note, file=sys.stderr, flush=True)


def chat(
    runner: asyncio.Runner,
    target: Target,
    session_id: str,
    message: str | None,
    *,
    policy: TurnPolicy,
    timeout: timedelta,
    policy_given: bool = False,
) -> int:
    """Send ``message``, or each line of stdin until EOF or /exit; print every answer.

    In the loop a failed message is reported and the next line is read; the exit code is 1 if
    any message failed. ``policy`` starts a new session (or a new run of a closed one); given
    explicitly for a running session on another provider or model, it is refused, not ignored.
    """
    client = runner.run(connect_to(target))
    queue = runner.run(session_queue(client, target, session_id))
    if policy_given:
        runner.run(_refuse_other_policy(client, session_id, policy))
    runner.run(require_worker(client, target, task_queue=queue, announce=True))
    interactive = sys.stdin.isatty()
    decide = ask_at_terminal if interactive else None
    if message is not None:
        outcome = runner.run(send_message(client, target, session_id, message, policy=policy,
                                          timeout=timeout, decide=decide))
        _print_outcome(runner, target, session_id, outcome)
        return 0
    if interactive:
        print(f"session {session_id} · an empty line does nothing, /exit or Ctrl-D ends",
              file=sys.stderr)
    failed = 0
    while True:
        if interactive:
            print("you> ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line or line.strip() in EXIT_WORDS:
            return 1 if failed else 0
        if not line.strip():
            continue
        # One bad message or failed turn is reported and the conversation goes on.
        try:
            text = check_message(line.rstrip("\n"))
            outcome = runner.run(send_message(client, target, session_id, text, policy=policy,
                                              timeout=timeout, decide=decide))
        except (CliError, ValueError) as err:
            failed += 1
            print(f"lash-temporal: error: {one_line(err)}", file=sys.stderr, flush=True)
            continue
        _print_outcome(runner, target, session_id, outcome)
