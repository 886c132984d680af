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
from temporalio.client import Client
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


def _references(value: Any, found: list[tuple[Any, Any, dict[str, str]]]) -> None:
    """Collect (container, key, claim) of every reference payload in ``value``, without going
    into decoded payload data (a turn's outcome is no place for a reference)."""
    items = enumerate(value) if isinstance(value, list) else (
        value.items() if isinstance(value, dict) else ())
    for key, item in items:
        if key == "data" or not isinstance(item, dict | list):
            continue
        claim = _claim(item) if isinstance(item, dict) else None
        if claim is not None:
            found.append((value, key, claim))
        else:
            _references(item, found)


async def resolve_references(value: Any, driver: PayloadDriver) -> Any:
    """``value`` with every reference payload replaced, in place, by the payload it names (hash
    verified by the store); the store is opened only if there is one."""
    found: list[tuple[Any, Any, dict[str, str]]] = []
    _references(value, found)
    if found:
        payloads = await driver.retrieve(StorageDriverRetrieveContext(),
                                         [StorageDriverClaim(claim_data=c) for _, _, c in found])
        for (container, key, _), payload in zip(found, payloads, strict=True):
            container[key] = _as_read(payload)
    return value


def client_driver(client: Client) -> PayloadDriver:
    """The client's lash driver, which reads references through its store; a driver without a
    store (whose reads fail saying so) when the client has none."""
    storage = client.data_converter.external_storage
    drivers = storage.drivers if storage is not None else ()
    return next((d for d in drivers if isinstance(d, PayloadDriver)), PayloadDriver(None))


__all__ = ["client_driver", "resolve_references"]
