"""Plugin snapshots and the revision fingerprint (spec §8.3)."""

from __future__ import annotations

from activities.agent._runtime import SessionRuntime
from activities.agent.plugins import NotesPlugin, PluginSession, RememberTool
from activities.agent.tools import (
    WORD_COUNT,
    PythonInterpreter,
    SessionParts,
    ToolContext,
    ToolRegistry,
)
from checkpoint.model import PersistedSessionState

CTX = ToolContext(session_id="s", turn_id="t", turn_index=1, step=0, call_id="c")


def test_fingerprint_is_stable_while_no_plugin_changes() -> None:
    """Two sessions with untouched plugins have equal fingerprints, also after a snapshot."""
    a, b = PluginSession([NotesPlugin()]), PluginSession([NotesPlugin()])
    before = a.snapshot_revision_fingerprint()
    a.snapshot()
    assert before == a.snapshot_revision_fingerprint() == b.snapshot_revision_fingerprint()


async def test_fingerprint_changes_when_a_note_is_added() -> None:
    """The remember tool bumps the notes revision and therefore the fingerprint."""
    notes = NotesPlugin()
    session = PluginSession([notes])
    before = session.snapshot_revision_fingerprint()
    output = await RememberTool(notes).run({"note": "likes tea"}, CTX)
    assert output.failure_class is None
    assert session.snapshot_revision_fingerprint() != before
    assert session.snapshot().plugins["lash.notes"].meta.revision == 1


async def test_invalid_note_changes_nothing() -> None:
    """A rejected call leaves revision and fingerprint alone."""
    notes = NotesPlugin()
    session = PluginSession([notes])
    before = session.snapshot_revision_fingerprint()
    output = await RememberTool(notes).run({"note": "  "}, CTX)
    assert output.failure_class == "invalid_request"
    assert session.snapshot_revision_fingerprint() == before


async def test_restore_brings_back_notes_and_revision() -> None:
    """A snapshot restored into a fresh plugin gives the same state and fingerprint."""
    notes = NotesPlugin()
    await RememberTool(notes).run({"note": "a"}, CTX)
    original = PluginSession([notes])
    restored = PluginSession([NotesPlugin()])
    restored.restore(original.snapshot())
    assert restored.snapshot() == original.snapshot()
    assert restored.snapshot_revision_fingerprint() == original.snapshot_revision_fingerprint()


async def test_refresh_attaches_a_plugin_snapshot_only_after_a_change() -> None:
    """With a ref in place, refresh_plugin_snapshots attaches nothing until a note is added."""
    notes = NotesPlugin()
    parts = SessionParts(interpreter=PythonInterpreter(None), notes=notes)
    runtime = SessionRuntime(
        registry=ToolRegistry.with_tools([WORD_COUNT.bind(parts)]),
        plugins=PluginSession([notes]),
        interpreter=PythonInterpreter(None),
    )
    state = PersistedSessionState(session_id="s")
    state.refresh_plugin_snapshots(runtime)
    assert state.plugin_snapshot is not None
    state.plugin_snapshot, state.plugin_snapshot_ref = None, "ref-from-a-commit"
    state.refresh_plugin_snapshots(runtime)
    assert state.plugin_snapshot is None
    await RememberTool(notes).run({"note": "b"}, CTX)
    state.refresh_plugin_snapshots(runtime)
    assert state.plugin_snapshot is not None
