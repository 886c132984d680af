"""Resolve external-storage references in workflow histories before ``checkpoint.history`` reads
them: a turn whose message or outcome was large holds ``{"ref": sha256}`` in history, and the
reader takes plain JSON only. Live and exported histories have the same proto3 JSON shape here,
so one walk serves both; the store is opened only when a reference is found."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import StorageDriverClaim, StorageDriverRetrieveContext

from checkpoint.history import HistoryError
from workflows.payloads import DRIVER_NAME, PayloadDriver

_REFERENCE_TYPE = b"temporal.api.sdk.v1.ExternalStorageReference"


def _claim(value: dict[str, Any]) -> dict[str, str] | None:
    """The claim of a left-encoded reference payload (base64 metadata and data), else None."""
    metadata = value.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(value.get("data"), str):
        return None
    try:
        kind = base64.b64decode(metadata.get("messageType", ""))
        if base64.b64decode(metadata.get("encoding", "")) != b"json/protobuf" or (
                kind != _REFERENCE_TYPE):
            return None
        reference = json.loads(base64.b64decode(value["data"]))
    except (binascii.Error, ValueError, TypeError):
        return None
    driver = reference.get("driverName") or reference.get("driver_name")
    if driver != DRIVER_NAME:
        raise HistoryError(f"a payload is stored by external storage driver {driver!r}, which "
                           f"this reader does not have (only {DRIVER_NAME!r})")
    claim = reference.get("claimData") or reference.get("claim_data") or {}
    return {str(k): str(v) for k, v in claim.items()}


def _as_read(payload: Payload) -> dict[str, Any]:
    """A retrieved payload as the reader takes it: plain JSON decoded, anything else encoded."""
    if payload.metadata.get("encoding") == b"json/plain":
        return {"data": json.loads(payload.data)}
    return {"metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
            "data": base64.b64encode(payload.data).decode()}


async def resolve_references(value: Any, driver: PayloadDriver) -> Any:
    """``value`` with every reference payload replaced by the payload it names (hash verified
    by the store); the rest is returned as it is."""
    if isinstance(value, list):
        return [await resolve_references(v, driver) for v in value]
    if not isinstance(value, dict):
        return value
    claim = _claim(value)
    if claim is not None:
        [payload] = await driver.retrieve(StorageDriverRetrieveContext(),
                                          [StorageDriverClaim(claim_data=claim)])
        return _as_read(payload)
    return {k: await resolve_references(v, driver) for k, v in value.items()}


__all__ = ["resolve_references"]
