"""Resume safety (§4), ToolState generations (§8.2), the plugin fingerprint (§8.3), ids."""

from __future__ import annotations

import hashlib
import re
import struct
from datetime import UTC, datetime

import pytest
from model_builders import call_message, result_message, text_message, tool_record

from checkpoint.errors import ResumeSafetyError
from checkpoint.model import (
    DerivedIds,
    Message,
    Part,
    SessionGraph,
    ToolRegistryState,
    ToolState,
    ToolStateGenerationMismatch,
    current_id_source,
    ensure_prompt_resume_safe,
    messages_are_prompt_resume_safe,
    snapshot_revision_fingerprint,
    use_id_source,
)


def test_resume_safe_when_every_call_has_one_later_result() -> None:
    """Calls in Assistant messages answered once by User results are safe."""
    messages = [text_message("u"), call_message("a", "c1", "c2"), result_message("r", "c1", "c2")]
    assert messages_are_prompt_resume_safe(messages)
    assert messages_are_prompt_resume_safe([])


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([call_message("a", "c1")], "without results"),
        ([result_message("r", "c1")], "no earlier call"),
        ([call_message("a", "c1"), result_message("r", "c1", "c1")], "more than one result"),
        ([call_message("a", "c1", "c1")], "appears twice"),
        ([call_message("a", "  ")], "blank call id"),
        ([call_message("a", "c1").model_copy(update={"role": "User"})], "in a User message"),
        ([call_message("a", "c1"), result_message("r", "c1").model_copy(update={"role": "System"})],
         "in a System message"),
    ],
)
def test_resume_unsafe_shapes_are_refused(messages: list[Message], problem: str) -> None:
    """Each broken pairing makes the predicate false and the check name the problem."""
    assert not messages_are_prompt_resume_safe(messages)
    with pytest.raises(ResumeSafetyError, match=problem):
        ensure_prompt_resume_safe(messages, session_id="s")


def test_reasoning_parts_are_ignored_by_resume_safety() -> None:
    """A Reasoning part with a call id takes no part in pairing."""
    reasoning = Message(
        id="x", role="User",
        parts=[Part(id="x.p0", kind="Reasoning", content="", tool_call_id="c9",
                    prune_state="Intact")],
    )
    assert messages_are_prompt_resume_safe([reasoning])


def test_tool_registry_generation_counts_changes() -> None:
    """Starts at 0; each upsert/remove is +1; export carries the generation."""
    registry = ToolRegistryState()
    assert registry.upsert("a", {"name": "a"}, "src") == 1
    assert registry.upsert("b", {"name": "b"}, "src") == 2
    assert registry.remove("a") == 3 and registry.remove("a") == 3
    assert registry.export_state().generation == 3


def test_apply_state_requires_the_live_generation_then_bumps() -> None:
    """apply_state refuses another generation; on success the generation goes up by one."""
    registry = ToolRegistryState()
    registry.upsert("a", {"name": "a"}, "src")
    with pytest.raises(ToolStateGenerationMismatch, match="snapshot has 5, registry is at 1"):
        registry.apply_state(ToolState(generation=5, tools={}))
    assert registry.apply_state(ToolState(generation=1, tools={})) == 2
    assert registry.tools == {}


def test_fork_and_normalize_generation_rules() -> None:
    """A fork starts at max(generation, 1); a loaded snapshot is normalised to 1."""
    assert ToolRegistryState.fork_with_state(ToolState(generation=0, tools={})).generation == 1
    assert ToolRegistryState.fork_with_state(ToolState(generation=7, tools={})).generation == 7
    assert ToolState(generation=9, tools={}).normalized().generation == 1


def test_tool_state_tools_are_written_sorted() -> None:
    """ToolState.tools is a BTreeMap: keys sorted on write."""
    state = ToolState.model_validate(
        {"generation": 1, "tools": {"b": {"manifest": {"name": "b"}, "source_id": "s"},
                                    "a": {"manifest": {"name": "a"}, "source_id": "s"}}}
    )
    assert list(state.model_dump(mode="json")["tools"]) == ["a", "b"]


def test_fingerprint_of_no_plugins_is_sha256_of_nothing() -> None:
    """Zero plugins: the first 8 bytes of sha256(b"") read little-endian."""
    expected = int.from_bytes(hashlib.sha256(b"").digest()[:8], "little")
    assert snapshot_revision_fingerprint([]) == expected == 0x141CFC9842C4B0E3


def test_fingerprint_hashes_id_version_revision_in_session_order() -> None:
    """id 0 version 0 revision(u64 LE) 0xFF per plugin; order and revision matter."""
    raw = b"notes\x001.2\x00" + struct.pack("<Q", 12) + b"\xff" + b"om\x000.1\x00" + struct.pack(
        "<Q", 0
    ) + b"\xff"
    expected = struct.unpack("<Q", hashlib.sha256(raw).digest()[:8])[0]
    plugins = [("notes", "1.2", 12), ("om", "0.1", 0)]
    assert snapshot_revision_fingerprint(plugins) == expected
    assert snapshot_revision_fingerprint(plugins[::-1]) != expected
    assert snapshot_revision_fingerprint([("notes", "1.2", 13), ("om", "0.1", 0)]) != expected
    assert 0 <= expected < 2**64


def test_derived_ids_make_graph_appends_repeatable() -> None:
    """The same operations under the same DerivedIds seed produce byte-identical nodes."""
    start = datetime(2026, 5, 19, 9, 12, 3, tzinfo=UTC)

    def build() -> str:
        graph = SessionGraph()
        with use_id_source(DerivedIds("turn-7", start)):
            graph.append_message(text_message(""))
            graph.append_tool_call_records([tool_record("c"), tool_record("c", answer="z")])
            graph.append_plugin("p", None)
        return graph.model_dump_json()

    assert build() == build()
    first = SessionGraph.model_validate_json(build())
    assert first.nodes[0].timestamp == "2026-05-19T09:12:03.000000+00:00"
    assert first.nodes[1].timestamp == "2026-05-19T09:12:03.000001+00:00"
    assert re.fullmatch(r"tool:c:[0-9a-f-]{36}", first.nodes[2].node_id)


def test_use_id_source_restores_the_previous_source() -> None:
    """Leaving the block restores the default random source."""
    before = current_id_source()
    with use_id_source(DerivedIds("x", datetime.now(UTC))) as source:
        assert current_id_source() is source
    assert current_id_source() is before
    assert re.fullmatch(r"[0-9a-f]{32}", before.fresh_hex())
    assert before.now().endswith("+00:00")
