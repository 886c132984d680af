"""PluginSessionSnapshot and the plugin revision fingerprint (spec §8.3)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Annotated

from ._serde import SORTED_KEYS, U64, ByteVec, JsonValue, SerdeModel, skip_none


class PluginSnapshotMeta(SerdeModel):
    """``{plugin_id, plugin_version, revision (default 0), state? (skipped when None)}``."""

    plugin_id: str
    plugin_version: str
    revision: U64 = 0
    state: JsonValue = skip_none()
    """``Option<Value>``: ``null`` reads as None and None is skipped (spec §0.1.2)."""


class PluginSnapshotArtifact(SerdeModel):
    """A named artifact; ``data`` is ``Vec<u8>`` (an integer array on the wire)."""

    name: str
    data: ByteVec


class PluginSnapshotEntry(SerdeModel):
    """``{meta, artifacts (default [])}``."""

    meta: PluginSnapshotMeta
    artifacts: list[PluginSnapshotArtifact] = []


class PluginSessionSnapshot(SerdeModel):
    """``{plugins}``: a BTreeMap by plugin id, default empty."""

    plugins: Annotated[dict[str, PluginSnapshotEntry], SORTED_KEYS] = {}


def snapshot_revision_fingerprint(plugins: Iterable[tuple[str, str, int]]) -> int:
    """The u64 that ``plugin_snapshot_revision`` holds, from ``(id, version, revision)`` in
    session order: sha256 over ``id 0x00 version 0x00 revision(u64 LE) 0xFF`` per plugin, then
    the first 8 digest bytes as a little-endian u64."""
    hasher = hashlib.sha256()
    for plugin_id, version, revision in plugins:
        hasher.update(plugin_id.encode())
        hasher.update(b"\x00")
        hasher.update(version.encode())
        hasher.update(b"\x00")
        hasher.update(revision.to_bytes(8, "little"))
        hasher.update(b"\xff")
    return int.from_bytes(hasher.digest()[:8], "little")
