"""The in-flight turn as Temporal sees it: which attempt runs, and why the last one failed.

While a turn retries (a model endpoint refusing connections, a 503), the workflow waits and the
update that ``chat`` sent has no answer yet; the cause is in the server's record of the pending
activity (``describe()``: its attempt and last failure). ``chat`` polls it to say "retrying" within
seconds, and ``show`` prints it beside the summary.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.service import RPCError

from activities.contract import RUN_TURN_ACTIVITY
from workflows.host.client import describe

POLL_EVERY_S = 1.0
"""How often ``watch_retries`` asks; a describe is one cheap RPC."""


@dataclass(frozen=True)
class PendingTurn:
    """The running turn activity: its attempt (1 first) and the previous attempt's failure."""

    attempt: int
    last_failure: str
    """One line; empty while no attempt has failed."""

    def retry_line(self) -> str:
        """``retrying (attempt 3): provider 'openai': connection refused at http://...``."""
        return f"retrying (attempt {self.attempt}): {self.last_failure}"


async def pending_turn(client: Client, session_id: str) -> PendingTurn | None:
    """The session's pending turn activity, or None (no turn running, or no such workflow)."""
    description = await describe(client, session_id)
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name != RUN_TURN_ACTIVITY:
            continue
        failure = pending.last_failure.message if pending.HasField("last_failure") else ""
        return PendingTurn(attempt=pending.attempt, last_failure=" ".join(failure.split()))
    return None


async def watch_retries(
    client: Client, session_id: str, say: Callable[[str], None], *,
    every_s: float = POLL_EVERY_S, seen: list[PendingTurn] | None = None,
) -> None:
    """Until cancelled: ``say`` a retry line whenever the turn's attempt number changes after a
    failure. ``seen`` collects each reported state (the caller's last word on a timeout)."""
    last_attempt = 1
    while True:
        with contextlib.suppress(RPCError):  # not started yet, or a blip: ask again
            turn = await pending_turn(client, session_id)
            if turn is not None and turn.last_failure and turn.attempt != last_attempt:
                last_attempt = turn.attempt
                if seen is not None:
                    seen.append(turn)
                say(turn.retry_line())
        await asyncio.sleep(every_s)


__all__ = ["PendingTurn", "pending_turn", "watch_retries"]
