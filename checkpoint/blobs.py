"""Content-addressed blobs: lash's BlobRef, the stored envelope, and verification on every read.

A ``BlobRef`` is the lowercase hex SHA-256 of the MessagePack encoding that lash's rmp_serde
"named" mode writes (spec §8.1): structs as maps keyed by field name in declaration order, skipped
fields absent, None as nil, integers in their shortest form, floats as float64, byte vectors as
arrays of integers. A pydantic model's ``model_dump(mode="json")`` already has serde's key order
and skip rules, so encoding that JSON value with msgpack gives lash's bytes. The hash is taken
before compression, so the ref names the content, never its stored form.

Stored form (the "envelope"): a MessagePack map ``{descriptor: {kind, hints}, compression,
content}`` where ``compression`` is ``"None"`` or ``"Zlib"`` and ``content`` the (maybe
compressed) encoded value as msgpack bin. Zlib applies to Compressible blobs at or above the
profile's threshold (Balanced 4 KiB, Compact 1 KiB, LowLatency never). Reading always verifies
that the decompressed content hashes to its ref; a missing or damaged blob raises an error that
names the ref, never a silent None.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

import msgpack
from pydantic import BaseModel

from checkpoint.errors import BlobCorruptError, BlobMissingError

BlobRef = str
"""lash's BlobRef is ``#[serde(transparent)]`` over a string: here, 64 lowercase hex chars."""

BlobKind = Literal[
    "GenericBlob",
    "CheckpointManifest",
    "ToolState",
    "PluginSessionSnapshot",
    "ExecutionStateSnapshot",
]
BlobHint = Literal["Compressible", "InlinePreferred", "LargePayload"]

_HINTS: dict[str, tuple[BlobHint, ...]] = {
    "GenericBlob": ("Compressible",),
    "CheckpointManifest": ("InlinePreferred",),
    "ToolState": ("Compressible",),
    "PluginSessionSnapshot": ("Compressible",),
    "ExecutionStateSnapshot": ("Compressible", "LargePayload"),
}


_ENVELOPE_KEYS = {"descriptor", "compression", "content"}


class CompressionProfile(Enum):
    """lash's built-in blob profiles: the size at which a Compressible blob is zlib-compressed."""

    BALANCED = 4096
    COMPACT = 1024
    LOW_LATENCY = -1

    def compresses(self, size: int, hints: tuple[BlobHint, ...]) -> bool:
        """Whether a blob of ``size`` encoded bytes with these hints gets zlib."""
        return self.value >= 0 and "Compressible" in hints and size >= self.value


def serde_value(value: Any) -> Any:
    """The JSON-like value serde would serialise: models dumped, bytes as lists of ints."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, bytes | bytearray | memoryview):
        return list(bytes(value))
    if isinstance(value, Mapping):
        return {_key(k): serde_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [serde_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot encode {type(value).__name__} as a blob (not a model or JSON value)")


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"blob map keys must be strings, got {type(key).__name__}")
    return key


def encode_msgpack(value: Any) -> bytes:
    """lash's rmp_serde "named" encoding of ``value`` (a model or a JSON-like value)."""
    packed: bytes = msgpack.packb(serde_value(value), use_bin_type=True)
    return packed


def decode_msgpack(data: bytes) -> Any:
    """The JSON-like value back from MessagePack (arrays as lists, maps as dicts)."""
    return msgpack.unpackb(data, raw=False, strict_map_key=True)


def ref_of_bytes(content: bytes) -> BlobRef:
    """The BlobRef of already-encoded content."""
    return hashlib.sha256(content).hexdigest()


def blob_ref(value: Any) -> BlobRef:
    """The BlobRef lash gives ``value``: SHA-256 of its MessagePack encoding."""
    return ref_of_bytes(encode_msgpack(value))


@dataclass(frozen=True, slots=True)
class SealedBlob:
    """A blob ready to store: its ref, kind and stored envelope bytes."""

    ref: BlobRef
    kind: BlobKind
    stored: bytes


def seal(
    value: Any, kind: BlobKind = "GenericBlob",
    profile: CompressionProfile = CompressionProfile.BALANCED,
) -> SealedBlob:
    """Encode ``value``, hash it, and wrap it in the stored envelope."""
    content = encode_msgpack(value)
    return seal_bytes(content, kind, profile)


def seal_bytes(
    content: bytes, kind: BlobKind = "GenericBlob",
    profile: CompressionProfile = CompressionProfile.BALANCED,
) -> SealedBlob:
    """Wrap already-encoded content in the stored envelope."""
    hints = _HINTS[kind]
    compressed = profile.compresses(len(content), hints)
    envelope = {
        "descriptor": {"kind": kind, "hints": list(hints)},
        "compression": "Zlib" if compressed else "None",
        "content": zlib.compress(content) if compressed else content,
    }
    stored: bytes = msgpack.packb(envelope, use_bin_type=True)
    return SealedBlob(ref_of_bytes(content), kind, stored)


def open_content(ref: BlobRef, stored: bytes | None) -> bytes:
    """The verified encoded content of a stored blob; raises naming ``ref`` if unusable."""
    if stored is None:
        raise BlobMissingError(ref)
    content = _unwrap(ref, bytes(stored))
    actual = ref_of_bytes(content)
    if actual != ref:
        raise BlobCorruptError(ref, f"content hashes to {actual}")
    return content


def open_blob(ref: BlobRef, stored: bytes | None) -> Any:
    """The verified, decoded value of a stored blob."""
    content = open_content(ref, stored)
    try:
        return decode_msgpack(content)
    except (ValueError, msgpack.UnpackException) as exc:  # pragma: no cover - hash matched
        raise BlobCorruptError(ref, f"content is not MessagePack: {exc}") from exc


def _unwrap(ref: BlobRef, stored: bytes) -> bytes:
    """Content from the envelope; a legacy raw blob (no envelope) is returned as is (spec §8.1)."""
    try:
        envelope = msgpack.unpackb(stored, raw=False)
    except (ValueError, TypeError, msgpack.UnpackException):
        return stored
    if not (isinstance(envelope, dict) and set(envelope) == _ENVELOPE_KEYS):
        return stored
    content, compression = envelope["content"], envelope["compression"]
    descriptor = envelope["descriptor"]
    kind = descriptor.get("kind") if isinstance(descriptor, dict) else None
    if kind not in _HINTS or descriptor.get("hints") != list(_HINTS[kind]):
        raise BlobCorruptError(ref, f"envelope descriptor is not valid: {descriptor!r}")
    if not isinstance(content, bytes):
        raise BlobCorruptError(ref, "envelope content is not bytes")
    if compression == "None":
        return content
    if compression == "Zlib":
        try:
            return zlib.decompress(content)
        except zlib.error as exc:
            raise BlobCorruptError(ref, f"zlib content does not inflate: {exc}") from exc
    raise BlobCorruptError(ref, f"unknown compression {compression!r}")


def envelope_kind(stored: bytes) -> str | None:
    """The descriptor kind recorded in a stored envelope, or None for a raw blob."""
    try:
        envelope = msgpack.unpackb(stored, raw=False)
        kind = envelope["descriptor"]["kind"]
    except (ValueError, msgpack.UnpackException, KeyError, TypeError):
        return None
    return kind if isinstance(kind, str) else None


__all__ = [
    "BlobHint",
    "BlobKind",
    "BlobRef",
    "CompressionProfile",
    "SealedBlob",
    "blob_ref",
    "decode_msgpack",
    "encode_msgpack",
    "envelope_kind",
    "open_blob",
    "open_content",
    "ref_of_bytes",
    "seal",
    "seal_bytes",
    "serde_value",
]
