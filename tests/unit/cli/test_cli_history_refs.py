"""History readers resolve large payloads' references through the store before
``checkpoint.history`` reads plain JSON, in live and exported histories alike."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from temporalio.contrib.pydantic import pydantic_data_converter

from checkpoint.history import HistoryError
from checkpoint.store import CheckpointStore, open_store
from workflows.host.cli._history_refs import resolve_references
from workflows.payloads import PayloadDriver, PayloadStoreMissingError, with_payload_source

REQUEST = {"session_id": "s1", "user_text": "pasted " * 10_000, "turn_index": 2}


@pytest.fixture
async def store() -> AsyncIterator[CheckpointStore]:
    opened = await open_store("memory://")
    yield opened
    await opened.close()


async def _exported(store: CheckpointStore) -> dict[str, Any]:
    """A history as ``to_json()`` exports it, whose one payload is a reference."""
    [reference] = await with_payload_source(pydantic_data_converter, store).encode([REQUEST])
    payload = MessageToDict(reference)
    assert "externalPayloads" in payload
    return {"events": [{"eventId": "5", "activityTaskScheduledEventAttributes": {
        "activityType": {"name": "lash.run_turn"}, "input": {"payloads": [payload]}}}]}


async def test_a_reference_in_an_exported_history_becomes_its_payload(
    store: CheckpointStore,
) -> None:
    history = await _exported(store)
    resolved = await resolve_references(history, PayloadDriver(store))
    event = resolved["events"][0]["activityTaskScheduledEventAttributes"]
    assert event["input"]["payloads"] == [{"data": REQUEST}]


async def test_a_history_without_references_never_needs_the_store() -> None:
    plain = {"events": [{"input": {"payloads": [{"data": {"x": 1}}]}}]}
    assert await resolve_references(plain, PayloadDriver(None)) == plain


async def test_a_reference_without_a_store_or_from_another_driver_is_a_clear_error(
    store: CheckpointStore,
) -> None:
    history = await _exported(store)
    with pytest.raises(PayloadStoreMissingError, match="LASH_TEMPORAL_STORE"):
        await resolve_references(history, PayloadDriver(None))
    payload = history["events"][0]["activityTaskScheduledEventAttributes"]["input"]["payloads"][0]
    reference = json.loads(base64.b64decode(payload["data"]))
    payload["data"] = base64.b64encode(json.dumps(
        {**reference, "driverName": "aws.s3driver"}).encode()).decode()
    with pytest.raises(HistoryError, match=r"'aws\.s3driver'"):
        await resolve_references(history, PayloadDriver(store))
