"""A dev server with the Web UI, one scripted session on it, and Chromium to look at it.

Everything here is module-scoped: starting the server, running the turns and launching the
browser cost most of the time, while each test only opens one page of the UI. Screenshots go to
``artifacts/<test name>/`` next to this file (gitignored); the run's summary prints the folder.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from ui_harness import ARTIFACTS, TURNS, UI_TIMEOUT_MS, UiSession, wait_for_turn_index

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.store import open_store
from workflows.host import client as lash
from workflows.host.devserver import HOST, DevServerOptions, dev_server, free_port
from workflows.host.worker import build_worker

if TYPE_CHECKING:  # imported where used, so a missing Playwright skips (chromium_path) instead
    from playwright.async_api import Browser, Page

KEY = b"browser-suite-key"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under this folder needs Chromium and the bundled dev server."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.temporal)


_used_artifacts: list[Path] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where this run's screenshots are, whatever the outcome and capture settings."""
    if _used_artifacts:
        terminalreporter.write_line(f"browser test screenshots: {ARTIFACTS}")


@pytest.fixture(scope="module")
async def ui_session(chromium_path: str) -> AsyncIterator[UiSession]:
    """A dev server with the UI and a session of ``TURNS`` turns; its worker stays up, since
    the UI reads the current details through a query."""
    ui_port = free_port()
    async with dev_server(DevServerOptions(ui=True, ui_port=ui_port)) as env:
        store = await open_store("memory://")
        task_queue = f"lash-browser-{uuid.uuid4().hex[:12]}"
        providers = ProviderRegistry.of(ScriptedProvider(None))
        worker = build_worker(
            env.client, store, task_queue=task_queue, providers=providers, execution_state_key=KEY
        )
        async with worker:
            sid = f"ui-{uuid.uuid4().hex[:8]}"
            for n in range(1, TURNS + 1):
                outcome = await lash.send(env.client, sid, f"hello {n}", task_queue=task_queue)
            await wait_for_turn_index(env.client, sid, TURNS)
            workflow_id = quote(lash.handle(env.client, sid).id, safe="")
            url = f"http://{HOST}:{ui_port}/namespaces/default/workflows/{workflow_id}"
            yield UiSession(sid, url, outcome.head_revision)
        await store.close()


@pytest.fixture(scope="module")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded one); ``--no-sandbox`` because
    the tests run as root, where Chromium's sandbox refuses to start."""
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=UI_TIMEOUT_MS)  # its default of 5 s is too short on busy cores
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Iterator[Path]:
    """This test's screenshot folder, emptied first."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    print(f"screenshots: {folder}")
    _used_artifacts.append(folder)
    yield folder


@pytest.fixture
async def page(browser: Browser, ui_session: UiSession) -> AsyncIterator[Page]:
    """The session's workflow page, loaded as far as its header (tall: the UI scrolls inside
    its own pane, so a full-page screenshot shows only what fits the viewport)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1800})
    opened = await context.new_page()
    opened.set_default_timeout(UI_TIMEOUT_MS)
    await opened.goto(ui_session.url, timeout=UI_TIMEOUT_MS)
    await opened.get_by_text(f"lash-session/{ui_session.session_id}", exact=True).first.wait_for()
    yield opened
    await context.close()
