"""``build_worker`` applies the LashPlugin once, whether or not the client already has it."""

from __future__ import annotations

import uuid
import warnings

from temporal_harness import TEST_KEY
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.agent.providers import ProviderRegistry, ScriptedProvider
from checkpoint.store import CheckpointStore
from workflows._interceptor import FailFastInterceptor
from workflows.host import client as lash
from workflows.host.worker import build_worker
from workflows.plugin import client_has_plugin
from workflows.session import SessionWorkflow


def _build(client: Client, store: CheckpointStore, task_queue: str) -> tuple[Worker, list[str]]:
    """The worker and every warning raised while building it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        worker = build_worker(
            client, store, task_queue=task_queue,
            providers=ProviderRegistry.of(ScriptedProvider(None)), execution_state_key=TEST_KEY,
        )
    return worker, [str(w.message) for w in caught]


def _applied_once(worker: Worker) -> None:
    config = worker.config(active_config=True)
    interceptors = config.get("interceptors") or []
    assert sum(isinstance(i, FailFastInterceptor) for i in interceptors) == 1
    assert list(config.get("workflows") or []) == [SessionWorkflow]
    names = sorted(getattr(a, "__temporal_activity_definition").name
                   for a in config.get("activities") or [])
    assert names == ["lash.load_session_head", "lash.rewind_session", "lash.run_turn"]


async def test_a_client_from_connect_gets_a_worker_without_a_second_plugin(
    temporal_env: WorkflowEnvironment, store: CheckpointStore, task_queue: str
) -> None:
    """The client's plugin configures the worker; build_worker adds only the activities."""
    client = await lash.connect(temporal_env.client.service_client.config.target_host)
    assert client_has_plugin(client)
    worker, warned = _build(client, store, task_queue)
    assert not [w for w in warned if "same plugin type" in w], warned
    _applied_once(worker)
    async with worker:
        outcome = await lash.send(client, f"wp-{uuid.uuid4().hex[:8]}", "hello",
                                  task_queue=task_queue)
    assert outcome.turn_index == 1


async def test_a_plain_client_gets_a_worker_with_the_plugin(
    client: Client, store: CheckpointStore, task_queue: str
) -> None:
    """A client without the plugin (the dev server's, pydantic converter only) still works."""
    assert not client_has_plugin(client)
    worker, warned = _build(client, store, task_queue)
    assert not warned
    _applied_once(worker)
    async with worker:
        outcome = await lash.send(client, f"wp-{uuid.uuid4().hex[:8]}", "hello",
                                  task_queue=task_queue)
    assert outcome.turn_index == 1
