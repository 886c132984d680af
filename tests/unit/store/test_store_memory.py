"""The conformance suite against the in-memory backend."""

from __future__ import annotations

from typing import Any

from store_conformance import StoreConformance

from checkpoint.store import CheckpointStore, MemoryBackend, make_store


class TestMemoryStore(StoreConformance):
    async def open(self, **options: Any) -> CheckpointStore:
        return await make_store("memory://", **options).setup()

    async def damage_blob(self, store: CheckpointStore, ref: str, index: int) -> None:
        backend = store.backend
        assert isinstance(backend, MemoryBackend)
        data = bytearray(backend._blobs[ref])
        data[index] ^= 0x01
        backend._blobs[ref] = bytes(data)
