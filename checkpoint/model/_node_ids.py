"""Node id rules of the session graph (spec §3.2) and the tool-call keys they rest on."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ._ids import current_id_source
from ._json_text import compact_json
from ._serde import canonical_json
from ._tool_call import ToolCallRecord

Exists = Callable[[str], bool]


def fresh_message_id() -> str:
    """``"m"`` + 32 hex chars, from the current id source."""
    return "m" + current_id_source().fresh_hex()


def stable_tool_call_key(record: ToolCallRecord) -> str:
    """The call id when non-empty, else ``anon-`` + 12 hex of sha256 of ``[tool, args, output]``."""
    if record.call_id:
        return record.call_id
    output = record.output.model_dump(mode="json")
    raw = compact_json([record.tool, canonical_json(record.args), output])
    return "anon-" + hashlib.sha256(raw.encode()).hexdigest()[:12]


def tool_call_active_read_key(stable_key: str, record: ToolCallRecord) -> str:
    """``tool_call:{stable_key}:{JSON(record)}``: same id with another output is another call."""
    return f"tool_call:{stable_key}:{compact_json(record.model_dump(mode='json'))}"


def unique_message_node_id(message_id: str, exists: Exists) -> str:
    """The message id, else ``message:{id}``, else ``message:{id}:2``, ``:3``, …"""
    if not exists(message_id):
        return message_id
    base = f"message:{message_id}"
    if not exists(base):
        return base
    suffix = 2
    while exists(f"{base}:{suffix}"):
        suffix += 1
    return f"{base}:{suffix}"


def unique_tool_node_id(stable_key: str, exists: Exists) -> str:
    """``tool:{stable_key}``, else ``tool:{stable_key}:{uuid4 hyphenated}``."""
    base = f"tool:{stable_key}"
    if not exists(base):
        return base
    source = current_id_source()
    while True:
        candidate = f"{base}:{source.fresh_uuid()}"
        if not exists(candidate):
            return candidate


def fresh_semantic_node_id(prefix: str, exists: Exists) -> str:
    """``{prefix}:{uuid4 simple hex}`` (``mode:`` and ``plugin:`` nodes)."""
    source = current_id_source()
    while True:
        candidate = f"{prefix}:{source.fresh_hex()}"
        if not exists(candidate):
            return candidate
