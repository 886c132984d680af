"""The external-storage driver over the checkpoint store: large payloads become refs, every read
is hash-verified, a client without a store sends small payloads inline and refuses large ones
clearly, and a user's own external storage or codec is kept."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    ExternalStorage,
    PayloadCodec,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
)

from checkpoint.errors import BlobCorruptError, BlobMissingError
from checkpoint.store import CheckpointStore, open_store
from workflows.payloads import (
    INLINE_MAX,
    PAYLOAD_THRESHOLD,
    UNROOTED,
    PayloadDriver,
    PayloadStoreMissingError,
    root_of,
    with_payload_source,
)

WF = StorageDriverStoreContext(
    target=StorageDriverWorkflowInfo(namespace="default", id="lash-session/s1")
)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CheckpointStore]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'store.db'}"
    opened = await open_store(url)
    yield opened
    await opened.close()


def _payload(size: int) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=b'"' + b"x" * size + b'"')


async def test_a_payload_round_trips_through_a_content_addressed_blob(
    store: CheckpointStore,
) -> None:
    """store() gives a claim holding only the ref; retrieve() gives the same payload back; the
    same bytes stored twice give the same ref."""
    driver = PayloadDriver(store)
    payload = _payload(100_000)
    [claim] = await driver.store(WF, [payload])
    [again] = await driver.store(WF, [payload])
    assert claim == again and set(claim.claim_data) == {"ref"}
    [back] = await driver.retrieve(StorageDriverRetrieveContext(), [claim])
    assert back == payload


async def test_a_corrupted_payload_blob_is_refused_naming_its_ref(tmp_path: Path) -> None:
    """One flipped stored byte is a BlobCorruptError naming the ref, never a wrong payload; a
    deleted blob is a BlobMissingError naming it."""
    db = tmp_path / "store.db"
    store = await open_store(f"sqlite:///{db}")
    try:
        driver = PayloadDriver(store)
        [claim] = await driver.store(WF, [_payload(10_000)])
        ref = claim.claim_data["ref"]
        with sqlite3.connect(db) as conn:
            (content,) = conn.execute("SELECT content FROM lash_blobs WHERE ref = ?",
                                      (ref,)).fetchone()
            damaged = bytearray(content)
            damaged[-3] ^= 0x01
            conn.execute("UPDATE lash_blobs SET content = ? WHERE ref = ?", (bytes(damaged), ref))
        with pytest.raises(BlobCorruptError, match=f"blob {ref} is damaged"):
            await driver.retrieve(StorageDriverRetrieveContext(), [claim])
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM lash_blobs WHERE ref = ?", (ref,))
        with pytest.raises(BlobMissingError, match=ref):
            await driver.retrieve(StorageDriverRetrieveContext(), [claim])
    finally:
        await store.close()


async def test_gc_keeps_a_payload_for_the_retention_after_it_was_last_stored(
    store: CheckpointStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A payload is rooted to its session with the time it was last stored: GC with a retention
    drops one stored only long ago, keeps one stored again since (a newer history refers to
    it), and without a retention keeps it while the session exists."""
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 10 * 86_400)
    [old] = await PayloadDriver(store).store(WF, [_payload(10_000)])
    [kept] = await PayloadDriver(store).store(WF, [_payload(20_000)])
    monkeypatch.setattr(time, "time", lambda: now)
    await PayloadDriver(store).store(WF, [_payload(20_000)])  # referred to again today
    assert (await store.gc()).deleted == 0  # no retention: every root stays
    report = await store.gc(timedelta(days=1))
    assert report.deleted == 1
    with pytest.raises(BlobMissingError):
        await store.get_payload(old.claim_data["ref"])
    assert await store.get_payload(kept.claim_data["ref"])


def test_the_root_is_the_session_of_the_target_workflow() -> None:
    assert root_of(WF) == "s1"
    other = StorageDriverWorkflowInfo(namespace="default", id="someone-else")
    assert root_of(StorageDriverStoreContext(target=other)) == "someone-else"
    assert root_of(StorageDriverStoreContext(target=None)) == UNROOTED


async def test_a_client_without_a_store_inlines_small_payloads_and_refuses_large_ones() -> None:
    """Below INLINE_MAX a payload stays inline (as before); past it, one clear error before
    anything is sent; a reference in history cannot be read without the store either."""
    converter = with_payload_source(pydantic_data_converter, None)
    [small] = await converter.encode(["y" * (PAYLOAD_THRESHOLD * 2)])
    assert small.metadata["encoding"] == b"json/plain"
    with pytest.raises(PayloadStoreMissingError, match="LASH_TEMPORAL_STORE"):
        await converter.encode(["y" * (INLINE_MAX + 1)])
    with pytest.raises(PayloadStoreMissingError, match="no store is configured"):
        await PayloadDriver(None).retrieve(StorageDriverRetrieveContext(),
                                           [StorageDriverClaim(claim_data={"ref": "0" * 64})])


async def test_the_converter_stores_from_the_threshold_and_decodes_back(
    store: CheckpointStore,
) -> None:
    """Below PAYLOAD_THRESHOLD inline; at or above it a reference a few hundred bytes long."""
    converter = with_payload_source(pydantic_data_converter, store)
    [inline] = await converter.encode(["small"])
    assert inline.metadata["encoding"] == b"json/plain"
    big = "z" * 1_000_000
    [ref] = await converter.encode([big])
    assert ref.metadata["encoding"] == b"json/protobuf" and ref.ByteSize() < 300
    assert await converter.decode([ref], [str]) == [big]


async def test_the_store_opens_on_first_need_and_closes_with_the_driver() -> None:
    """An opener runs only when a payload needs the store, once; close() closes what it opened."""
    opened: list[CheckpointStore] = []

    async def opener() -> CheckpointStore:
        opened.append(await open_store("memory://"))
        return opened[-1]

    driver = PayloadDriver(opener)
    assert driver.has_store and not opened
    await driver.store(WF, [_payload(10)])
    await driver.store(WF, [_payload(20)])
    assert len(opened) == 1
    await driver.close()


class _Marking(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            q = Payload()
            q.CopyFrom(p)
            q.metadata["marked"] = b"1"
            out.append(q)
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            assert p.metadata.get("marked") == b"1"
            q = Payload()
            q.CopyFrom(p)
            del q.metadata["marked"]
            out.append(q)
        return out


async def test_a_users_codec_encodes_what_is_stored_and_their_storage_is_kept(
    store: CheckpointStore,
) -> None:
    """The codec runs before the driver, so the blob holds the codec's output; a converter that
    has external storage of its own keeps it."""
    converter = with_payload_source(
        DataConverter(payload_converter_class=pydantic_data_converter.payload_converter_class,
                      payload_codec=_Marking()), store)
    [ref] = await converter.encode(["w" * 50_000])
    assert ref.metadata["encoding"] == b"json/protobuf"
    stored = Payload()
    stored.ParseFromString(await store.get_payload(json.loads(ref.data)["claimData"]["ref"]))
    assert stored.metadata["marked"] == b"1"
    assert await converter.decode([ref], [str]) == ["w" * 50_000]

    theirs = ExternalStorage(drivers=[PayloadDriver(None)])
    object.__setattr__(theirs, "drivers", [object()])  # not a PayloadDriver: the user's own
    mine = DataConverter(external_storage=theirs)
    assert with_payload_source(mine, store) is mine
