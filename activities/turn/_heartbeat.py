"""Heartbeats that keep flowing while a long model or tool call runs.

A turn heartbeats its step number whenever a step starts or finishes, and a background task
repeats the latest details every ``HEARTBEAT_EVERY`` (or a third of the heartbeat timeout, if
shorter), so a slow provider call does not look like a dead worker, a killed worker is noticed
within one timeout, and an interrupt or a cancellation, which Temporal delivers in a heartbeat's
answer, reaches the turn within about that long. The worker sets its heartbeat throttle to the
same interval, so the beats actually leave.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from temporalio import activity

HEARTBEAT_EVERY = timedelta(seconds=1)
"""How often a running turn heartbeats: the delay before it hears an interrupt."""


class Heartbeat:
    """Sends ``{"step": n}`` now and then; a no-op outside an activity."""

    def __init__(self) -> None:
        self.details: dict[str, Any] = {"step": 0}
        self._task: asyncio.Task[None] | None = None
        self._active = activity.in_activity()

    def start(self) -> Heartbeat:
        if self._active:
            timeout = activity.info().heartbeat_timeout
            if timeout is not None and timeout.total_seconds() > 0:
                interval = min(timeout / 3, HEARTBEAT_EVERY).total_seconds()
                self._task = asyncio.create_task(self._repeat(interval))
        return self

    def beat(self, step: int) -> None:
        self.details = {"step": step}
        if self._active:
            activity.heartbeat(self.details)

    async def _repeat(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            activity.heartbeat(self.details)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
