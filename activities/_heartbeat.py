"""Heartbeats that keep flowing while a long model or tool call runs.

A turn heartbeats its step number whenever a step starts or finishes, and a background task
repeats the latest details at a third of the heartbeat timeout, so a slow provider call does not
look like a dead worker, while a killed worker is noticed within one timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from temporalio import activity


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
                self._task = asyncio.create_task(self._repeat(timeout.total_seconds() / 3))
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
