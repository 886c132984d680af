"""A failed turn attempt tells its session workflow, which cannot see activity attempts.

Temporal retries a failed attempt after a backoff; meanwhile the workflow only knows a turn is
running. The attempt that fails signals the workflow (``TURN_RETRY_SIGNAL``) with its number and
cause, so the UI's current details and ``summary`` say "attempt 3 failed: connection refused"
instead of nothing. Best effort: a notice that cannot be sent is logged and dropped (the
server's pending-activity record still has the failure, and ``chat``/``show`` read it there).
"""

from __future__ import annotations

import asyncio
import logging

from temporalio import activity

from activities.contract import RETRY_ERROR_CHARS, TURN_RETRY_SIGNAL, TurnRetry, shorten

_log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 2.0
"""Longest the failing attempt spends reporting itself before it gives up the notice."""


async def announce_retry(turn_id: str, err: BaseException) -> None:
    """Signal this activity's workflow that the attempt failed with ``err`` and will be retried."""
    if not activity.in_activity():
        return
    info = activity.info()
    notice = TurnRetry(turn_id=turn_id, attempt=info.attempt,
                       error=shorten(str(err) or type(err).__name__, RETRY_ERROR_CHARS,
                                     one_line=True))
    try:
        handle = activity.client().get_workflow_handle(
            info.workflow_id or "", run_id=info.workflow_run_id
        )
        async with asyncio.timeout(SEND_TIMEOUT_S):
            await handle.signal(TURN_RETRY_SIGNAL, notice)
    except Exception as exc:  # the notice is a courtesy: the retry happens regardless
        _log.debug("turn %s: could not report attempt %s: %r", turn_id, info.attempt, exc)


__all__ = ["announce_retry"]
