"""The Temporal Web UI, in a real Chromium, shows what a session publishes for it.

Each test opens the session's workflow page, waits for one thing to appear and saves a screenshot
whether or not it did (see ``artifacts``); the unit and integration tests check what the workflow
sends, these check that the UI really renders it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from ui_harness import TURNS, UiSession

with suppress(ImportError):  # without it, the chromium_path fixture skips (CI: fails) the tests
    from playwright.async_api import Page, expect


@asynccontextmanager
async def screenshot(page: Page, path: Path) -> AsyncIterator[None]:
    """Save a full-page screenshot after the block, also when a check in it failed."""
    try:
        yield
    finally:
        await page.screenshot(path=path, full_page=True)


async def open_tab(page: Page, name: str) -> None:
    await page.get_by_role("tab", name=name).first.click()
    await expect(page).to_have_url(re.compile(f"/{name.lower().replace(' ', '-')}$"))


async def test_the_timeline_names_each_turn_with_its_message(
    page: Page, ui_session: UiSession, artifacts: Path
) -> None:
    """Every lash.run_turn activity appears as ``turn N · <message>``, and the sub-agent too."""
    main = page.locator("main")
    async with screenshot(page, artifacts / "timeline.png"):
        for n in range(1, TURNS + 1):
            await expect(main).to_contain_text(f"lash.run_turn • turn {n} · hel")
        await expect(main).to_contain_text("sub-agent · ")


async def test_current_details_show_the_session_card(
    page: Page, ui_session: UiSession, artifacts: Path
) -> None:
    """User Metadata renders the markdown card: heading, turns, head revision, state."""
    await open_tab(page, "User Metadata")
    card = page.frame_locator("#user-metadata-current-details").locator("body")
    async with screenshot(page, artifacts / "current-details.png"):
        heading = card.get_by_role("heading")
        await expect(heading).to_have_text(f"Session {ui_session.session_id}")
        row = card.locator("tbody tr").first
        await expect(row.locator("td").nth(0)).to_have_text(str(TURNS))
        await expect(row.locator("td").nth(1)).to_have_text(
            f"revision {ui_session.head_revision}"
        )
        await expect(row.locator("td").nth(3)).to_have_text(re.compile(r"^\d+ / \d+ / \d+$"))
        await expect(card).to_contain_text("Now: waiting for a message")
        await expect(card.locator("th")).to_have_text(
            ["turns", "head", "checkpoint", "tokens in / out / cached", "model calls",
             "tool calls", "run"]
        )


async def test_search_attributes_name_the_session_turn_and_model(
    page: Page, ui_session: UiSession, artifacts: Path
) -> None:
    """The Search Attributes tab lists LashSessionId, LashTurnIndex and LashModel."""
    await open_tab(page, "Search Attributes")
    main = page.locator("main")
    async with screenshot(page, artifacts / "search-attributes.png"):
        await expect(main).to_contain_text(f'"LashSessionId": "{ui_session.session_id}"')
        await expect(main).to_contain_text(f'"LashTurnIndex": {TURNS}')
        await expect(main).to_contain_text('"LashModel": "scripted-demo"')

