"""What the browser tests share: the session they look at, its size, and how long to wait."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from workflows.host import client as lash
from workflows.sandbox import search as _search
from workflows.sandbox.turn_index import TURN_INDEX_REFRESH

ARTIFACTS = Path(__file__).parent / "artifacts"
TURNS = 4
"""Turn 4 of the built-in demo script spawns a sub-agent, so the UI shows a child too."""
UI_TIMEOUT_MS = 45_000
"""Longest wait for one thing to appear in the UI (two busy cores render slowly)."""


@dataclass(frozen=True)
class UiSession:
    """A finished scripted session and where the UI shows it."""

    session_id: str
    url: str
    head_revision: int


async def wait_for_turn_index(client: Client, sid: str, index: int) -> None:
    """``LashTurnIndex`` trails the turns by up to TURN_INDEX_REFRESH; wait (bounded) until it
    caught up, so the Search Attributes tab has one right value to show."""
    deadline = time.monotonic() + 30 * TURN_INDEX_REFRESH.total_seconds()
    while time.monotonic() < deadline:
        attributes = (await lash.describe(client, sid)).typed_search_attributes
        if attributes.get(_search.TURN_INDEX) == index:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"LashTurnIndex of {sid} never reached {index}")
