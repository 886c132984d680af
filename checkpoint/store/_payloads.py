"""Payload blobs: the bytes of a Temporal payload kept in the blob table, so a workflow history
holds a ref where it would hold a long message or a big tool result.

A payload blob is an ordinary content-addressed blob (``GenericBlob``, zlib past 4 KiB) whose
content is the payload's bytes as one MessagePack bin: its ref is the SHA-256 of that, and every
read verifies it, like any blob. It is rooted to the session whose history refers to it, with
the time it was last stored (a history that refers to it again stores it again), so GC keeps it
as long as it keeps that session's checkpoints: while the session exists, and, with a retention,
for the retention after the last history event that referred to it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import msgpack

from checkpoint.blobs import BlobRef, CompressionProfile, SealedBlob, open_blob, seal_bytes
from checkpoint.errors import BlobCorruptError


@runtime_checkable
class PayloadBlobs(Protocol):
    """What an external-storage driver needs from a store: put and get payload bytes."""

    async def put_payload(self, data: bytes, *, root: str) -> BlobRef:
        """Store ``data`` content-addressed, rooted to session ``root`` as of now; the same
        bytes give the same ref, and storing them again refreshes the root's time."""
        ...

    async def get_payload(self, ref: BlobRef) -> bytes:
        """The stored bytes, hash verified; a missing or damaged blob raises naming ``ref``."""
        ...

    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...


def seal_payload(data: bytes, profile: CompressionProfile) -> SealedBlob:
    """``data`` as a sealed blob: MessagePack bin content in the usual envelope."""
    content: bytes = msgpack.packb(data, use_bin_type=True)
    return seal_bytes(content, "GenericBlob", profile)


def open_payload(ref: BlobRef, stored: bytes | None) -> bytes:
    """The verified bytes of a payload blob; anything but bin content is a damaged blob."""
    value = open_blob(ref, stored)
    if not isinstance(value, bytes):
        raise BlobCorruptError(ref, f"a payload blob holds bytes, not {type(value).__name__}")
    return value


__all__ = ["PayloadBlobs", "open_payload", "seal_payload"]
