"""The §11 documents round-trip byte for byte (same values, same key order)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checkpoint.model import (
    SESSION_START_POINT,
    PersistedSessionState,
    SnapshotStart,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str) -> tuple[str, Any]:
    text = (FIXTURES / name).read_text()
    return text, json.loads(text)


def test_section11_state_round_trips_identically() -> None:
    """The §11 state parses and dumps back to the identical JSON, key order included."""
    text, doc = _load("section11_state.json")
    state = PersistedSessionState.model_validate(doc)
    dumped = state.model_dump(mode="json")
    assert json.dumps(dumped, indent=2) == json.dumps(doc, indent=2)
    assert json.dumps(dumped, indent=2) == text.strip()


def test_section11_state_round_trips_through_json_text() -> None:
    """model_validate_json / model_dump_json agree with the dict path."""
    text, doc = _load("section11_state.json")
    state = PersistedSessionState.model_validate_json(text)
    assert json.loads(state.model_dump_json()) == doc
    assert list(json.loads(state.model_dump_json())) == list(doc)


def test_section11_u64_fingerprint_is_exact() -> None:
    """plugin_snapshot_revision above 2^53 keeps every digit."""
    _, doc = _load("section11_state.json")
    state = PersistedSessionState.model_validate(doc)
    assert state.plugin_snapshot_revision == 9436285093476160139
    assert state.head_revision is None and state.graph_replace_required is False


def test_child_start_point_round_trips_identically() -> None:
    """The §11 child snapshot start point parses and dumps back identically."""
    text, doc = _load("section11_child_start_point.json")
    start = SESSION_START_POINT.validate_python(doc)
    assert isinstance(start, SnapshotStart)
    assert json.dumps(SESSION_START_POINT.dump_python(start, mode="json"), indent=2) == text.strip()


def test_minimal_snapshot_start_point_is_accepted() -> None:
    """{"kind":"snapshot","snapshot":{"session_id":...}} is valid: every other field defaults."""
    start = SESSION_START_POINT.validate_python(
        {"kind": "snapshot", "snapshot": {"session_id": "child-1"}}
    )
    assert isinstance(start, SnapshotStart)
    snapshot = start.snapshot
    assert snapshot.session_id == "child-1"
    assert snapshot.policy.provider == {"type": "unconfigured"}
    assert snapshot.mode_turn_options.payload == {}
    dumped = snapshot.model_dump(mode="json")
    assert dumped["policy"]["standard_context_approach"] == {"kind": "rolling_history"}
    assert dumped["session_graph"] == {"nodes": []}
    assert "token_ledger" not in dumped and "last_prompt_usage" not in dumped
