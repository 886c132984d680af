"""One dev server for the whole Temporal suite; a fresh task queue, store and worker per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporal_harness import TEST_KEY
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.store import CheckpointStore, open_store
from workflows.host.devserver import dev_server
from workflows.host.worker import build_worker


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under this folder needs the bundled dev server."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.temporal)


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """The shared dev server (free ports, in-memory), stopped when the session ends."""
    async with dev_server() as env:
        yield env


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def task_queue() -> str:
    """A queue no other test polls, so workers never steal each other's tasks."""
    return f"lash-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[CheckpointStore]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()


@pytest.fixture
def call_log(tmp_path: Path) -> Path:
    return tmp_path / "calls.jsonl"


@pytest.fixture
async def worker(
    client: Client, store: CheckpointStore, task_queue: str, call_log: Path
) -> AsyncIterator[Worker]:
    """An in-process worker playing the built-in demo script, logging every completed call."""
    providers = ProviderRegistry.of(ScriptedProvider(None, call_log=call_log))
    w = build_worker(
        client, store, task_queue=task_queue, providers=providers, execution_state_key=TEST_KEY
    )
    async with w:
        yield w
