"""Large payloads by reference: a Temporal External Storage driver over the checkpoint store.

A payload of ``PAYLOAD_THRESHOLD`` bytes or more (a long message in the ``send`` update and the
turn's ``TurnRequest``, a large child input or outcome) is written to the store's blob table and
replaced in history by a small reference (``{"ref": sha256}``, about 200 bytes), so history stays
a few KB per turn whatever the size. The SDK calls the driver in the data converter, outside the
workflow sandbox, after the user's payload codec: what is stored is the encoded payload, and a
replay reads it back through the same driver. Every read verifies the hash.

Clients and workers must both have the driver: ``LashPlugin(store=...)`` gives it to a client (a
store, or an opener called on first use), ``LashWorkerPlugin`` to every worker over the worker's
store. A client without a store sends payloads up to ``INLINE_MAX`` inline, as before; a larger
one is ``PayloadStoreMissingError``, raised before anything is sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence

from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import (
    DataConverter,
    ExternalStorage,
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverSelectContext,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
)

from checkpoint.errors import LashError
from checkpoint.store import PayloadBlobs
from workflows.contract import WORKFLOW_ID_PREFIX

DRIVER_NAME = "lash-store"
"""The driver's name, written into every reference: renaming it orphans recorded references."""

PAYLOAD_THRESHOLD = 4 * 1024
"""Payloads of this many bytes or more travel by reference; a plain turn's are about 1-2 KB."""

INLINE_MAX = 256 * 1024
"""Without a store, the largest payload a client sends inline (the SDK's own threshold)."""

UNROOTED = "(no workflow)"
"""The GC root of a payload stored outside any workflow (kept for the retention only)."""

PayloadSource = PayloadBlobs | Callable[[], Awaitable[PayloadBlobs]]
"""A store, or a function that opens one when a payload first needs it."""


class PayloadStoreMissingError(LashError):
    """A payload needs the checkpoint store (to be stored or read back) and none is configured."""

    retryable = False

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} travels by reference through the checkpoint store, and no store is "
            "configured here: pass --store or set LASH_TEMPORAL_STORE to the workers' store"
        )


class PayloadDriver(StorageDriver):
    """Stores payloads as content-addressed blobs of the checkpoint store (``put_payload``)."""

    def __init__(self, source: PayloadSource | None = None) -> None:
        self._source = source
        self._blobs = source if isinstance(source, PayloadBlobs) else None
        self._lock = asyncio.Lock()

    def name(self) -> str:
        return DRIVER_NAME

    def type(self) -> str:
        return "lash.checkpoint-store"

    @property
    def has_store(self) -> bool:
        """Whether a store is configured (it may not be open yet)."""
        return self._source is not None

    async def _store(self, what: str) -> PayloadBlobs:
        if self._blobs is None:
            if self._source is None or isinstance(self._source, PayloadBlobs):
                raise PayloadStoreMissingError(what)
            async with self._lock:
                if self._blobs is None:
                    self._blobs = await self._source()
        return self._blobs

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        """Each payload's bytes as a blob rooted to the session whose history gets the claim."""
        blobs = await self._store(f"a payload of {payloads[0].ByteSize():,} bytes")
        root = root_of(context)
        claims = []
        for payload in payloads:
            ref = await blobs.put_payload(payload.SerializeToString(), root=root)
            claims.append(StorageDriverClaim(claim_data={"ref": ref}))
        return claims

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        """The payloads back, each blob's hash verified by the store."""
        blobs = await self._store("a payload in this history")
        found = []
        for claim in claims:
            payload = Payload()
            payload.ParseFromString(await blobs.get_payload(claim.claim_data["ref"]))
            found.append(payload)
        return found

    async def close(self) -> None:
        """Close the store this driver opened itself (one it was given stays open)."""
        if self._blobs is not None and not isinstance(self._source, PayloadBlobs):
            blobs, self._blobs = self._blobs, None
            await blobs.close()


def root_of(context: StorageDriverStoreContext) -> str:
    """The session a stored payload belongs to: its workflow's, else the target's id."""
    target = context.target
    if target is None or not target.id:
        return UNROOTED
    if isinstance(target, StorageDriverWorkflowInfo) and target.id.startswith(WORKFLOW_ID_PREFIX):
        return target.id.removeprefix(WORKFLOW_ID_PREFIX)
    return target.id


def payload_storage(driver: PayloadDriver) -> ExternalStorage:
    """External storage over ``driver``: by reference from ``PAYLOAD_THRESHOLD`` bytes; without
    a store, inline up to ``INLINE_MAX`` and a clear error past it."""

    def select(_: StorageDriverSelectContext, payload: Payload) -> StorageDriver | None:
        if driver.has_store:
            return driver
        size = payload.ByteSize()
        if size <= INLINE_MAX:
            return None
        raise PayloadStoreMissingError(f"a payload of {size:,} bytes (over {INLINE_MAX:,})")

    return ExternalStorage(
        drivers=[driver], driver_selector=select, payload_size_threshold=PAYLOAD_THRESHOLD
    )


def is_ours(storage: ExternalStorage | None) -> bool:
    """Whether ``storage`` is lash's (or absent), which a store may replace; a user's own
    external storage is kept as it is."""
    return storage is None or any(isinstance(d, PayloadDriver) for d in storage.drivers)


def with_payload_source(converter: DataConverter, source: PayloadSource | None) -> DataConverter:
    """``converter`` storing large payloads through ``source`` (unless it has storage of its own
    that is not lash's); codec and payload converter kept."""
    if not is_ours(converter.external_storage):
        return converter
    return dataclasses.replace(converter, external_storage=payload_storage(PayloadDriver(source)))


def with_payload_store(client: Client, source: PayloadSource) -> Client:
    """A client like ``client`` (same connection, plugins, codec) whose large payloads travel
    through ``source``: what a worker uses, and what a test client that sends them needs."""
    config = client.config()
    config["data_converter"] = with_payload_source(config["data_converter"], source)
    return Client(**config)


__all__ = [
    "DRIVER_NAME",
    "INLINE_MAX",
    "PAYLOAD_THRESHOLD",
    "UNROOTED",
    "PayloadDriver",
    "PayloadSource",
    "PayloadStoreMissingError",
    "is_ours",
    "payload_storage",
    "root_of",
    "with_payload_source",
    "with_payload_store",
]
