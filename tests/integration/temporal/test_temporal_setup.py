"""``lash-temporal setup`` readies a namespace and a store, and a second run changes nothing."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from temporal_harness import ROOT
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client

from workflows.sandbox.search import ALL_KEYS


def _setup(client: Client, namespace: str, store_url: str) -> subprocess.CompletedProcess[str]:
    target = client.service_client.config.target_host
    return subprocess.run(
        [sys.executable, "-m", "workflows.host.cli", "--address", target, "--namespace", namespace,
         "--store", store_url, "setup"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


async def test_setup_registers_the_search_attributes_and_creates_the_store_once(
    client: Client, tmp_path: Path
) -> None:
    namespace = f"setup-{uuid.uuid4().hex[:8]}"
    await client.workflow_service.register_namespace(RegisterNamespaceRequest(
        namespace=namespace,
        workflow_execution_retention_period=Duration(seconds=int(timedelta(days=1).total_seconds())),
    ))
    store = tmp_path / "store.db"
    first = _setup(client, namespace, f"sqlite:///{store}")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("search attribute") == len(ALL_KEYS)
    assert "already" not in first.stdout
    assert store.is_file()
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {k.name for k in ALL_KEYS} <= set(listed.custom_attributes)

    again = _setup(client, namespace, f"sqlite:///{store}")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already registered") == len(ALL_KEYS)


async def test_setup_on_an_unknown_namespace_is_one_line_and_exit_1(
    client: Client, tmp_path: Path
) -> None:
    result = _setup(client, "no-such-namespace", f"sqlite:///{tmp_path / 's.db'}")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "no-such-namespace" in result.stderr or "not" in result.stderr
