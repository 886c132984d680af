"""Human approval from the CLI: ``lash-temporal approve`` and the prompt ``chat`` shows.

A call that needs approval waits in its session's workflow (the ``pending`` query) until a
person decides it with the ``approve`` update, once. ``approve`` without a call id decides the
one waiting call (several need a call id, or ``--all``); ``chat`` announces each waiting call
on stderr and, at a terminal, asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.service import RPCError

from workflows.contract import PendingApproval
from workflows.host import client as lash
from workflows.host.cli._access import connect_to
from workflows.host.cli._config import Target
from workflows.host.cli._errors import CliError, from_rpc, innermost

POLL_EVERY_S = 1.0
"""How often ``chat`` asks whether a call waits; a query is one cheap round trip."""

Decide = Callable[[PendingApproval], Awaitable[tuple[bool, str] | None]]
"""Asks a person about a call: (approve, reason), or None to leave it to someone else."""


def describe_call(waiting: PendingApproval, session_id: str | None = None) -> str:
    """``deploy {"target": "prod"} (call call_1, turn 3)``, naming the sub-agent when the call
    waits in another session than ``session_id``."""
    req = waiting.request
    where = f", sub-agent {waiting.session_id}" if waiting.session_id != session_id else ""
    turn = f"turn {waiting.turn_index}{where}"
    return f"{req.tool} {req.args_excerpt} (call {req.tool_call_id}, {turn})"


def waiting_line(session_id: str, waiting: PendingApproval) -> str:
    """What ``chat`` and ``show`` say of a waiting call, with the command that decides it."""
    deadline = ""
    if waiting.deadline is not None:
        deadline = f"; denied at {waiting.deadline:%H:%M:%S} UTC if undecided"
    return (f"waiting for approval: {describe_call(waiting, session_id)}{deadline} · "
            f"lash-temporal approve {session_id} {waiting.request.tool_call_id} [--deny]")


async def approve(
    target: Target, session_id: str, call_id: str | None, *, deny: bool, reason: str,
    every: bool,
) -> str:
    """Decide one call (or each waiting call with ``every``); the lines to print."""
    client = await connect_to(target)
    try:
        waiting = await lash.pending(client, session_id)
        where = {w.request.tool_call_id: w.session_id for w in waiting}
        if call_id is not None:
            calls = [call_id]
        elif every:
            calls = list(where)
        elif len(waiting) == 1:
            calls = [waiting[0].request.tool_call_id]
        else:
            calls = []
        if not calls:
            if not waiting:
                raise CliError(f"session {session_id!r} has no call waiting for approval")
            listed = "; ".join(describe_call(w, session_id) for w in waiting)
            raise CliError(f"{len(waiting)} calls wait: name one (or --all): {listed}")
        lines = []
        for call in calls:
            owner = where.get(call, session_id)  # a sub-agent's call is decided in its session
            reply = await lash.approve(client, owner, call, approve=not deny, reason=reason)
            word = "approved" if reply.approved else "denied"
            in_child = f" in sub-agent {owner}" if owner != session_id else ""
            lines.append(f"{word} call {call}{in_child}; {reply.waiting} still waiting")
        return "\n".join(lines)
    except RPCError as err:
        raise from_rpc(err, address=target.address, session_id=session_id) from err
    except WorkflowQueryFailedError as err:
        raise CliError(f"session {session_id!r}: cannot list its waiting calls: {err}") from err
    except WorkflowUpdateFailedError as err:
        raise CliError(f"cannot decide: {innermost(err)}") from err


async def watch_approvals(
    client: Client, session_id: str, say: Callable[[str], None], decide: Decide | None = None,
    *, every_s: float = POLL_EVERY_S,
) -> None:
    """Until cancelled: announce each call that starts waiting, and if ``decide`` is given,
    ask it and send the decision (one already made elsewhere is reported, not an error)."""
    seen: set[str] = set()
    while True:
        with contextlib.suppress(RPCError, WorkflowQueryFailedError):  # not started yet, a blip
            for waiting in await lash.pending(client, session_id):
                call = waiting.request.tool_call_id
                if call in seen:
                    continue
                seen.add(call)
                say(waiting_line(session_id, waiting))
                answer = await decide(waiting) if decide is not None else None
                if answer is None:
                    continue
                try:
                    await lash.approve(client, waiting.session_id, call, approve=answer[0],
                                       reason=answer[1])
                except WorkflowUpdateFailedError as err:
                    say(f"not decided here: {innermost(err)}")
        await asyncio.sleep(every_s)


async def ask_at_terminal(waiting: PendingApproval) -> tuple[bool, str] | None:
    """Ask on stderr, read stdin: ``y`` approves; anything else denies, with a reason asked
    for. None at end of input."""
    answer = await _read_line(f"approve {waiting.request.tool}? [y/N] ")
    if answer is None:
        return None
    if answer.strip().lower() in ("y", "yes"):
        return True, ""
    reason = await _read_line("reason (optional, the model sees it): ")
    return False, (reason or "").strip()


async def _read_line(prompt: str) -> str | None:
    """One line of stdin without blocking the event loop, so the wait stays cancellable
    (a thread stuck in ``readline`` would steal the next message's line)."""
    print(prompt, end="", file=sys.stderr, flush=True)
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[str] = loop.create_future()
    fd = sys.stdin.fileno()

    def readable() -> None:
        if not ready.done():
            ready.set_result(sys.stdin.readline())

    loop.add_reader(fd, readable)
    try:
        line = await ready
    finally:
        loop.remove_reader(fd)
    return line.rstrip("\n") if line else None


__all__ = ["approve", "ask_at_terminal", "describe_call", "waiting_line", "watch_approvals"]
