"""BlobRef content addressing and the stored envelope (spec §8.1, §0.1.9)."""

from __future__ import annotations

import hashlib

import pytest

from checkpoint.blobs import (
    CompressionProfile,
    blob_ref,
    encode_msgpack,
    envelope_kind,
    open_blob,
    open_content,
    seal,
    seal_bytes,
)
from checkpoint.errors import BlobCorruptError, BlobMissingError


def test_execution_state_bytes_encode_as_msgpack_array_of_ints() -> None:
    """Spec §0.1.9: [0,1,255] encodes as 93 00 01 cc ff and its ref is the SHA-256 of that."""
    assert encode_msgpack(b"\x00\x01\xff") == bytes.fromhex("930001ccff")
    assert encode_msgpack([0, 1, 255]) == bytes.fromhex("930001ccff")
    assert blob_ref(b"\x00\x01\xff") == hashlib.sha256(bytes.fromhex("930001ccff")).hexdigest()


def test_integers_use_the_shortest_msgpack_form() -> None:
    """rmp writes each integer in its shortest form, like msgpack-python."""
    assert encode_msgpack(127) == b"\x7f"
    assert encode_msgpack(128) == b"\xcc\x80"
    assert encode_msgpack(-1) == b"\xff"
    assert encode_msgpack(2**64 - 1) == b"\xcf" + b"\xff" * 8


def test_maps_keep_insertion_order_and_none_is_nil() -> None:
    """Struct fields are written in declaration order; None is nil."""
    assert encode_msgpack({"b": None, "a": 1}) == b"\x82\xa1b\xc0\xa1a\x01"


def test_ref_is_lowercase_hex_sha256() -> None:
    """A BlobRef is 64 lowercase hex characters."""
    ref = blob_ref({"x": 1})
    assert len(ref) == 64 and ref == ref.lower()


def test_ref_is_taken_before_compression() -> None:
    """The same content has the same ref whether or not it was compressed."""
    value = {"text": "a" * 10_000}
    big = seal(value, "ToolState", CompressionProfile.BALANCED)
    raw = seal(value, "ToolState", CompressionProfile.LOW_LATENCY)
    assert big.ref == raw.ref == blob_ref(value)
    assert len(big.stored) < len(raw.stored)
    assert open_blob(big.ref, big.stored) == value


def test_only_compressible_blobs_at_threshold_are_compressed() -> None:
    """Compact compresses from 1 KiB; manifests (not Compressible) never are."""
    content = b"x" * 2000
    assert len(seal_bytes(content, "GenericBlob", CompressionProfile.COMPACT).stored) < 200
    assert len(seal_bytes(content, "GenericBlob", CompressionProfile.BALANCED).stored) > 2000
    assert len(seal_bytes(content, "CheckpointManifest", CompressionProfile.COMPACT).stored) > 2000


def test_envelope_records_the_kind() -> None:
    """The descriptor names the blob's kind."""
    assert envelope_kind(seal({"a": 1}, "CheckpointManifest").stored) == "CheckpointManifest"


def test_missing_blob_names_its_ref() -> None:
    """A missing blob is an error naming the ref, never None."""
    with pytest.raises(BlobMissingError, match="abc"):
        open_blob("abc", None)


@pytest.mark.parametrize("profile", list(CompressionProfile))
def test_every_single_byte_flip_is_detected(profile: CompressionProfile) -> None:
    """Flipping any one stored byte makes the read fail with an error naming the ref."""
    sealed = seal({"text": "hello world " * 500, "n": [1, 2, 3]}, "GenericBlob", profile)
    for index in range(0, len(sealed.stored), max(1, len(sealed.stored) // 97)):
        damaged = bytearray(sealed.stored)
        damaged[index] ^= 0x01
        with pytest.raises(BlobCorruptError, match=sealed.ref):
            open_content(sealed.ref, bytes(damaged))


def test_legacy_raw_blob_is_read_when_its_hash_matches() -> None:
    """A blob stored without an envelope is read as raw content (spec §8.1 fallback)."""
    content = encode_msgpack({"legacy": True})
    assert open_blob(blob_ref({"legacy": True}), content) == {"legacy": True}


def test_unencodable_value_is_refused_clearly() -> None:
    """Values that are neither models nor JSON-like are refused with the type named."""
    with pytest.raises(TypeError, match="set"):
        blob_ref({1, 2})
